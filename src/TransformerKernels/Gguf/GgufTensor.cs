namespace TransformerKernels;

/// <summary>One tensor's entry in a GGUF file.</summary>
/// <param name="Name">Tensor name (llama.cpp's, e.g. <c>blk.0.attn_q.weight</c>).</param>
/// <param name="Type">Element type.</param>
/// <param name="Dimensions">ggml's order: the first dimension is the contiguous one (a PyTorch [out, in] weight is [in, out] here).</param>
/// <param name="Offset">Offset of the first byte within the data section.</param>
/// <param name="ByteLength">Bytes of the tensor's data.</param>
public sealed record GgufTensor(string Name, GgufTensorType Type, long[] Dimensions, long Offset, long ByteLength)
{
    /// <summary>Product of the dimensions.</summary>
    public long ElementCount => Dimensions.Aggregate(1L, (a, b) => a * b);

    /// <summary>The dimensions in PyTorch's order (outermost first), as the loader compares them with the declaration.</summary>
    public long[] RowMajorShape => [.. Dimensions.Reverse()];
}
