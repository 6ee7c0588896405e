using System.Runtime.InteropServices;

namespace TransformerKernels;

/// <summary>
/// Allocates large native buffers on 2 MiB boundaries and, on Linux, asks for transparent huge pages
/// (<c>madvise(MADV_HUGEPAGE)</c>; most distributions enable them only on request). A decoding step streams every weight
/// once: with 4 KiB pages that is a TLB miss every 4 KiB of weights, with 2 MiB pages one every 2 MiB.
/// </summary>
internal static unsafe partial class HugePages
{
    /// <summary>Buffers from this size on are aligned to, and advised as, huge pages.</summary>
    public const long Threshold = 2 << 20;

    private const int AdviseHugePage = 14; // MADV_HUGEPAGE

    /// <summary>64-byte aligned memory (2 MiB aligned and advised when at least <see cref="Threshold"/> bytes); free with NativeMemory.AlignedFree.</summary>
    public static float* Allocate(nuint bytes)
    {
        if ((long)bytes < Threshold)
        {
            return (float*)NativeMemory.AlignedAlloc(bytes, 64);
        }
        void* pointer = NativeMemory.AlignedAlloc(bytes, (nuint)Threshold);
        if (OperatingSystem.IsLinux())
        {
            // Advice only: a kernel without transparent huge pages answers EINVAL and the buffer keeps 4 KiB pages.
            _ = Advise(pointer, bytes, AdviseHugePage);
        }
        return (float*)pointer;
    }

    [LibraryImport("libc", EntryPoint = "madvise")]
    private static partial int Advise(void* address, nuint length, int advice);
}
