using System.Runtime.Intrinsics.X86;

namespace TransformerKernels;

/// <summary>
/// CPU features .NET 10 has no <c>IsSupported</c> for, read from CPUID directly. Only meaningful together with the runtime's
/// own checks (Avx512F.IsSupported also confirms the OS saves zmm state, which CPUID alone does not).
/// </summary>
internal static class CpuFeatures
{
    /// <summary>AVX512-VNNI (VPDPBUSD/VPDPWSSD on zmm): CPUID.(EAX=7, ECX=0):ECX bit 11.</summary>
    public static bool Avx512Vnni { get; } = Leaf7Bit(subleaf: 0, register: 2, bit: 11);

    /// <summary>AVX512-BF16 (VDPBF16PS, VCVTNE2PS2BF16): CPUID.(EAX=7, ECX=1):EAX bit 5.</summary>
    public static bool Avx512Bf16 { get; } = Leaf7Bit(subleaf: 1, register: 0, bit: 5);

    /// <summary>AVX-VNNI (the VEX-encoded 128/256-bit VPDPBUSD): CPUID.(EAX=7, ECX=1):EAX bit 4.</summary>
    public static bool AvxVnniInHardware { get; } = Leaf7Bit(subleaf: 1, register: 0, bit: 4);

    /// <param name="subleaf">ECX input.</param>
    /// <param name="register">0 EAX, 1 EBX, 2 ECX, 3 EDX of the output.</param>
    /// <param name="bit">The feature bit.</param>
    private static bool Leaf7Bit(int subleaf, int register, int bit)
    {
        if (!X86Base.IsSupported || X86Base.CpuId(0, 0).Eax < 7)
        {
            return false;
        }
        if (subleaf > 0 && X86Base.CpuId(7, 0).Eax < subleaf)
        {
            return false; // leaf 7's EAX is the highest subleaf
        }
        (int eax, int ebx, int ecx, int edx) = X86Base.CpuId(7, subleaf);
        int value = register switch { 0 => eax, 1 => ebx, 2 => ecx, _ => edx };
        return ((value >> bit) & 1) != 0;
    }
}
