namespace TransformerKernels;

/// <summary>
/// A linear layer's weights below FP32, in the panel order of the FP32 kernels (16 output columns per panel):
/// <list type="bullet">
/// <item>BF16: inputs in pairs; panel p, pair t, lane j is one 32-bit word at [p·⌈K/2⌉·16 + t·16 + j] holding bf16(W[p·16 + j, 2t])
/// in its low half and bf16(W[p·16 + j, 2t + 1]) in its high half (0 past K) — half the FP32 bytes, and one shift or one
/// mask turns a loaded vector into FP32 weights;</item>
/// <item>int8: K in groups of 4 (zero-padded), panel p, group g, lane j, byte b at [((p·G + g)·16 + j)·4 + b] = q(W[p·16 + j, 4g + b]),
/// so one 64-byte row of a panel is the 16 int32 lanes VPDPBUSD / VPMADDUBSW consume; per column its scale (W ≈ q·scale)
/// and the sum of its q (to remove the activations' unsigned offset in the epilogue).</item>
/// </list>
/// </summary>
public sealed unsafe class LowPrecisionWeights : IDisposable
{
    /// <summary>Inputs per int8 group: the bytes one int32 lane multiplies at once.</summary>
    public const int GroupSize = ShapeMath.Int8GroupSize;

    private readonly NativeBuffer _packed;
    private readonly NativeBuffer? _scales;
    private readonly NativeBuffer? _sums;

    private LowPrecisionWeights(WeightPrecision precision, NativeBuffer packed, NativeBuffer? scales, NativeBuffer? sums, int groups)
    {
        Precision = precision;
        _packed = packed;
        _scales = scales;
        _sums = sums;
        Groups = groups;
    }

    /// <summary><see cref="WeightPrecision.Bf16"/> or <see cref="WeightPrecision.Int8"/>.</summary>
    public WeightPrecision Precision { get; }

    /// <summary>Int8: groups of <see cref="GroupSize"/> inputs (K rounded up to 4, divided by 4).</summary>
    public int Groups { get; }

    /// <summary>BF16 weights (null for int8).</summary>
    public ushort* Bf16 => Precision == WeightPrecision.Bf16 ? (ushort*)_packed.Pointer : null;

    /// <summary>Int8 weights (null for BF16).</summary>
    public sbyte* Int8 => Precision == WeightPrecision.Int8 ? (sbyte*)_packed.Pointer : null;

    /// <summary>Int8: per padded column, the dequantization scale (0 for padding and all-zero columns).</summary>
    public float* ColumnScales => _scales is null ? null : _scales.Pointer;

    /// <summary>Int8: per padded column, Σₖ q[k, n].</summary>
    public int* ColumnSums => _sums is null ? null : (int*)_sums.Pointer;

    /// <summary>Views over a mapped prepacked checkpoint (see <see cref="PackedCheckpoint"/>); the checkpoint owns the memory.</summary>
    internal static LowPrecisionWeights FromMapped(WeightPrecision precision, NativeBuffer packed, NativeBuffer? scales, NativeBuffer? sums, int groups) =>
        new(precision, packed, scales, sums, groups);

    /// <summary>The packed weights' bytes, to save them.</summary>
    internal ReadOnlySpan<byte> PackedBytes => new(_packed.Pointer, checked((int)(_packed.Length * sizeof(float))));

    /// <summary>Int8: the column scales' bytes.</summary>
    internal ReadOnlySpan<byte> ScaleBytes => _scales is null ? default : new(_scales.Pointer, checked((int)(_scales.Length * sizeof(float))));

    /// <summary>Int8: the column sums' bytes.</summary>
    internal ReadOnlySpan<byte> SumBytes => _sums is null ? default : new(_sums.Pointer, checked((int)(_sums.Length * sizeof(int))));

    /// <summary>Bytes of weights, scales and sums.</summary>
    public long Bytes => (_packed.Length + (_scales?.Length ?? 0) + (_sums?.Length ?? 0)) * sizeof(float);

    /// <summary>Rounds FP32 to BF16, nearest even (what a load-time conversion does).</summary>
    public static ushort RoundToBf16(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        return (ushort)((bits + 0x7FFFu + ((bits >> 16) & 1u)) >> 16);
    }

    /// <summary>The per-column scale of int8 weights: the largest magnitude maps to the active path's weight levels (63 or 127).</summary>
    private static float Int8Scale(float maxAbs) => maxAbs / Int8Paths.WeightLevels;

    /// <summary>Quantizes one weight with its column's scale: round to nearest even, clamp to ± the weight levels.</summary>
    private static sbyte QuantizeWeight(float value, float scale) =>
        scale == 0f ? (sbyte)0 : (sbyte)Math.Clamp(MathF.Round(value / scale), -Int8Paths.WeightLevels, Int8Paths.WeightLevels);

    internal static LowPrecisionWeights ToBf16(float* panels, int panelCount, int inputSize, string name)
    {
        const int width = PackedLinear.PanelWidth;
        int pairs = (inputSize + 1) / 2;
        var packed = new NativeBuffer((long)panelCount * pairs * width, zeroed: false);
        uint* destination = (uint*)packed.Pointer;
        try
        {
            for (int panel = 0; panel < panelCount; panel++)
            {
                float* source = panels + (long)panel * inputSize * width;
                for (int t = 0; t < pairs; t++, destination += width)
                {
                    for (int j = 0; j < width; j++)
                    {
                        uint low = RoundToBf16(Finite(source[2 * t * width + j], panel, 2 * t, j));
                        uint high = 2 * t + 1 < inputSize ? RoundToBf16(Finite(source[(2 * t + 1) * width + j], panel, 2 * t + 1, j)) : 0u;
                        destination[j] = low | high << 16;
                    }
                }
            }
        }
        catch
        {
            packed.Dispose();
            throw;
        }
        return new LowPrecisionWeights(WeightPrecision.Bf16, packed, null, null, 0);

        float Finite(float value, int panel, int k, int lane) => float.IsFinite(value)
            ? value
            : throw NotFinite(name, value, ((long)panel * inputSize + k) * width + lane, inputSize);
    }

    internal static LowPrecisionWeights ToInt8(float* panels, int panelCount, int inputSize, string name)
    {
        const int width = PackedLinear.PanelWidth;
        int groups = ShapeMath.Int8Groups(inputSize);
        var packed = new NativeBuffer((long)panelCount * groups * width); // zeroed: the padding inputs of the last group stay 0
        var scales = new NativeBuffer((long)panelCount * width);
        var sums = new NativeBuffer((long)panelCount * width);
        try
        {
            sbyte* q = (sbyte*)packed.Pointer;
            int* columnSums = (int*)sums.Pointer;
            for (int panel = 0; panel < panelCount; panel++)
            {
                float* source = panels + (long)panel * inputSize * width;
                for (int j = 0; j < width; j++)
                {
                    float maxAbs = 0f;
                    for (int k = 0; k < inputSize; k++)
                    {
                        float value = source[k * width + j];
                        if (!float.IsFinite(value))
                        {
                            throw NotFinite(name, value, ((long)panel * inputSize + k) * width + j, inputSize);
                        }
                        maxAbs = MathF.Max(maxAbs, MathF.Abs(value));
                    }
                    float scale = Int8Scale(maxAbs);
                    scales.Pointer[panel * width + j] = scale;
                    int sum = 0;
                    for (int k = 0; k < inputSize; k++)
                    {
                        sbyte value = QuantizeWeight(source[k * width + j], scale);
                        q[(((long)panel * groups + k / GroupSize) * width + j) * GroupSize + k % GroupSize] = value;
                        sum += value;
                    }
                    columnSums[panel * width + j] = sum;
                }
            }
            return new LowPrecisionWeights(WeightPrecision.Int8, packed, scales, sums, groups);
        }
        catch
        {
            packed.Dispose();
            scales.Dispose();
            sums.Dispose();
            throw;
        }
    }

    private static ModelWeightsException NotFinite(string name, float value, long packedIndex, int inputSize)
    {
        long panel = packedIndex / ((long)inputSize * PackedLinear.PanelWidth);
        long k = packedIndex / PackedLinear.PanelWidth % inputSize;
        long column = panel * PackedLinear.PanelWidth + packedIndex % PackedLinear.PanelWidth;
        return new ModelWeightsException(name, "finite values", value.ToString(System.Globalization.CultureInfo.InvariantCulture), $"Tensor {name} has {value} at [{column}, {k}]; only finite weights can be stored below FP32.");
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _packed.Dispose();
        _scales?.Dispose();
        _sums?.Dispose();
    }
}
