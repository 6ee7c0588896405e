namespace TransformerKernels.Tests;

/// <summary>
/// Measures managed allocations of a repeated call on this thread once the process is in steady state. Tiered
/// compilation may allocate bookkeeping on the calling thread when a method reaches its call-count threshold, so the
/// probe warms up past tier-up (100 calls, a pause for the background JIT) and then reports the smallest of three
/// 20-call windows: any allocation made by every call still shows in every window.
/// </summary>
internal static class AllocationProbe
{
    public static long SteadyStateBytes(Action call)
    {
        for (int i = 0; i < 100; i++)
        {
            call();
        }
        Thread.Sleep(300);
        long smallest = long.MaxValue;
        for (int window = 0; window < 3; window++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 20; i++)
            {
                call();
            }
            smallest = Math.Min(smallest, GC.GetAllocatedBytesForCurrentThread() - before);
        }
        return smallest;
    }
}
