using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace TransformerKernels;

/// <summary>The instruction set the generated kernels run on.</summary>
public enum KernelPath
{
    /// <summary>Plain scalar code; used when the runtime offers no hardware vectors (<c>DOTNET_EnableHWIntrinsic=0</c>).</summary>
    Scalar = 0,

    /// <summary>Vector256 with AVX2 + FMA: 16 ymm registers, 6×16 register tiles.</summary>
    Avx2 = 1,

    /// <summary>Vector512 (AVX-512F): 32 zmm registers, 12×32 register tiles.</summary>
    Avx512 = 2,
}

/// <summary>Chooses the kernel path once per process.</summary>
public static class KernelPaths
{
    /// <summary>
    /// The path every generated kernel takes. A static readonly field, so the optimizing JIT folds the dispatch
    /// branch away; Native AOT folds it too when the instruction set is fixed at publish time.
    /// </summary>
    public static readonly KernelPath Active = Detect();

    /// <summary>Describes the active path for logs and <c>--verbose</c> output.</summary>
    public static string Describe() => Active switch
    {
        KernelPath.Avx512 => "Avx512 (Vector512, 12×32 register tiles)",
        KernelPath.Avx2 => "Avx2 (Vector256 + FMA, 6×16 register tiles)",
        _ => "Scalar (no hardware vectors)",
    };

    private static KernelPath Detect()
    {
        if (Vector512.IsHardwareAccelerated && Avx512F.IsSupported)
        {
            return KernelPath.Avx512;
        }
        if (Vector256.IsHardwareAccelerated && Avx2.IsSupported && Fma.IsSupported)
        {
            return KernelPath.Avx2;
        }
        return KernelPath.Scalar;
    }
}
