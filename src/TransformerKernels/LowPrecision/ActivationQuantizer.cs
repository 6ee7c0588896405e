using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace TransformerKernels;

/// <summary>
/// Quantizes activation rows for the int8 GEMMs, one scale per row: q = round(x · levels / max|x|) (nearest even), clamped
/// to ±levels, stored unsigned as q + levels + 1 (the u8 operand of VPDPBUSD / VPMADDUBSW); padding inputs past K hold the
/// offset, which the zero weight padding cancels. The Vector512, Vector256 and scalar loops do the same float operations
/// in the same order per element, so every path produces the same bytes.
/// </summary>
public static unsafe class ActivationQuantizer
{
    /// <summary>Quantizes <paramref name="rows"/> rows of <paramref name="k"/> floats.</summary>
    /// <param name="a">First row; rows are <paramref name="lda"/> floats apart.</param>
    /// <param name="rows">Rows to quantize.</param>
    /// <param name="lda">Floats between rows of <paramref name="a"/>.</param>
    /// <param name="k">Values per row.</param>
    /// <param name="quantized">Receives rows of <paramref name="ldq"/> bytes (≥ k rounded up to 4).</param>
    /// <param name="ldq">Bytes between quantized rows.</param>
    /// <param name="rowScales">Receives each row's scale (x ≈ q · scale); NaN when the row holds NaN or ∞, so it stays visible downstream.</param>
    /// <param name="levels">Largest |q| (127 or 63, see <see cref="Int8Paths.ActivationLevels"/>).</param>
    public static void QuantizeRows(float* a, int rows, int lda, int k, byte* quantized, int ldq, float* rowScales, int levels)
    {
        for (int row = 0; row < rows; row++)
        {
            float* x = a + (long)row * lda;
            byte* q = quantized + (long)row * ldq;
            float maxAbs = MaxAbs(x, k);
            bool finite = float.IsFinite(maxAbs);
            rowScales[row] = finite ? maxAbs / levels : float.NaN;
            float inverse = finite && maxAbs > 0f ? levels / maxAbs : 0f;
            int i = 0;
            if (Vector512.IsHardwareAccelerated && Avx512F.IsSupported)
            {
                for (; i + 16 <= k; i += 16)
                {
                    Vector512<int> value = Quantize(Vector512.Load(x + i), inverse, levels);
                    Vector128.Store(Avx512F.ConvertToVector128Byte(value), q + i);
                }
            }
            else if (Vector256.IsHardwareAccelerated)
            {
                for (; i + 32 <= k; i += 32)
                {
                    Vector256<short> low = Vector256.Narrow(Quantize(Vector256.Load(x + i), inverse, levels), Quantize(Vector256.Load(x + i + 8), inverse, levels));
                    Vector256<short> high = Vector256.Narrow(Quantize(Vector256.Load(x + i + 16), inverse, levels), Quantize(Vector256.Load(x + i + 24), inverse, levels));
                    Vector256.Narrow(low.AsUInt16(), high.AsUInt16()).Store(q + i);
                }
            }
            for (; i < k; i++)
            {
                q[i] = (byte)(Math.Clamp((int)MathF.Round(x[i] * inverse), -levels, levels) + levels + 1);
            }
            for (; i < ldq; i++)
            {
                q[i] = (byte)(levels + 1);
            }
        }
    }

    /// <summary>max |x| over the row; NaN or ∞ when the row has one.</summary>
    private static float MaxAbs(float* x, int k)
    {
        float max = 0f;
        float check = 0f; // x·0 is NaN exactly when x is NaN or ∞
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            Vector512<float> maxes = Vector512<float>.Zero, checks = Vector512<float>.Zero;
            for (; i + 16 <= k; i += 16)
            {
                Vector512<float> v = Vector512.Load(x + i);
                maxes = Vector512.MaxNative(maxes, Vector512.Abs(v));
                checks += v * Vector512<float>.Zero;
            }
            max = Vector512.Max(maxes, Vector512<float>.Zero).ToScalarMax();
            check = Vector512.Sum(checks);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            Vector256<float> maxes = Vector256<float>.Zero, checks = Vector256<float>.Zero;
            for (; i + 8 <= k; i += 8)
            {
                Vector256<float> v = Vector256.Load(x + i);
                maxes = Vector256.MaxNative(maxes, Vector256.Abs(v));
                checks += v * Vector256<float>.Zero;
            }
            for (int lane = 0; lane < 8; lane++)
            {
                max = MathF.Max(max, maxes[lane]);
            }
            check = Vector256.Sum(checks);
        }
        for (; i < k; i++)
        {
            max = MathF.Max(max, MathF.Abs(x[i]));
            check += x[i] * 0f;
        }
        return float.IsNaN(check) ? float.NaN : max;
    }

    private static float ToScalarMax(this Vector512<float> v)
    {
        float max = 0f;
        for (int lane = 0; lane < 16; lane++)
        {
            max = MathF.Max(max, v[lane]);
        }
        return max;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<int> Quantize(Vector512<float> x, float inverse, int levels) =>
        Vector512.Clamp(Vector512.ConvertToInt32(Vector512.Round(x * Vector512.Create(inverse))), Vector512.Create(-levels), Vector512.Create(levels)) + Vector512.Create(levels + 1);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Quantize(Vector256<float> x, float inverse, int levels) =>
        Vector256.Clamp(Vector256.ConvertToInt32(Vector256.Round(x * Vector256.Create(inverse))), Vector256.Create(-levels), Vector256.Create(levels)) + Vector256.Create(levels + 1);
}

/// <summary>
/// Per-thread scratch for quantized activations: a GEMM call quantizes its A on the calling thread before the workers read
/// it. Grows to the largest request once, then is reused (no allocation per forward); freed with the thread.
/// </summary>
public static unsafe class QuantizationScratch
{
    [ThreadStatic]
    private static NativeBuffer? t_buffer;

    /// <summary>At least <paramref name="bytes"/> bytes, 64-byte aligned, valid until this thread's next call.</summary>
    public static byte* Rent(long bytes)
    {
        NativeBuffer? buffer = t_buffer;
        if (buffer is null || buffer.Length * sizeof(float) < bytes)
        {
            buffer?.Dispose();
            buffer = new NativeBuffer((bytes + 3) / 4, zeroed: false);
            t_buffer = buffer;
        }
        return (byte*)buffer.Pointer;
    }
}
