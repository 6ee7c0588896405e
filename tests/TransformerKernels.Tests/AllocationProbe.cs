namespace TransformerKernels.Tests;

/// <summary>
/// Measures the managed allocations of a repeated call once the process is in steady state, on the calling thread and on
/// the kernel pool's workers, which run parts of each call (<see cref="KernelThreads.WorkerAllocatedBytes"/>) — not on
/// unrelated threads such as the test runner's, whose timers would make a process-wide count flaky. Tiered compilation
/// may allocate bookkeeping when a method reaches its call-count threshold, so the probe warms up past tier-up (100
/// calls, a pause for the background JIT) and then reports the smallest of three windows of <see cref="CallsPerWindow"/>
/// calls: an allocation made even once per window shows in every window.
/// </summary>
internal static class AllocationProbe
{
    /// <summary>Calls per window: an allocation made once in this many calls is still seen.</summary>
    public const int CallsPerWindow = 200;

    public static long SteadyStateBytes(Action call) => SteadyStateBytes(call, prepare: null);

    /// <summary>
    /// As <see cref="SteadyStateBytes(Action)"/>, with <paramref name="prepare"/> run before every call and not counted: the
    /// state a call needs (a generation restarted once it finished, say) is made outside what is measured.
    /// </summary>
    public static long SteadyStateBytes(Action call, Action? prepare)
    {
        for (int i = 0; i < 100; i++)
        {
            prepare?.Invoke();
            call();
        }
        Thread.Sleep(300);
        long smallest = long.MaxValue;
        for (int window = 0; window < 3; window++)
        {
            long allocated = 0;
            for (int i = 0; i < CallsPerWindow; i++)
            {
                prepare?.Invoke();
                long before = AllocatedBytes();
                call();
                allocated += AllocatedBytes() - before;
            }
            smallest = Math.Min(smallest, allocated);
        }
        return smallest;
    }

    private static long AllocatedBytes() => GC.GetAllocatedBytesForCurrentThread() + KernelThreads.WorkerAllocatedBytes;
}
