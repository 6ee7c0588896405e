using System.Runtime.InteropServices;

namespace TransformerKernels;

/// <summary>How <see cref="ExecutableMemory"/> made code executable.</summary>
internal enum ExecutableMapping
{
    /// <summary>A named memfd written through its descriptor and mapped read + execute: never writable in this process,
    /// so it also works under MemoryDenyWriteExecute (<c>prctl(PR_SET_MDWE)</c>).</summary>
    Memfd = 1,

    /// <summary>Anonymous memory mapped read + write, filled, then <c>mprotect</c>ed to read + execute (refused under MDWE).</summary>
    ProtectAfterWrite = 2,
}

/// <summary>
/// Maps machine code executable on Linux x64, never writable and executable at once: a memfd mapped
/// <c>PROT_READ | PROT_EXEC</c> first, else anonymous RW memory turned RX. Mappings live as long as the process (the kernels
/// they hold are called from static function pointers).
/// </summary>
internal static unsafe partial class ExecutableMemory
{
    private const int ProtRead = 1, ProtWrite = 2, ProtExec = 4;
    private const int MapPrivate = 2, MapAnonymous = 0x20;
    private const uint MemfdCloexec = 1, MemfdExec = 0x10;
    private const int ErrnoInvalid = 22;
    private const int PrSetVma = 0x53564d41, PrSetVmaAnonName = 0;
    private static readonly nint MapFailed = -1;

    /// <summary>The code mapped executable, or null with <paramref name="failure"/> saying why (errno of each step tried).</summary>
    /// <param name="code">Machine code; copied.</param>
    /// <param name="name">Shown in /proc/PID/maps (and by perf) as the mapping's name.</param>
    /// <param name="only">Try only this way (tests); null tries memfd, then mprotect.</param>
    /// <param name="how">The way that worked.</param>
    /// <param name="failure">Why no way worked.</param>
    public static byte* Map(ReadOnlySpan<byte> code, string name, ExecutableMapping? only, out ExecutableMapping how, out string? failure)
    {
        how = default;
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64)
        {
            failure = $"executable mappings are implemented for Linux x64 only (this is {RuntimeInformation.OSDescription}, {RuntimeInformation.ProcessArchitecture})";
            return null;
        }
        if (code.IsEmpty)
        {
            throw new ArgumentException("No code to map.", nameof(code));
        }
        nuint length = (nuint)((code.Length + Environment.SystemPageSize - 1) / Environment.SystemPageSize * Environment.SystemPageSize);
        var reasons = new List<string>();
        if (only is null or ExecutableMapping.Memfd)
        {
            byte* mapped = MapMemfd(code, name, length, reasons);
            if (mapped != null)
            {
                how = ExecutableMapping.Memfd;
                failure = null;
                return mapped;
            }
        }
        if (only is null or ExecutableMapping.ProtectAfterWrite)
        {
            byte* mapped = MapThenProtect(code, name, length, reasons);
            if (mapped != null)
            {
                how = ExecutableMapping.ProtectAfterWrite;
                failure = null;
                return mapped;
            }
        }
        failure = string.Join("; ", reasons);
        return null;
    }

    private static byte* MapMemfd(ReadOnlySpan<byte> code, string name, nuint length, List<string> reasons)
    {
        // MFD_EXEC asks for an executable memfd explicitly: with vm.memfd_noexec = 1 a plain memfd is sealed non-executable.
        // Kernels before 6.3 do not know the flag (EINVAL) and every memfd is executable there.
        int fd = MemfdCreate(name, MemfdCloexec | MemfdExec);
        if (fd < 0 && Marshal.GetLastPInvokeError() == ErrnoInvalid)
        {
            fd = MemfdCreate(name, MemfdCloexec);
        }
        if (fd < 0)
        {
            reasons.Add($"memfd_create failed (errno {Marshal.GetLastPInvokeError()})");
            return null;
        }
        try
        {
            if (Ftruncate(fd, (long)length) != 0)
            {
                reasons.Add($"ftruncate of the memfd failed (errno {Marshal.GetLastPInvokeError()})");
                return null;
            }
            fixed (byte* source = code)
            {
                long written = 0;
                while (written < code.Length)
                {
                    nint n = Pwrite(fd, source + written, (nuint)(code.Length - written), written);
                    if (n <= 0)
                    {
                        reasons.Add($"writing the memfd failed (errno {Marshal.GetLastPInvokeError()})");
                        return null;
                    }
                    written += n;
                }
            }
            nint address = Mmap(null, length, ProtRead | ProtExec, MapPrivate, fd, 0);
            if (address == MapFailed)
            {
                reasons.Add($"mmap of the memfd PROT_READ|PROT_EXEC failed (errno {Marshal.GetLastPInvokeError()})");
                return null;
            }
            return (byte*)address;
        }
        finally
        {
            _ = Close(fd); // the mapping keeps the memory; nothing can write it once the descriptor is gone
        }
    }

    private static byte* MapThenProtect(ReadOnlySpan<byte> code, string name, nuint length, List<string> reasons)
    {
        nint address = Mmap(null, length, ProtRead | ProtWrite, MapPrivate | MapAnonymous, -1, 0);
        if (address == MapFailed)
        {
            reasons.Add($"anonymous mmap failed (errno {Marshal.GetLastPInvokeError()})");
            return null;
        }
        code.CopyTo(new Span<byte>((void*)address, code.Length));
        if (Mprotect((void*)address, length, ProtRead | ProtExec) != 0)
        {
            reasons.Add($"mprotect to PROT_READ|PROT_EXEC failed (errno {Marshal.GetLastPInvokeError()}; MemoryDenyWriteExecute refuses it with EACCES)");
            _ = Munmap((void*)address, length);
            return null;
        }
        // Names the anonymous mapping for /proc/PID/maps where the kernel allows it (CONFIG_ANON_VMA_NAME); advice only.
        nint namePointer = Marshal.StringToCoTaskMemUTF8(name);
        _ = Prctl(PrSetVma, PrSetVmaAnonName, address, (nint)length, namePointer);
        Marshal.FreeCoTaskMem(namePointer);
        return (byte*)address;
    }

    [LibraryImport("libc", EntryPoint = "memfd_create", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int MemfdCreate(string name, uint flags);

    [LibraryImport("libc", EntryPoint = "ftruncate", SetLastError = true)]
    private static partial int Ftruncate(int fd, long length);

    [LibraryImport("libc", EntryPoint = "pwrite", SetLastError = true)]
    private static partial nint Pwrite(int fd, void* buffer, nuint count, long offset);

    [LibraryImport("libc", EntryPoint = "mmap", SetLastError = true)]
    private static partial nint Mmap(void* address, nuint length, int protection, int flags, int fd, long offset);

    [LibraryImport("libc", EntryPoint = "mprotect", SetLastError = true)]
    private static partial int Mprotect(void* address, nuint length, int protection);

    [LibraryImport("libc", EntryPoint = "munmap", SetLastError = true)]
    private static partial int Munmap(void* address, nuint length);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "prctl", SetLastError = true)]
    private static partial int Prctl(int option, nint argument2, nint argument3, nint argument4, nint argument5);
}
