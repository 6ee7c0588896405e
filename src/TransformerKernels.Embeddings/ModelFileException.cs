namespace TransformerKernels.Embeddings;

/// <summary>A file of a model directory is missing or damaged (unreadable, not valid JSON, a field of the wrong kind); the message names the file.</summary>
public sealed class ModelFileException : IOException
{
    /// <summary>Creates the exception for <paramref name="filePath"/>.</summary>
    public ModelFileException(string filePath, string problem, Exception? inner = null)
        : base($"{filePath}: {problem}", inner)
    {
        FilePath = filePath;
    }

    /// <summary>The file at fault.</summary>
    public string FilePath { get; }
}
