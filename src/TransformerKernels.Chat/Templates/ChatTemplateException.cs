namespace TransformerKernels.Chat;

/// <summary>
/// A chat template could not be parsed or rendered: a Jinja construct the renderer does not support (named in the
/// message, with its line and column), a syntax error, an error Jinja itself would raise while rendering (an undefined
/// value used, a type mismatch), or the template's own <c>raise_exception(...)</c>, whose message is carried as is.
/// </summary>
public sealed class ChatTemplateException : Exception
{
    /// <summary>Creates the exception with its message.</summary>
    public ChatTemplateException(string message) : base(message) { }

    /// <summary>Creates the exception with its message and the error that caused it.</summary>
    public ChatTemplateException(string message, Exception innerException) : base(message, innerException) { }

    /// <summary>True when the template itself raised the error through <c>raise_exception(...)</c>.</summary>
    public bool RaisedByTemplate { get; init; }

    /// <summary>The line (1-based) of the construct at fault, or 0 when unknown.</summary>
    public int Line { get; init; }

    /// <summary>The column (1-based) of the construct at fault, or 0 when unknown.</summary>
    public int Column { get; init; }

    internal static ChatTemplateException At(TemplatePosition position, string message) =>
        new($"{message} (line {position.Line}, column {position.Column})") { Line = position.Line, Column = position.Column };

    internal static ChatTemplateException Unsupported(TemplatePosition position, string construct)
    {
        string message = $"the chat template uses {construct}, which this renderer does not support";
        return position == default ? new ChatTemplateException(message) : At(position, message);
    }
}

/// <summary>A place in the template source, 1-based.</summary>
internal readonly record struct TemplatePosition(int Line, int Column);
