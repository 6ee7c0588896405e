using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace TransformerKernels;

/// <summary>Widens BF16 weights to FP32 lanes inside the GEMM tiles: zero-extend to 32 bits, shift left 16 (exact).</summary>
public static unsafe class Bf16Lanes
{
    /// <summary>16 BF16 values → one Vector512 of floats.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Widen512(ushort* source) =>
        Avx512F.ShiftLeftLogical(Avx512F.ConvertToVector512Int32(Vector256.Load(source)), 16).AsSingle();

    /// <summary>8 BF16 values → one Vector256 of floats.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Widen256(ushort* source) =>
        Avx2.ShiftLeftLogical(Avx2.ConvertToVector256Int32(Vector128.Load(source)), 16).AsSingle();

    /// <summary>One BF16 value → float.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Widen(ushort value) => BitConverter.UInt32BitsToSingle((uint)value << 16);
}
