using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using BenchmarkDotNet.Attributes;

namespace TransformerKernels.Bench;

/// <summary>
/// This core's int8 multiply-accumulate peak with the instruction mix the active int8 path uses, measured in the same run
/// as the kernels: Avx512BW and Avx2 do VPMADDUBSW + VPMADDWD (× ones) + VPADDD per accumulator, AvxVnni one VPDPBUSD.
/// Independent accumulators in registers (24 zmm, 12 ymm: VEX-encoded VPDPBUSD reaches only ymm0–15), nothing else.
/// </summary>
public class Int8PeakBenchmarks
{
    /// <summary>Steps per accumulator per call.</summary>
    public const int Iterations = 50_000;

    /// <summary>Integer operations (multiply + add = 2 per u8×s8 product) of one call of the active path's loop.</summary>
    public static long Ops => Int8Paths.Active switch
    {
        Int8KernelPath.Avx512BW => Iterations * 24L * 64 * 2,
        Int8KernelPath.AvxVnni => Iterations * 12L * 32 * 2,
        Int8KernelPath.Avx2 => Iterations * 12L * 32 * 2,
        _ => 0,
    };

    [Benchmark]
    public int Int8Peak() => Int8Paths.Active switch
    {
        Int8KernelPath.Avx512BW => Avx512BW(),
        Int8KernelPath.AvxVnni => AvxVnniLoop(),
        Int8KernelPath.Avx2 => Avx2Loop(),
        _ => 0,
    };

    private static int Avx512BW()
    {
        Vector512<byte> x = Vector512.Create((byte)3);
        Vector512<sbyte> w = Vector512.Create((sbyte)-2);
        Vector512<short> ones = Vector512.Create((short)1);
        Vector512<int> a0 = Vector512<int>.Zero, a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0, a8 = a0, a9 = a0, a10 = a0, a11 = a0;
        Vector512<int> b0 = a0, b1 = a0, b2 = a0, b3 = a0, b4 = a0, b5 = a0, b6 = a0, b7 = a0, b8 = a0, b9 = a0, b10 = a0, b11 = a0;
        for (int i = 0; i < Iterations; i++)
        {
            a0 += Step(x, w, ones); a1 += Step(x, w, ones); a2 += Step(x, w, ones); a3 += Step(x, w, ones);
            a4 += Step(x, w, ones); a5 += Step(x, w, ones); a6 += Step(x, w, ones); a7 += Step(x, w, ones);
            a8 += Step(x, w, ones); a9 += Step(x, w, ones); a10 += Step(x, w, ones); a11 += Step(x, w, ones);
            b0 += Step(x, w, ones); b1 += Step(x, w, ones); b2 += Step(x, w, ones); b3 += Step(x, w, ones);
            b4 += Step(x, w, ones); b5 += Step(x, w, ones); b6 += Step(x, w, ones); b7 += Step(x, w, ones);
            b8 += Step(x, w, ones); b9 += Step(x, w, ones); b10 += Step(x, w, ones); b11 += Step(x, w, ones);
            x = (x.AsInt32() + Vector512<int>.One).AsByte(); // keeps the JIT from hoisting the products out of the loop
        }
        return Vector512.Sum(a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11 + b0 + b1 + b2 + b3 + b4 + b5 + b6 + b7 + b8 + b9 + b10 + b11);

        static Vector512<int> Step(Vector512<byte> x, Vector512<sbyte> w, Vector512<short> ones) =>
            System.Runtime.Intrinsics.X86.Avx512BW.MultiplyAddAdjacent(System.Runtime.Intrinsics.X86.Avx512BW.MultiplyAddAdjacent(x, w), ones);
    }

    private static int AvxVnniLoop()
    {
        Vector256<byte> x = Vector256.Create((byte)3);
        Vector256<sbyte> w = Vector256.Create((sbyte)-2);
        Vector256<int> a0 = Vector256<int>.Zero, a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0, a8 = a0, a9 = a0, a10 = a0, a11 = a0;
        for (int i = 0; i < Iterations; i++)
        {
            a0 = AvxVnni.MultiplyWideningAndAdd(a0, x, w); a1 = AvxVnni.MultiplyWideningAndAdd(a1, x, w);
            a2 = AvxVnni.MultiplyWideningAndAdd(a2, x, w); a3 = AvxVnni.MultiplyWideningAndAdd(a3, x, w);
            a4 = AvxVnni.MultiplyWideningAndAdd(a4, x, w); a5 = AvxVnni.MultiplyWideningAndAdd(a5, x, w);
            a6 = AvxVnni.MultiplyWideningAndAdd(a6, x, w); a7 = AvxVnni.MultiplyWideningAndAdd(a7, x, w);
            a8 = AvxVnni.MultiplyWideningAndAdd(a8, x, w); a9 = AvxVnni.MultiplyWideningAndAdd(a9, x, w);
            a10 = AvxVnni.MultiplyWideningAndAdd(a10, x, w); a11 = AvxVnni.MultiplyWideningAndAdd(a11, x, w);
        }
        return Vector256.Sum(a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11);
    }

    private static int Avx2Loop()
    {
        Vector256<byte> x = Vector256.Create((byte)3);
        Vector256<sbyte> w = Vector256.Create((sbyte)-2);
        Vector256<short> ones = Vector256.Create((short)1);
        Vector256<int> a0 = Vector256<int>.Zero, a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0, a8 = a0, a9 = a0, a10 = a0, a11 = a0;
        for (int i = 0; i < Iterations; i++)
        {
            a0 += Step(x, w, ones); a1 += Step(x, w, ones); a2 += Step(x, w, ones); a3 += Step(x, w, ones);
            a4 += Step(x, w, ones); a5 += Step(x, w, ones); a6 += Step(x, w, ones); a7 += Step(x, w, ones);
            a8 += Step(x, w, ones); a9 += Step(x, w, ones); a10 += Step(x, w, ones); a11 += Step(x, w, ones);
            x = (x.AsInt32() + Vector256<int>.One).AsByte();
        }
        return Vector256.Sum(a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11);

        static Vector256<int> Step(Vector256<byte> x, Vector256<sbyte> w, Vector256<short> ones) =>
            System.Runtime.Intrinsics.X86.Avx2.MultiplyAddAdjacent(System.Runtime.Intrinsics.X86.Avx2.MultiplyAddAdjacent(x, w), ones);
    }
}
