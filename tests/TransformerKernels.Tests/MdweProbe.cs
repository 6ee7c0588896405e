using System.Runtime.InteropServices;

namespace TransformerKernels.Tests;

/// <summary>
/// The test assembly's entry point (the test host never calls it): with <see cref="Argument"/> it turns on
/// MemoryDenyWriteExecute for itself, as systemd's <c>MemoryDenyWriteExecute=yes</c> does, and reports whether a RW → RX
/// mprotect is refused, whether the assembled tiles still map (through the memfd) and pass their known-answer check, and
/// which way <see cref="ExecutableMemory.Map"/> chose.
/// </summary>
/// <remarks>
/// The JIT itself needs new executable memory for every method it compiles, and the .NET 10 runtime does not survive MDWE
/// (measured: a stack overflow in exception dispatch, or "Out of memory", on the first method compiled after the prctl). So the probe runs its
/// report once before the prctl (the parent reads only what follows "--- under MDWE"), with tiering off (the parent sets DOTNET_TieredCompilation=0, so nothing is
/// recompiled later): every method the second, real run calls is then already compiled. Native AOT binaries, which need
/// no JIT, are the ones that can run under MDWE in production.
/// </remarks>
public static unsafe partial class MdweProbe
{
    public const string Argument = "mdwe-probe";

    private const int PrSetMdwe = 65, MdweRefuseExecGain = 1;

    public static int Main(string[] args)
    {
        if (args is not [Argument])
        {
            Console.Error.WriteLine($"This assembly runs under a test host; '{Argument}' is the only command it takes.");
            return 2;
        }
        Console.WriteLine("--- before the prctl");
        Report(Console.Out);
        // The failure paths the warm-up run did not take (mprotect refused → munmap, the joined reason) compiled too.
        foreach (System.Reflection.MethodInfo method in typeof(ExecutableMemory).GetMethods(System.Reflection.BindingFlags.Static | System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.DeclaredOnly))
        {
            System.Runtime.CompilerServices.RuntimeHelpers.PrepareMethod(method.MethodHandle);
        }
        _ = string.Join("; ", new List<string> { "warm", "up" }) + Marshal.GetLastPInvokeError();
        if (Prctl(PrSetMdwe, MdweRefuseExecGain, 0, 0, 0) != 0)
        {
            Console.WriteLine($"mdwe unsupported (errno {Marshal.GetLastPInvokeError()})");
            return 0;
        }
        Console.WriteLine("--- under MDWE");
        Report(Console.Out);
        return 0;
    }

    private static void Report(TextWriter output)
    {
        string? failure = null;
        if (CpuFeatures.Avx512Vnni)
        {
        (byte[] code, int[] offsets) = AssembledInt8Tiles.AssembleAll();
        byte* start = ExecutableMemory.Map(code, AssembledInt8Tiles.MappingName, only: null, out ExecutableMapping how, out failure);
        output.WriteLine("tiles mapped: " + (start != null) + " (" + (start != null ? how.ToString() : failure) + ")");
        if (start != null)
        {
            var entries = new nint[offsets.Length];
            for (int i = 0; i < offsets.Length; i++)
            {
                entries[i] = (nint)(start + offsets[i]);
            }
            output.WriteLine("known answers: " + (AssembledInt8Tiles.KnownAnswerCheck(entries) ?? "match"));
        }
        }
        output.Flush();
        // Last: the refused mprotect's error path is the one most likely to need something not yet compiled.
        byte* refused = ExecutableMemory.Map([0xC3], "tk-mdwe-probe", ExecutableMapping.ProtectAfterWrite, out _, out failure);
        output.WriteLine("mprotect refused: " + (refused == null) + " (" + failure + ")");
    }

    [LibraryImport("libc", EntryPoint = "prctl", SetLastError = true)]
    private static partial int Prctl(int option, nint argument2, nint argument3, nint argument4, nint argument5);
}
