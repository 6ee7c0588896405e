using System.Buffers.Binary;

namespace TransformerKernels;

/// <summary>
/// GGUF tensor data to floats, written from the block layouts of ggml's types (GgufTensorType documents each). Scalar: it
/// runs once per tensor at load, where the file's read dominates.
/// </summary>
internal static class GgufDequantize
{
    public static void Run(GgufTensorType type, ReadOnlySpan<byte> data, Span<float> destination)
    {
        switch (type)
        {
            case GgufTensorType.F32:
                for (int i = 0; i < destination.Length; i++)
                {
                    destination[i] = BinaryPrimitives.ReadSingleLittleEndian(data[(4 * i)..]);
                }
                break;
            case GgufTensorType.F16:
                for (int i = 0; i < destination.Length; i++)
                {
                    destination[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(data[(2 * i)..]);
                }
                break;
            case GgufTensorType.BF16:
                for (int i = 0; i < destination.Length; i++)
                {
                    destination[i] = BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(data[(2 * i)..]) << 16);
                }
                break;
            case GgufTensorType.Q8_0:
                for (int block = 0; block < destination.Length / 32; block++)
                {
                    ReadOnlySpan<byte> b = data.Slice(block * 34, 34);
                    float d = (float)BinaryPrimitives.ReadHalfLittleEndian(b);
                    Span<float> y = destination.Slice(block * 32, 32);
                    for (int j = 0; j < 32; j++)
                    {
                        y[j] = d * (sbyte)b[2 + j];
                    }
                }
                break;
            case GgufTensorType.Q4_0:
                for (int block = 0; block < destination.Length / 32; block++)
                {
                    ReadOnlySpan<byte> b = data.Slice(block * 18, 18);
                    float d = (float)BinaryPrimitives.ReadHalfLittleEndian(b);
                    Span<float> y = destination.Slice(block * 32, 32);
                    for (int j = 0; j < 16; j++)
                    {
                        // Byte j holds element j in its low nibble and element j + 16 in its high nibble.
                        y[j] = d * ((b[2 + j] & 0xF) - 8);
                        y[j + 16] = d * ((b[2 + j] >> 4) - 8);
                    }
                }
                break;
            case GgufTensorType.Q4_K:
                for (int block = 0; block < destination.Length / 256; block++)
                {
                    Q4K(data.Slice(block * 144, 144), destination.Slice(block * 256, 256));
                }
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(type), type, "not a readable GGUF tensor type");
        }
    }

    /// <summary>
    /// One Q4_K super-block: d, dmin (FP16), 12 bytes of 6-bit scales and minima, 128 bytes of nibbles. The 256 values are four
    /// groups of 64; group g reads bytes [32g, 32g + 32) of the nibbles, their low halves for sub-block 2g and their high halves
    /// for sub-block 2g + 1.
    /// </summary>
    private static void Q4K(ReadOnlySpan<byte> b, Span<float> y)
    {
        float d = (float)BinaryPrimitives.ReadHalfLittleEndian(b);
        float dmin = (float)BinaryPrimitives.ReadHalfLittleEndian(b[2..]);
        ReadOnlySpan<byte> scales = b.Slice(4, 12), nibbles = b.Slice(16, 128);
        for (int group = 0; group < 4; group++)
        {
            (int lowScale, int lowMin) = ScaleAndMin(scales, 2 * group);
            (int highScale, int highMin) = ScaleAndMin(scales, 2 * group + 1);
            ReadOnlySpan<byte> q = nibbles.Slice(32 * group, 32);
            Span<float> low = y.Slice(64 * group, 32), high = y.Slice(64 * group + 32, 32);
            for (int j = 0; j < 32; j++)
            {
                low[j] = d * lowScale * (q[j] & 0xF) - dmin * lowMin;
                high[j] = d * highScale * (q[j] >> 4) - dmin * highMin;
            }
        }
    }

    /// <summary>
    /// Sub-block <paramref name="j"/>'s 6-bit scale and minimum: for j &lt; 4 the low six bits of bytes j and j + 4; above, the
    /// low and high nibbles of byte j + 4 with their top two bits from the spare high bits of bytes j − 4 and j.
    /// </summary>
    private static (int Scale, int Min) ScaleAndMin(ReadOnlySpan<byte> s, int j) => j < 4
        ? (s[j] & 63, s[j + 4] & 63)
        : ((s[j + 4] & 0xF) | ((s[j - 4] >> 6) << 4), (s[j + 4] >> 4) | ((s[j] >> 6) << 4));
}
