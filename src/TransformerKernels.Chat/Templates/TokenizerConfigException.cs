namespace TransformerKernels.Chat;

/// <summary>A tokenizer_config.json is malformed: not JSON, or a field of the wrong shape. The message names the file.</summary>
public sealed class TokenizerConfigException : Exception
{
    /// <summary>Creates the exception for <paramref name="path"/> with what is wrong.</summary>
    public TokenizerConfigException(string path, string problem, Exception? innerException = null)
        : base($"{path}: {problem}", innerException) => Path = path;

    /// <summary>The file at fault.</summary>
    public string Path { get; }
}
