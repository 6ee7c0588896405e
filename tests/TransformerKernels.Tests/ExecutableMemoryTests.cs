using System.Diagnostics;

namespace TransformerKernels.Tests;

/// <summary>
/// The mapping layer: each way of making code executable runs the tiles correctly, the memfd is named in /proc/self/maps,
/// and under MemoryDenyWriteExecute (a child process that calls <c>prctl(PR_SET_MDWE)</c>, see <see cref="MdweProbe"/>) the
/// tiles still map through the memfd or the path falls back to C# with the reason.
/// </summary>
public unsafe class ExecutableMemoryTests
{
    [Theory]
    [InlineData("Memfd")]
    [InlineData("ProtectAfterWrite")]
    public void EachMappingRunsTheTilesCorrectly(string wayName)
    {
        ExecutableMapping way = Enum.Parse<ExecutableMapping>(wayName);
        if (!CpuFeatures.Avx512Vnni || !AssembledInt8Tiles.IsAvailable)
        {
            return; // nothing here could run the code; TilesAreUsedWhereTheCpuHasAvx512VnniUnlessTurnedOff covers the reason
        }
        (byte[] code, int[] offsets) = AssembledInt8Tiles.AssembleAll();
        string name = "tk-test-" + way;
        byte* start = ExecutableMemory.Map(code, name, way, out ExecutableMapping how, out string? failure);
        Assert.True(start != null, $"{way}: {failure}");
        Assert.Equal(way, how);
        Assert.Null(AssembledInt8Tiles.KnownAnswerCheck([.. offsets.Select(o => (nint)(start + o))]));
        string mapsLine = File.ReadLines("/proc/self/maps").Single(l => l.StartsWith(((nint)start).ToString("x"), StringComparison.Ordinal));
        Assert.Contains(" r-xp ", mapsLine); // never writable
        if (way == ExecutableMapping.Memfd)
        {
            Assert.Contains("/memfd:" + name, mapsLine);
        }
    }

    [Fact]
    public void TheProcessTilesAreNamedAndNeverWritable()
    {
        if (!AssembledInt8Tiles.IsAvailable)
        {
            return;
        }
        string mapsLine = File.ReadLines("/proc/self/maps").Single(l => l.StartsWith(AssembledInt8Tiles.CodeStart.ToString("x"), StringComparison.Ordinal));
        Assert.Contains(" r-xp ", mapsLine);
        Assert.Contains(AssembledInt8Tiles.MappingName, mapsLine);
    }

    [Fact]
    public void UnderMemoryDenyWriteExecuteTheTilesStillMapThroughTheMemfd()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }
        string dotnet = Environment.ProcessPath is { } host && Path.GetFileNameWithoutExtension(host) == "dotnet" ? host : "dotnet";
        var start = new ProcessStartInfo(dotnet) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["DOTNET_TieredCompilation"] = "0"; // see MdweProbe: nothing may be compiled after the prctl
        // The probe is about the mapping, not the kernel path. With hardware intrinsics off (the CI's scalar run) the runtime
        // rejects much of the framework's precompiled code and JIT-compiles it on first use, so the refused-mprotect path
        // compiles after the prctl and the runtime aborts (measured on Zen 5, exit 134) — the JIT trap, not a mapping fault.
        start.Environment.Remove("DOTNET_EnableHWIntrinsic");
        start.ArgumentList.Add("exec");
        start.ArgumentList.Add(typeof(MdweProbe).Assembly.Location);
        start.ArgumentList.Add(MdweProbe.Argument);
        using Process child = Process.Start(start)!;
        string output = child.StandardOutput.ReadToEnd();
        string errors = child.StandardError.ReadToEnd();
        Assert.True(child.WaitForExit(60_000), "the probe did not finish");
        Assert.True(child.ExitCode == 0, $"probe exit {child.ExitCode}: {output} {errors}");
        if (output.Contains("mdwe unsupported", StringComparison.Ordinal))
        {
            return; // a kernel before 6.3 has no PR_SET_MDWE
        }
        Assert.Contains("--- under MDWE", output);
        output = output[output.IndexOf("--- under MDWE", StringComparison.Ordinal)..];
        Assert.Contains("mprotect refused: True", output); // MDWE is in force in the child
        if (CpuFeatures.Avx512Vnni)
        {
            Assert.Contains("tiles mapped: True (Memfd)", output);
            Assert.Contains("known answers: match", output);
        }
    }
}
