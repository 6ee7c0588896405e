namespace TransformerKernels;

/// <summary>
/// One file of a checkpoint as the loader reads it: tensors by the names and row-major shapes the naming maps use, each
/// read as floats. A safetensors file is one; a GGUF file is one through <see cref="GgufLlamaTensors"/>, which renames
/// llama.cpp's tensors to Hugging Face's and undoes its converter's reordering.
/// </summary>
internal interface ITensorStore : IDisposable
{
    /// <summary>The file's path.</summary>
    string FilePath { get; }

    /// <summary>The tensors, by name.</summary>
    IReadOnlyDictionary<string, TensorInfo> Tensors { get; }

    /// <summary>String metadata (safetensors' <c>__metadata__</c>; empty for GGUF).</summary>
    IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Copies a tensor into <paramref name="destination"/> as floats.</summary>
    void Read(string name, Span<float> destination);

    /// <summary>A tensor as a new float array.</summary>
    float[] ReadArray(string name);
}
