namespace TransformerKernels;

/// <summary>A GGUF file is malformed or holds what the loader cannot read: the message names the key, tensor or field.</summary>
public sealed class GgufFormatException : FormatException
{
    /// <summary>Creates the exception for the file at <paramref name="path"/>.</summary>
    public GgufFormatException(string path, string problem, Exception? inner = null)
        : base($"{Path.GetFileName(path)}: {problem}", inner)
    {
        FilePath = path;
    }

    /// <summary>The file that failed to load.</summary>
    public string FilePath { get; }
}
