namespace TransformerKernels;

/// <summary>
/// The element types of GGUF tensors (ggml's type numbers) this loader reads; every one is converted to float as it is
/// read. Quantized types store blocks along the first (contiguous) dimension: a scale, sometimes an offset, and small integers.
/// </summary>
public enum GgufTensorType
{
    /// <summary>IEEE single precision.</summary>
    F32 = 0,

    /// <summary>IEEE half precision.</summary>
    F16 = 1,

    /// <summary>Blocks of 32: an FP16 scale d and 32 4-bit values q (low nibbles first): x = d·(q − 8). 18 bytes.</summary>
    Q4_0 = 2,

    /// <summary>Blocks of 32: an FP16 scale d and 32 signed bytes q: x = d·q. 34 bytes.</summary>
    Q8_0 = 8,

    /// <summary>
    /// Super-blocks of 256: FP16 d and dmin, twelve bytes packing eight 6-bit scales and eight 6-bit minima, and 256 4-bit
    /// values; sub-block j of 32 is x = d·scale_j·q − dmin·min_j. 144 bytes.
    /// </summary>
    Q4_K = 12,

    /// <summary>bfloat16.</summary>
    BF16 = 30,
}

/// <summary>Block geometry of the readable types.</summary>
internal static class GgufTypes
{
    /// <summary>Whether <paramref name="type"/> (a raw ggml type number) is one this loader reads.</summary>
    public static bool IsKnown(uint type) => type is 0 or 1 or 2 or 8 or 12 or 30;

    /// <summary>Elements per block.</summary>
    public static int BlockElements(GgufTensorType type) => type switch
    {
        GgufTensorType.Q4_0 or GgufTensorType.Q8_0 => 32,
        GgufTensorType.Q4_K => 256,
        _ => 1,
    };

    /// <summary>Bytes per block.</summary>
    public static int BlockBytes(GgufTensorType type) => type switch
    {
        GgufTensorType.F32 => 4,
        GgufTensorType.F16 or GgufTensorType.BF16 => 2,
        GgufTensorType.Q4_0 => 18,
        GgufTensorType.Q8_0 => 34,
        GgufTensorType.Q4_K => 144,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, null),
    };
}
