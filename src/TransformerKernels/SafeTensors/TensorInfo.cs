namespace TransformerKernels;

/// <summary>Element types a safetensors file may hold that the loader converts to float.</summary>
public enum TensorDType
{
    /// <summary>IEEE single precision, used as is.</summary>
    F32,

    /// <summary>IEEE half precision, widened on load.</summary>
    F16,

    /// <summary>bfloat16 (the upper half of a float), widened on load.</summary>
    BF16,

    /// <summary>Double precision: validated, but not read as float weights.</summary>
    F64,

    /// <summary>64-bit integers (e.g. BERT's <c>position_ids</c> buffer): validated, not read.</summary>
    I64,

    /// <summary>32-bit integers: validated, not read.</summary>
    I32,

    /// <summary>16-bit integers: validated, not read.</summary>
    I16,

    /// <summary>8-bit integers: validated, not read.</summary>
    I8,

    /// <summary>Bytes: validated, not read.</summary>
    U8,

    /// <summary>Booleans (one byte each): validated, not read.</summary>
    Bool,

    /// <summary>A GGUF block-quantized tensor (Q8_0, Q4_0, Q4_K; see <see cref="GgufTensorType"/>), dequantized to float on load.</summary>
    Quantized,
}

/// <summary>One tensor's entry in a safetensors header.</summary>
/// <param name="Name">Tensor name.</param>
/// <param name="DType">Element type.</param>
/// <param name="Shape">Dimensions.</param>
/// <param name="Begin">Offset of the first byte within the data section.</param>
/// <param name="End">Offset one past the last byte.</param>
public sealed record TensorInfo(string Name, TensorDType DType, long[] Shape, long Begin, long End)
{
    /// <summary>Product of the dimensions.</summary>
    public long ElementCount => Shape.Aggregate(1L, (a, b) => a * b);

    /// <summary>Bytes per element.</summary>
    public int ElementSize => SizeOf(DType);

    /// <summary>Bytes per element of a dtype.</summary>
    public static int SizeOf(TensorDType dtype) => dtype switch
    {
        TensorDType.F64 or TensorDType.I64 => 8,
        TensorDType.F32 or TensorDType.I32 => 4,
        TensorDType.F16 or TensorDType.BF16 or TensorDType.I16 => 2,
        _ => 1,
    };

    /// <summary>The shape as PyTorch prints it, e.g. [384, 1536].</summary>
    public string ShapeText => "[" + string.Join(", ", Shape) + "]";
}
