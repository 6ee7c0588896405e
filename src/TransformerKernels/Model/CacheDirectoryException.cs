namespace TransformerKernels;

/// <summary>
/// A cache directory cannot be used: it is a file, lies below a file, or cannot be written (a read-only file system, no
/// permission). The message names the directory, the reason and the setting that chose it.
/// </summary>
public sealed class CacheDirectoryException : IOException
{
    /// <summary>Creates the exception for <paramref name="directory"/>.</summary>
    public CacheDirectoryException(string directory, string problem, Exception? inner = null)
        : base($"cache directory '{directory}' {problem}", inner)
    {
        Directory = directory;
    }

    /// <summary>The directory at fault.</summary>
    public string Directory { get; }
}
