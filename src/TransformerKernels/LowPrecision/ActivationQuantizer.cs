using System.ComponentModel;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace TransformerKernels;

/// <summary>
/// Quantizes activation rows for the int8 GEMMs, asymmetrically, one scale and one offset per row: with lo = min x and
/// scale = (max x − lo) / 255, u = round((x − lo) / scale) (nearest even) ∈ [0, 255] is the u8 operand of VPDPBUSD /
/// VPMADDUBSW and x ≈ lo + scale · u. All 256 levels cover the row's actual range — a LayerNorm output with one large
/// positive outlier or a GELU output (≥ −0.17) loses about half the levels to a symmetric ±max scale. The GEMM epilogue
/// puts the offset back: Σₖ x·w ≈ colScale · (scale · Σ u·q + lo · Σ q). Padding inputs past K hold 0. The Vector512,
/// Vector256 and scalar loops do the same float operations per element, so every path produces the same bytes.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static unsafe class ActivationQuantizer
{
    /// <summary>Largest quantized activation.</summary>
    public const int Levels = 255;

    /// <summary>Quantizes <paramref name="rows"/> rows of <paramref name="k"/> floats.</summary>
    /// <param name="a">First row; rows are <paramref name="lda"/> floats apart.</param>
    /// <param name="rows">Rows to quantize.</param>
    /// <param name="lda">Floats between rows of <paramref name="a"/>.</param>
    /// <param name="k">Values per row.</param>
    /// <param name="quantized">Receives rows of <paramref name="ldq"/> bytes (≥ k rounded up to 4).</param>
    /// <param name="ldq">Bytes between quantized rows.</param>
    /// <param name="rowScales">Receives each row's scale; NaN when the row holds NaN or ∞, so it stays visible downstream.</param>
    /// <param name="rowOffsets">Receives each row's offset (its minimum); NaN as for the scale.</param>
    public static void QuantizeRows(float* a, int rows, int lda, int k, byte* quantized, int ldq, float* rowScales, float* rowOffsets)
    {
        var job = new Job { A = a, Lda = lda, K = k, Quantized = quantized, Ldq = ldq, RowScales = rowScales, RowOffsets = rowOffsets };
        // Rows are independent, so a large block (a prefill, a packed batch) is split over the kernel threads like the GEMM
        // that follows; about ten operations per element decide whether a second thread is worth waking.
        KernelThreads.Run(rows, &QuantizeRange, &job, 10L * rows * k);
    }

    /// <summary>What <see cref="QuantizeRange"/> needs, passed by pointer to the kernel threads.</summary>
    private struct Job
    {
        public float* A;
        public int Lda, K, Ldq;
        public byte* Quantized;
        public float* RowScales, RowOffsets;
    }

    /// <summary>Rows [start, end) of the job.</summary>
    // Fully optimized from the first call, like the generated kernels: at tier 0 its vector loops run several times slower.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void QuantizeRange(void* state, int start, int end)
    {
        var job = (Job*)state;
        int lda = job->Lda, k = job->K, ldq = job->Ldq;
        float* rowScales = job->RowScales, rowOffsets = job->RowOffsets;
        for (int row = start; row < end; row++)
        {
            float* x = job->A + (long)row * lda;
            byte* q = job->Quantized + (long)row * ldq;
            (float min, float max) = MinMax(x, k);
            float range = max - min;
            bool finite = float.IsFinite(range);
            rowScales[row] = finite ? range / Levels : float.NaN;
            rowOffsets[row] = finite ? min : float.NaN;
            float inverse = finite && range > 0f ? Levels / range : 0f;
            if (!finite)
            {
                min = 0f;
            }
            int i = 0;
            if (Vector512.IsHardwareAccelerated && Avx512F.IsSupported)
            {
                for (; i + 16 <= k; i += 16)
                {
                    Vector128.Store(Avx512F.ConvertToVector128Byte(Quantize(Vector512.Load(x + i), min, inverse)), q + i);
                }
            }
            else if (Vector256.IsHardwareAccelerated)
            {
                for (; i + 32 <= k; i += 32)
                {
                    Vector256<short> low = Vector256.Narrow(Quantize(Vector256.Load(x + i), min, inverse), Quantize(Vector256.Load(x + i + 8), min, inverse));
                    Vector256<short> high = Vector256.Narrow(Quantize(Vector256.Load(x + i + 16), min, inverse), Quantize(Vector256.Load(x + i + 24), min, inverse));
                    Vector256.Narrow(low.AsUInt16(), high.AsUInt16()).Store(q + i);
                }
            }
            for (; i < k; i++)
            {
                q[i] = (byte)Math.Clamp((int)MathF.Round((x[i] - min) * inverse), 0, Levels);
            }
            for (; i < ldq; i++)
            {
                q[i] = 0;
            }
        }
    }

    /// <summary>Smallest and largest value of the row; NaN when the row has NaN or ∞.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static (float Min, float Max) MinMax(float* x, int k)
    {
        float min = x[0], max = x[0];
        float check = 0f; // x·0 is NaN exactly when x is NaN or ∞
        int i = 0;
        if (Vector512.IsHardwareAccelerated && k >= 16)
        {
            Vector512<float> mins = Vector512.Load(x), maxes = mins, checks = Vector512<float>.Zero;
            for (; i + 16 <= k; i += 16)
            {
                Vector512<float> v = Vector512.Load(x + i);
                mins = Vector512.MinNative(mins, v);
                maxes = Vector512.MaxNative(maxes, v);
                checks += v * Vector512<float>.Zero;
            }
            for (int lane = 0; lane < 16; lane++)
            {
                min = MathF.Min(min, mins[lane]);
                max = MathF.Max(max, maxes[lane]);
            }
            check = Vector512.Sum(checks);
        }
        else if (Vector256.IsHardwareAccelerated && k >= 8)
        {
            Vector256<float> mins = Vector256.Load(x), maxes = mins, checks = Vector256<float>.Zero;
            for (; i + 8 <= k; i += 8)
            {
                Vector256<float> v = Vector256.Load(x + i);
                mins = Vector256.MinNative(mins, v);
                maxes = Vector256.MaxNative(maxes, v);
                checks += v * Vector256<float>.Zero;
            }
            for (int lane = 0; lane < 8; lane++)
            {
                min = MathF.Min(min, mins[lane]);
                max = MathF.Max(max, maxes[lane]);
            }
            check = Vector256.Sum(checks);
        }
        for (; i < k; i++)
        {
            min = MathF.Min(min, x[i]);
            max = MathF.Max(max, x[i]);
            check += x[i] * 0f;
        }
        return float.IsNaN(check) ? (float.NaN, float.NaN) : (min, max);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<int> Quantize(Vector512<float> x, float min, float inverse) =>
        Vector512.Clamp(Vector512.ConvertToInt32(Vector512.Round((x - Vector512.Create(min)) * Vector512.Create(inverse))), Vector512<int>.Zero, Vector512.Create(Levels));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Quantize(Vector256<float> x, float min, float inverse) =>
        Vector256.Clamp(Vector256.ConvertToInt32(Vector256.Round((x - Vector256.Create(min)) * Vector256.Create(inverse))), Vector256<int>.Zero, Vector256.Create(Levels));
}
