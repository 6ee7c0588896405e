using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using BenchmarkDotNet.Attributes;

namespace TransformerKernels.Bench;

/// <summary>
/// This core's FP32 FMA peak, measured in the same run as the kernels: 24 (512-bit) or 12 (256-bit) independent
/// accumulators, well above latency × throughput on Zen 4 and Zen 5, doing nothing but FMAs in registers.
/// </summary>
public class PeakBenchmarks
{
    /// <summary>FMA instructions per accumulator per call.</summary>
    public const int Iterations = 100_000;

    /// <summary>Floating-point operations per call of the 512-bit loop: Iterations/2 × 24 accumulators × 16 lanes × 2 (multiply + add).</summary>
    public const long Flops512 = Iterations / 2 * 24L * 16 * 2;

    /// <summary>Same for 256-bit.</summary>
    public const long Flops256 = Iterations * 12L * 8 * 2;

    [Benchmark]
    public float FmaPeak512()
    {
        if (!Avx512F.IsSupported) return 0;
        Vector512<float> m = Vector512.Create(0.999999f), add = Vector512.Create(1e-7f);
        Vector512<float> a0 = Vector512.Create(1f), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0, a8 = a0, a9 = a0, a10 = a0, a11 = a0;
        Vector512<float> b0 = a0, b1 = a0, b2 = a0, b3 = a0, b4 = a0, b5 = a0, b6 = a0, b7 = a0, b8 = a0, b9 = a0, b10 = a0, b11 = a0;
        for (int i = 0; i < Iterations / 2; i++)
        {
            a0 = Avx512F.FusedMultiplyAdd(m, add, a0); a1 = Avx512F.FusedMultiplyAdd(m, add, a1);
            a2 = Avx512F.FusedMultiplyAdd(m, add, a2); a3 = Avx512F.FusedMultiplyAdd(m, add, a3);
            a4 = Avx512F.FusedMultiplyAdd(m, add, a4); a5 = Avx512F.FusedMultiplyAdd(m, add, a5);
            a6 = Avx512F.FusedMultiplyAdd(m, add, a6); a7 = Avx512F.FusedMultiplyAdd(m, add, a7);
            a8 = Avx512F.FusedMultiplyAdd(m, add, a8); a9 = Avx512F.FusedMultiplyAdd(m, add, a9);
            a10 = Avx512F.FusedMultiplyAdd(m, add, a10); a11 = Avx512F.FusedMultiplyAdd(m, add, a11);
            b0 = Avx512F.FusedMultiplyAdd(m, add, b0); b1 = Avx512F.FusedMultiplyAdd(m, add, b1);
            b2 = Avx512F.FusedMultiplyAdd(m, add, b2); b3 = Avx512F.FusedMultiplyAdd(m, add, b3);
            b4 = Avx512F.FusedMultiplyAdd(m, add, b4); b5 = Avx512F.FusedMultiplyAdd(m, add, b5);
            b6 = Avx512F.FusedMultiplyAdd(m, add, b6); b7 = Avx512F.FusedMultiplyAdd(m, add, b7);
            b8 = Avx512F.FusedMultiplyAdd(m, add, b8); b9 = Avx512F.FusedMultiplyAdd(m, add, b9);
            b10 = Avx512F.FusedMultiplyAdd(m, add, b10); b11 = Avx512F.FusedMultiplyAdd(m, add, b11);
        }
        return Vector512.Sum(a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11 + b0 + b1 + b2 + b3 + b4 + b5 + b6 + b7 + b8 + b9 + b10 + b11);
    }

    [Benchmark]
    public float FmaPeak256()
    {
        if (!Fma.IsSupported) return 0;
        Vector256<float> m = Vector256.Create(0.999999f), add = Vector256.Create(1e-7f);
        Vector256<float> a0 = Vector256.Create(1f), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0, a8 = a0, a9 = a0, a10 = a0, a11 = a0;
        for (int i = 0; i < Iterations; i++)
        {
            a0 = Fma.MultiplyAdd(m, add, a0); a1 = Fma.MultiplyAdd(m, add, a1);
            a2 = Fma.MultiplyAdd(m, add, a2); a3 = Fma.MultiplyAdd(m, add, a3);
            a4 = Fma.MultiplyAdd(m, add, a4); a5 = Fma.MultiplyAdd(m, add, a5);
            a6 = Fma.MultiplyAdd(m, add, a6); a7 = Fma.MultiplyAdd(m, add, a7);
            a8 = Fma.MultiplyAdd(m, add, a8); a9 = Fma.MultiplyAdd(m, add, a9);
            a10 = Fma.MultiplyAdd(m, add, a10); a11 = Fma.MultiplyAdd(m, add, a11);
        }
        return Vector256.Sum(a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11);
    }
}
