using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace TransformerKernels;

/// <summary>The instruction sequence the int8 GEMMs multiply with.</summary>
public enum Int8KernelPath
{
    /// <summary>Plain integer loops.</summary>
    Scalar = 0,

    /// <summary>Vector256 VPMADDUBSW + VPMADDWD (AVX2): 7-bit weights so the int16 pair sums cannot saturate.</summary>
    Avx2 = 1,

    /// <summary>Vector512 VPMADDUBSW + VPMADDWD (AVX-512BW), for AVX-512 CPUs without AVX-VNNI (AMD Zen 4): 7-bit weights.</summary>
    Avx512BW = 2,

    /// <summary>Vector256 VPDPBUSD (AVX-VNNI: Intel Sapphire/Emerald Rapids, AMD Zen 5): u8×s8 straight into int32, 8-bit weights.</summary>
    AvxVnni = 3,

    /// <summary>
    /// Assembled VPDPBUSD on zmm (AVX512-VNNI: AMD Zen 4/5, Intel Ice Lake and later Xeons), which .NET 10 cannot express:
    /// the Avx512BW tiles' shape (12×32), u8×s8 straight into int32, 8-bit weights. Only the K loop is machine code
    /// (<see cref="AssembledInt8Tiles"/>); dequantization, bias, activation and residual stay in the generated C# epilogue.
    /// </summary>
    Avx512Vnni = 4,
}

/// <summary>
/// Chooses the int8 path once per process, like <see cref="KernelPaths"/>: the fastest the CPU and the runtime allow, or
/// the one named by <c>TK_INT8_PATH</c> (Scalar, Avx2, Avx512BW, AvxVnni, Avx512Vnni) when the CPU supports it, so every
/// path can be tested on any CPU that can run it. <c>DOTNET_EnableAVXVNNI=0</c> also turns AVX-VNNI off;
/// <c>TK_ASSEMBLED_KERNELS=0</c> turns the assembled Avx512Vnni path off.
/// </summary>
public static class Int8Paths
{
    /// <summary>The active int8 path.</summary>
    public static readonly Int8KernelPath Active = Choose(Environment.GetEnvironmentVariable("TK_INT8_PATH"));

    /// <summary>
    /// Largest magnitude of a quantized weight on the active path: 127 where products go straight into int32 (VPDPBUSD,
    /// scalar); 63 where VPMADDUBSW sums two u8×s8 products into int16 — with activations u ∈ [0, 255] and weights in
    /// [-63, 63], a pair is at most 2·255·63 = 32,130 &lt; 32,767, so it never saturates. (Measured on MiniLM: giving the
    /// 8th bit to the activations rather than to the weights raises the worst sentence's cosine to FP32 from 0.953 to 0.971.)
    /// </summary>
    public static readonly int WeightLevels = WeightLevelsOf(Active);

    /// <summary>Weight quantization levels used by <paramref name="path"/>.</summary>
    public static int WeightLevelsOf(Int8KernelPath path) => path is Int8KernelPath.Avx512BW or Int8KernelPath.Avx2 ? 63 : 127;

    /// <summary>Whether this CPU and runtime can run <paramref name="path"/>.</summary>
    public static bool IsSupported(Int8KernelPath path) => path switch
    {
        Int8KernelPath.Avx512Vnni => Avx512BW.IsSupported && Vector512.IsHardwareAccelerated && AssembledInt8Tiles.IsAvailable,
        Int8KernelPath.AvxVnni => AvxVnni.IsSupported && Vector256.IsHardwareAccelerated,
        Int8KernelPath.Avx512BW => Avx512BW.IsSupported && Vector512.IsHardwareAccelerated,
        Int8KernelPath.Avx2 => Avx2.IsSupported && Vector256.IsHardwareAccelerated,
        _ => true,
    };

    /// <summary>
    /// Describes the active path for logs and <c>--verbose</c> output; on a CPU with AVX512-VNNI whose assembled tiles are not
    /// used, also why (turned off, mapping refused, known-answer check failed, 512-bit vectors off).
    /// </summary>
    public static string Describe()
    {
        string path = DescribePath(Active);
        return Active != Int8KernelPath.Avx512Vnni && CpuFeatures.Avx512Vnni ? $"{path}; assembled VPDPBUSD zmm tiles not used: {UnusedReason()}" : path;
    }

    private static string UnusedReason() => AssembledInt8Tiles.IsAvailable
        ? (KernelPaths.Active != KernelPath.Avx512 ? "the FP32 kernels are not on the Avx512 path" : $"TK_INT8_PATH = {Environment.GetEnvironmentVariable("TK_INT8_PATH")}")
        : AssembledInt8Tiles.Status;

    private static string DescribePath(Int8KernelPath path) => path switch
    {
        Int8KernelPath.Avx512Vnni => "Avx512Vnni (assembled VPDPBUSD zmm, 8-bit weights, 12×32 tiles)",
        Int8KernelPath.AvxVnni => "AvxVnni (Vector256 VPDPBUSD, 8-bit weights, 6×16 tiles)",
        Int8KernelPath.Avx512BW => "Avx512BW (Vector512 VPMADDUBSW + VPMADDWD, 7-bit weights, 12×32 tiles)",
        Int8KernelPath.Avx2 => "Avx2 (Vector256 VPMADDUBSW + VPMADDWD, 7-bit weights, 4×16 tiles)",
        _ => "Scalar (integer loops, 8-bit weights)",
    };

    /// <summary>The path for a <c>TK_INT8_PATH</c> value (null or empty: the fastest supported).</summary>
    /// <exception cref="InvalidOperationException">The value names no path, or one this CPU or runtime cannot run.</exception>
    public static Int8KernelPath Choose(string? requested)
    {
        if (!string.IsNullOrEmpty(requested))
        {
            if (!Enum.TryParse(requested, ignoreCase: true, out Int8KernelPath path) || !Enum.IsDefined(path))
            {
                throw new InvalidOperationException($"TK_INT8_PATH = '{requested}' is not an int8 path; use Scalar, Avx2, Avx512BW, AvxVnni or Avx512Vnni.");
            }
            if (!IsSupported(path))
            {
                string why = path == Int8KernelPath.Avx512Vnni && !AssembledInt8Tiles.IsAvailable ? ": " + AssembledInt8Tiles.Status : ".";
                throw new InvalidOperationException($"TK_INT8_PATH = {path}, but this CPU or runtime cannot run it{why}");
            }
            return path;
        }
        // 512-bit VNNI first (twice the products per instruction of the 256-bit form on CPUs with both: Zen 5, Sapphire and
        // Emerald Rapids). AvxVnni only where CPUID itself reports AVX-VNNI: a .NET 11 runtime reports AvxVnni.IsSupported on
        // Zen 4 too (it encodes the 256-bit form as EVEX), and there the 256-bit path is no faster than Avx512BW.
        foreach (Int8KernelPath path in new[] { Int8KernelPath.Avx512Vnni, Int8KernelPath.AvxVnni, Int8KernelPath.Avx512BW, Int8KernelPath.Avx2 })
        {
            // Int8 vectors only where the FP32 kernels use vectors of that width too (DOTNET_EnableAVX512=0 keeps 512-bit off).
            bool widthAllowed = path is Int8KernelPath.Avx512BW or Int8KernelPath.Avx512Vnni ? KernelPaths.Active == KernelPath.Avx512 : KernelPaths.Active != KernelPath.Scalar;
            if (path == Int8KernelPath.AvxVnni && !CpuFeatures.AvxVnniInHardware && Avx512BW.IsSupported && KernelPaths.Active == KernelPath.Avx512)
            {
                continue;
            }
            if (widthAllowed && IsSupported(path))
            {
                return path;
            }
        }
        return Int8KernelPath.Scalar;
    }
}
