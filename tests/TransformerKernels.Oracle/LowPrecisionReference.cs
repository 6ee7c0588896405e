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
    /// Quantizes weight [n, k] per output row: scale = max|w| / levels, q = w / scale rounded to nearest even, within ±levels.
    /// </summary>
    public static (int[] Quantized, float[] Scales) QuantizeWeights(float[] weight, int n, int k, int levels)
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
            float scale = max / levels;
            scales[o] = scale;
            for (int i = 0; i < k; i++)
            {
                quantized[o * k + i] = scale == 0f ? 0 : (int)Math.Clamp(MathF.Round(weight[o * k + i] / scale, MidpointRounding.ToEven), -levels, levels);
            }
        }
        return (quantized, scales);
    }

    /// <summary>
    /// Quantizes x [m, k] per row to [0, 255] over the row's range: offset = min x, scale = (max − min) / 255,
    /// u = (x − min) · (255 / (max − min)) rounded to nearest even. A constant row gets scale 0 and u = 0.
    /// </summary>
    public static (int[] Quantized, float[] Scales, float[] Offsets) QuantizeActivations(float[] x, int m, int k)
    {
        var quantized = new int[m * k];
        var scales = new float[m];
        var offsets = new float[m];
        for (int r = 0; r < m; r++)
        {
            float min = float.PositiveInfinity, max = float.NegativeInfinity;
            for (int i = 0; i < k; i++)
            {
                min = Math.Min(min, x[r * k + i]);
                max = Math.Max(max, x[r * k + i]);
            }
            float range = max - min;
            scales[r] = range / 255;
            offsets[r] = min;
            float inverse = range > 0f ? 255 / range : 0f;
            for (int i = 0; i < k; i++)
            {
                quantized[r * k + i] = Math.Clamp((int)MathF.Round((x[r * k + i] - min) * inverse, MidpointRounding.ToEven), 0, 255);
            }
        }
        return (quantized, scales, offsets);
    }

    /// <summary>
    /// y = dequantize(u(x)·q(W)ᵀ) + b with exact integer dot products:
    /// y[r, o] = ((float)Σ u·q · rowScale + rowOffset · (float)Σ q) · colScale + b[o] (in that order, in float, as the kernels do).
    /// </summary>
    public static float[] LinearInt8(float[] x, int m, int k, float[] weight, float[]? bias, int n, int weightLevels)
    {
        (int[] qw, float[] colScales) = QuantizeWeights(weight, n, k, weightLevels);
        (int[] ux, float[] rowScales, float[] rowOffsets) = QuantizeActivations(x, m, k);
        var y = new float[m * n];
        for (int o = 0; o < n; o++)
        {
            long weightSum = 0;
            for (int i = 0; i < k; i++)
            {
                weightSum += qw[o * k + i];
            }
            for (int r = 0; r < m; r++)
            {
                long dot = 0;
                for (int i = 0; i < k; i++)
                {
                    dot += (long)ux[r * k + i] * qw[o * k + i];
                }
                float dequantized = ((float)dot * rowScales[r] + rowOffsets[r] * (float)weightSum) * colScales[o];
                y[r * n + o] = dequantized + (bias is null ? 0f : bias[o]);
            }
        }
        return y;
    }
}
