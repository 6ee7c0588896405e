namespace TransformerKernels.Tests;

/// <summary>Native buffers: aligned for the kernels' vector loads, zeroed, and large ones on huge-page boundaries.</summary>
public class NativeBufferTests
{
    [Theory]
    [InlineData(1L)]
    [InlineData(1000L)]
    [InlineData((2L << 20) / sizeof(float) - NativeBuffer.Slack)] // exactly 2 MiB with the slack: the first huge-page buffer
    [InlineData(5_000_000L)]
    public unsafe void BuffersAreAlignedAndZeroed(long floats)
    {
        using var buffer = new NativeBuffer(floats);
        long address = (long)buffer.Pointer;
        Assert.Equal(0, address % 64);
        bool large = (floats + NativeBuffer.Slack) * sizeof(float) >= 2L << 20;
        // Large buffers start on a 2 MiB boundary, so the huge pages Linux grants on request (madvise) cover them from
        // their first byte; a decoding step streams such buffers once per token.
        if (large)
        {
            Assert.Equal(0, address % (2L << 20));
        }
        Assert.True(buffer.Span.ToArray().All(x => x == 0f));
    }

    [Fact]
    public unsafe void LargeBuffersGetHugePagesWhenTheKernelGrantsThem()
    {
        const string setting = "/sys/kernel/mm/transparent_hugepage/enabled";
        if (!OperatingSystem.IsLinux() || !File.Exists(setting) || File.ReadAllText(setting).Contains("[never]", StringComparison.Ordinal))
        {
            return; // nothing to ask for on this machine
        }
        using var buffer = new NativeBuffer(16L << 20); // 64 MiB, zeroed: every page touched
        // The mapping holding the buffer (it may have merged with neighbours; they only add): most of it must be huge pages.
        long hugeKiB = HugePagesOfMappingAt((ulong)buffer.Pointer);
        Assert.True(hugeKiB >= 32L << 10, $"the 64 MiB buffer's mapping holds {hugeKiB} kB of huge pages");
    }

    private static long HugePagesOfMappingAt(ulong address)
    {
        bool inside = false;
        foreach (string line in File.ReadLines("/proc/self/smaps"))
        {
            string first = line.Split(' ', 2)[0];
            int dash = first.IndexOf('-');
            if (dash > 0 && ulong.TryParse(first.AsSpan(0, dash), System.Globalization.NumberStyles.HexNumber, null, out ulong start)
                && ulong.TryParse(first.AsSpan(dash + 1), System.Globalization.NumberStyles.HexNumber, null, out ulong end))
            {
                inside = start <= address && address < end;
            }
            else if (inside && line.StartsWith("AnonHugePages:", StringComparison.Ordinal))
            {
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture);
            }
        }
        return 0;
    }
}
