using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using BenchmarkDotNet.Attributes;

namespace TransformerKernels.Bench;

/// <summary>
/// This core's int8 ceiling for the active int8 path, measured in the same run as the kernels: the path's own register tile
/// (Avx512Vnni the assembled 12 × 2 zmm VPDPBUSD tile, called as the GEMMs call it; Avx512BW 12 rows × 2 zmm of VPMADDUBSW +
/// VPMADDWD + VPADDD, AvxVnni 6 × 2 ymm of VPDPBUSD, Avx2 4 × 2 ymm), with its
/// weight loads and activation broadcasts, over a 12 KB panel pair and 12 activation rows that stay in L1 — so "% of the
/// int8 peak" is what a GEMM loses to memory, quantizing A, the epilogue and row remainders.
/// </summary>
/// <remarks>
/// Register-only loops are no ceiling here: with one x and one w for every accumulator the JIT computed the product once per
/// iteration (it read 318 "GOP/s", above any real loop); with distinct registers it ran at 165 while this tile loop, with its
/// loads, ran at ~230 on Zen 4 — a probe that the kernels beat is no peak. Cross-checked against the same tile compiled by
/// gcc (bench/native/int8-tile-peak.c, run by bench/run.sh): 227–233 GOP/s on Zen 4, against 230 here.
/// </remarks>
public unsafe class Int8PeakBenchmarks
{
    /// <summary>Groups of 4 inputs per pass (a K of 384); the tile runs <see cref="Passes"/> times per call.</summary>
    public const int Groups = 96;

    /// <summary>Tile passes per call.</summary>
    public const int Passes = 400;

    private byte* _activations;
    private sbyte* _weights;
    private int* _dots;

    /// <summary>Integer operations (multiply + add = 2 per u8×s8 product) of one call on the active path.</summary>
    public static long Ops => OpsOf(Int8Paths.Active);

    /// <summary>Integer operations of one call of <paramref name="path"/>'s tile.</summary>
    public static long OpsOf(Int8KernelPath path) => path switch
    {
        Int8KernelPath.Avx512BW or Int8KernelPath.Avx512Vnni => Passes * (long)Groups * 12 * 2 * 64 * 2,
        Int8KernelPath.AvxVnni => Passes * (long)Groups * 6 * 2 * 32 * 2,
        Int8KernelPath.Avx2 => Passes * (long)Groups * 4 * 2 * 32 * 2,
        _ => 0,
    };

    [GlobalSetup]
    public void Setup()
    {
        _activations = (byte*)NativeMemory.AlignedAlloc(12 * Groups * 4, 64);
        _weights = (sbyte*)NativeMemory.AlignedAlloc(2 * Groups * 64, 64);
        _dots = (int*)NativeMemory.AlignedAlloc(12 * 32 * sizeof(int), 64);
        for (int i = 0; i < 12 * Groups * 4; i++)
        {
            _activations[i] = (byte)(i * 7);
        }
        for (int i = 0; i < 2 * Groups * 64; i++)
        {
            _weights[i] = (sbyte)(i * 13 % 127 - 63);
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        NativeMemory.AlignedFree(_activations);
        NativeMemory.AlignedFree(_weights);
        NativeMemory.AlignedFree(_dots);
    }

    /// <summary>
    /// The C# Avx512BW tile whatever the active path, so the assembled VPDPBUSD tile's gain over it is a ratio of one run
    /// (both are 12 × 32 tiles over the same L1-resident data).
    /// </summary>
    [Benchmark]
    public int Avx512BWTilePeak()
    {
        int sum = 0;
        for (int pass = 0; pass < Passes; pass++)
        {
            sum += Avx512BW.IsSupported ? Avx512BWTile(_activations, _weights) : 0;
        }
        return sum;
    }

    /// <summary>The assembled tile: a call through <c>delegate* unmanaged</c> (full GC transition) per 12 × 32 tile of K = 384.</summary>
    private static int AssembledTile(byte* a, sbyte* w, int* dots)
    {
        AssembledInt8Tiles.Tile(12, 2)(a, Groups * 4, w, Groups * 64, Groups, dots);
        return dots[0] + dots[12 * 32 - 1];
    }

    [Benchmark]
    public int Int8Peak()
    {
        int sum = 0;
        for (int pass = 0; pass < Passes; pass++)
        {
            sum += Int8Paths.Active switch
            {
                Int8KernelPath.Avx512Vnni => AssembledTile(_activations, _weights, _dots),
                Int8KernelPath.Avx512BW => Avx512BWTile(_activations, _weights),
                Int8KernelPath.AvxVnni => AvxVnniTile(_activations, _weights),
                Int8KernelPath.Avx2 => Avx2Tile(_activations, _weights),
                _ => 0,
            };
        }
        return sum;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    private static int Avx512BWTile(byte* a, sbyte* w)
    {
        const int lda = Groups * 4;
        Vector512<int> a0 = Vector512<int>.Zero, a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0, a8 = a0, a9 = a0, a10 = a0, a11 = a0;
        Vector512<int> b0 = a0, b1 = a0, b2 = a0, b3 = a0, b4 = a0, b5 = a0, b6 = a0, b7 = a0, b8 = a0, b9 = a0, b10 = a0, b11 = a0;
        Vector512<short> ones = Vector512.Create((short)1);
        for (int g = 0; g < Groups; g++, a += 4, w += 64)
        {
            Vector512<sbyte> w0 = Vector512.Load(w), w1 = Vector512.Load(w + Groups * 64);
            Vector512<byte> x = X(a); a0 += Step(x, w0, ones); b0 += Step(x, w1, ones);
            x = X(a + lda); a1 += Step(x, w0, ones); b1 += Step(x, w1, ones);
            x = X(a + 2 * lda); a2 += Step(x, w0, ones); b2 += Step(x, w1, ones);
            x = X(a + 3 * lda); a3 += Step(x, w0, ones); b3 += Step(x, w1, ones);
            x = X(a + 4 * lda); a4 += Step(x, w0, ones); b4 += Step(x, w1, ones);
            x = X(a + 5 * lda); a5 += Step(x, w0, ones); b5 += Step(x, w1, ones);
            x = X(a + 6 * lda); a6 += Step(x, w0, ones); b6 += Step(x, w1, ones);
            x = X(a + 7 * lda); a7 += Step(x, w0, ones); b7 += Step(x, w1, ones);
            x = X(a + 8 * lda); a8 += Step(x, w0, ones); b8 += Step(x, w1, ones);
            x = X(a + 9 * lda); a9 += Step(x, w0, ones); b9 += Step(x, w1, ones);
            x = X(a + 10 * lda); a10 += Step(x, w0, ones); b10 += Step(x, w1, ones);
            x = X(a + 11 * lda); a11 += Step(x, w0, ones); b11 += Step(x, w1, ones);
        }
        return Vector512.Sum(a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11 + b0 + b1 + b2 + b3 + b4 + b5 + b6 + b7 + b8 + b9 + b10 + b11);

        static Vector512<byte> X(byte* p) => Vector512.Create(*(int*)p).AsByte();

        static Vector512<int> Step(Vector512<byte> x, Vector512<sbyte> w, Vector512<short> ones) =>
            Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(x, w), ones);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    private static int AvxVnniTile(byte* a, sbyte* w)
    {
        const int lda = Groups * 4;
        Vector256<int> a0 = Vector256<int>.Zero, a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0, b4 = a0, b5 = a0;
        for (int g = 0; g < Groups; g++, a += 4, w += 64)
        {
            Vector256<sbyte> w0 = Vector256.Load(w), w1 = Vector256.Load(w + 32);
            Vector256<byte> x = X(a); a0 = AvxVnni.MultiplyWideningAndAdd(a0, x, w0); b0 = AvxVnni.MultiplyWideningAndAdd(b0, x, w1);
            x = X(a + lda); a1 = AvxVnni.MultiplyWideningAndAdd(a1, x, w0); b1 = AvxVnni.MultiplyWideningAndAdd(b1, x, w1);
            x = X(a + 2 * lda); a2 = AvxVnni.MultiplyWideningAndAdd(a2, x, w0); b2 = AvxVnni.MultiplyWideningAndAdd(b2, x, w1);
            x = X(a + 3 * lda); a3 = AvxVnni.MultiplyWideningAndAdd(a3, x, w0); b3 = AvxVnni.MultiplyWideningAndAdd(b3, x, w1);
            x = X(a + 4 * lda); a4 = AvxVnni.MultiplyWideningAndAdd(a4, x, w0); b4 = AvxVnni.MultiplyWideningAndAdd(b4, x, w1);
            x = X(a + 5 * lda); a5 = AvxVnni.MultiplyWideningAndAdd(a5, x, w0); b5 = AvxVnni.MultiplyWideningAndAdd(b5, x, w1);
        }
        return Vector256.Sum(a0 + a1 + a2 + a3 + a4 + a5 + b0 + b1 + b2 + b3 + b4 + b5);

        static Vector256<byte> X(byte* p) => Vector256.Create(*(int*)p).AsByte();
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    private static int Avx2Tile(byte* a, sbyte* w)
    {
        const int lda = Groups * 4;
        Vector256<int> a0 = Vector256<int>.Zero, a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
        Vector256<short> ones = Vector256.Create((short)1);
        for (int g = 0; g < Groups; g++, a += 4, w += 64)
        {
            Vector256<sbyte> w0 = Vector256.Load(w), w1 = Vector256.Load(w + 32);
            Vector256<byte> x = X(a); a0 += Step(x, w0, ones); b0 += Step(x, w1, ones);
            x = X(a + lda); a1 += Step(x, w0, ones); b1 += Step(x, w1, ones);
            x = X(a + 2 * lda); a2 += Step(x, w0, ones); b2 += Step(x, w1, ones);
            x = X(a + 3 * lda); a3 += Step(x, w0, ones); b3 += Step(x, w1, ones);
        }
        return Vector256.Sum(a0 + a1 + a2 + a3 + b0 + b1 + b2 + b3);

        static Vector256<byte> X(byte* p) => Vector256.Create(*(int*)p).AsByte();

        static Vector256<int> Step(Vector256<byte> x, Vector256<sbyte> w, Vector256<short> ones) =>
            Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(x, w), ones);
    }
}
