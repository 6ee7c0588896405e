namespace TransformerKernels.Embeddings;

/// <summary>
/// A model directory asks for something this library does not compute (a pooling mode, a normalizer, a module); the message
/// names the file and the field, so nothing is silently computed differently from sentence-transformers.
/// </summary>
public sealed class UnsupportedModelException : NotSupportedException
{
    /// <summary>Creates the exception for <paramref name="field"/> of <paramref name="filePath"/>.</summary>
    public UnsupportedModelException(string filePath, string field, string problem)
        : base($"{filePath}: {field}: {problem}")
    {
        FilePath = filePath;
        Field = field;
    }

    /// <summary>The file at fault.</summary>
    public string FilePath { get; }

    /// <summary>The field (or module) at fault.</summary>
    public string Field { get; }
}
