namespace TransformerKernels.Oracle;

/// <summary>
/// The low-precision schemes written out plainly, independent of the runtime's packing and kernels: BF16 rounding,
/// symmetric per-output-channel int8 weights, per-row activation quantization, and an int8 linear layer whose dot
/// products are exact (64-bit integer sums) before the same float dequantization the kernels perform.
/// </summary>
public static class LowPrecisionReference
{
    /// <summary>FP32 → BF16 → FP32, round to nearest, ties to even.</summary>
    public static float RoundToBf16(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        uint lower = bits & 0xFFFFu;
        uint upper = bits >> 16;
        if (lower > 0x8000u || (lower == 0x8000u && (upper & 1u) == 1u))
        {
            upper++;
        }
        return BitConverter.UInt32BitsToSingle(upper << 16);
    }

    /// <summary>Every element rounded to BF16.</summary>
    public static float[] RoundToBf16(float[] values) => values.Select(RoundToBf16).ToArray();

    /// <summary>
    /// Quantizes weight [n, k] per output row: scale = max|w| / 127, q = w / scale rounded to nearest even, within ±127.
    /// </summary>
    public static (int[] Quantized, float[] Scales) QuantizeWeights(float[] weight, int n, int k)
    {
        var quantized = new int[n * k];
        var scales = new float[n];
        for (int o = 0; o < n; o++)
        {
            float max = 0f;
            for (int i = 0; i < k; i++)
            {
                max = Math.Max(max, Math.Abs(weight[o * k + i]));
            }
            float scale = max / 127f;
            scales[o] = scale;
            for (int i = 0; i < k; i++)
            {
                quantized[o * k + i] = scale == 0f ? 0 : (int)Math.Clamp(MathF.Round(weight[o * k + i] / scale, MidpointRounding.ToEven), -127f, 127f);
            }
        }
        return (quantized, scales);
    }

    /// <summary>
    /// Quantizes x [m, k] per row to ±<paramref name="levels"/>: scale = max|x| / levels, q = x · (levels / max|x|) rounded to
    /// nearest even. A row of zeros gets scale 0 and q = 0.
    /// </summary>
    public static (int[] Quantized, float[] Scales) QuantizeActivations(float[] x, int m, int k, int levels)
    {
        var quantized = new int[m * k];
        var scales = new float[m];
        for (int r = 0; r < m; r++)
        {
            float max = 0f;
            for (int i = 0; i < k; i++)
            {
                max = Math.Max(max, Math.Abs(x[r * k + i]));
            }
            scales[r] = max / levels;
            float inverse = max > 0f ? levels / max : 0f;
            for (int i = 0; i < k; i++)
            {
                quantized[r * k + i] = Math.Clamp((int)MathF.Round(x[r * k + i] * inverse, MidpointRounding.ToEven), -levels, levels);
            }
        }
        return (quantized, scales);
    }

    /// <summary>
    /// y = dequantize(q(x)·q(W)ᵀ) + b with exact integer dot products: y[r, o] = (float)Σ qx·qw · rowScale · colScale + b[o]
    /// (in that order, in float, as the kernels do).
    /// </summary>
    public static float[] LinearInt8(float[] x, int m, int k, float[] weight, float[]? bias, int n, int levels)
    {
        (int[] qw, float[] colScales) = QuantizeWeights(weight, n, k);
        (int[] qx, float[] rowScales) = QuantizeActivations(x, m, k, levels);
        var y = new float[m * n];
        for (int r = 0; r < m; r++)
        {
            for (int o = 0; o < n; o++)
            {
                long dot = 0;
                for (int i = 0; i < k; i++)
                {
                    dot += (long)qx[r * k + i] * qw[o * k + i];
                }
                y[r * n + o] = (float)dot * rowScales[r] * colScales[o] + (bias is null ? 0f : bias[o]);
            }
        }
        return y;
    }
}
