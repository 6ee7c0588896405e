namespace TransformerKernels.Fortunes;

/// <summary>
/// Turns generated tokens into text as they arrive. A token is not always whole text on its own: byte-fallback pieces
/// carry one UTF-8 byte each, and SentencePiece's word-start marker becomes a space only before a following piece. So
/// the stream decodes the prompt and everything generated so far and hands out the new tail, holding it back while it
/// ends in an incomplete character (U+FFFD).
/// </summary>
public sealed class TextStream
{
    private readonly FortuneTokenizer _tokenizer;
    private readonly List<int> _ids;
    private int _written;

    /// <summary>A stream continuing <paramref name="prompt"/> (its ids as the model saw them; empty for none).</summary>
    public TextStream(FortuneTokenizer tokenizer, ReadOnlySpan<int> prompt = default)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        _tokenizer = tokenizer;
        _ids = [.. prompt];
        _written = tokenizer.Decode(_ids).Length;
    }

    /// <summary>Adds a generated token and returns the text it completes (possibly empty).</summary>
    public string Append(int id)
    {
        _ids.Add(id);
        string text = _tokenizer.Decode(_ids);
        if (text.EndsWith('\uFFFD') || text.Length <= _written)
        {
            return "";
        }
        string delta = text[_written..];
        _written = text.Length;
        return delta;
    }

    /// <summary>The prompt and everything appended, decoded.</summary>
    public string Text => _tokenizer.Decode(_ids);
}
