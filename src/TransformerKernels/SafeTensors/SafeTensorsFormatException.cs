namespace TransformerKernels;

/// <summary>A safetensors file is malformed: the message names the header field or tensor and what is wrong with it.</summary>
public sealed class SafeTensorsFormatException : FormatException
{
    /// <summary>Creates the exception for the file at <paramref name="path"/>.</summary>
    public SafeTensorsFormatException(string path, string problem, Exception? inner = null)
        : base($"{Path.GetFileName(path)}: {problem}", inner)
    {
        FilePath = path;
    }

    /// <summary>The file that failed to load.</summary>
    public string FilePath { get; }
}
