namespace TransformerKernels.Tests;

/// <summary>
/// Tests that allocate on the kernel pool's workers on purpose run alone: the probe counts worker allocations for the whole
/// pool, so running them beside another class's zero-allocation check could make that check see these bytes.
/// </summary>
[CollectionDefinition(nameof(WorkerAllocations), DisableParallelization = true)]
public sealed class WorkerAllocations;

/// <summary>The allocation probe sees what it must: allocations on the kernel pool's workers, and allocations that happen rarely.</summary>
[Collection(nameof(WorkerAllocations))]
public sealed unsafe class AllocationProbeTests
{
    [Fact]
    public void SeesNothingWhenNothingIsAllocated()
    {
        int[] values = new int[64];
        Assert.Equal(0, AllocationProbe.SteadyStateBytes(() => Array.Fill(values, 1)));
    }

    private static int s_caller;
    private static int s_workerAllocations;
    private static object? s_kept;

    /// <summary>A kernel that allocates only when a worker runs it.</summary>
    private static void AllocateOffTheCaller(void* state, int start, int end)
    {
        Thread.SpinWait(2000); // long enough that the worker claims units
        if (Environment.CurrentManagedThreadId != s_caller)
        {
            s_kept = new byte[256];
            Interlocked.Increment(ref s_workerAllocations);
        }
    }

    [Fact]
    public void SeesAllocationsOnTheKernelWorkers()
    {
        int saved = KernelThreads.ThreadCount;
        KernelThreads.ThreadCount = 2;
        try
        {
            s_caller = Environment.CurrentManagedThreadId;
            long bytes = AllocationProbe.SteadyStateBytes(() => KernelThreads.Run(8, &AllocateOffTheCaller, null, long.MaxValue));
            Assert.True(Volatile.Read(ref s_workerAllocations) > 0, "the worker never ran a unit");
            Assert.True(bytes >= 256, $"the probe saw {bytes} bytes of {s_workerAllocations} worker allocations");
        }
        finally
        {
            KernelThreads.ThreadCount = saved;
        }
        GC.KeepAlive(s_kept);
    }

    [Fact]
    public void SeesAnAllocationMadeOnceInManyCalls()
    {
        int calls = 0;
        object? kept = null;
        Assert.True(AllocationProbe.SteadyStateBytes(() =>
        {
            if (++calls % (AllocationProbe.CallsPerWindow / 2) == 0)
            {
                kept = new byte[1024];
            }
        }) >= 1024);
        GC.KeepAlive(kept);
    }
}
