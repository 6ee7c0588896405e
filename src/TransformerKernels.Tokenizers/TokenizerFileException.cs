namespace TransformerKernels.Tokenizers;

/// <summary>A tokenizer file of a model directory is missing, unreadable or not what its name promises; <see cref="FilePath"/> names it.</summary>
public sealed class TokenizerFileException : IOException
{
    /// <summary>An error about the file at <paramref name="filePath"/>.</summary>
    public TokenizerFileException(string filePath, string message, Exception? innerException = null)
        : base($"{filePath}: {message}", innerException) => FilePath = filePath;

    /// <summary>The file (or, when no tokenizer file was found at all, the directory) the error is about.</summary>
    public string FilePath { get; }
}
