namespace TransformerKernels;

/// <summary>
/// A small fork–join pool for the generated kernels. A kernel splits its work into units (GEMM column panels,
/// attention heads); <see cref="Run"/> gives each thread one contiguous range of units and waits. Every output
/// element is computed by the same instructions whichever thread runs it, so results are bit-identical for any
/// thread count. Dispatch allocates nothing: work is a function pointer plus a pointer to its arguments.
/// </summary>
public static unsafe class KernelThreads
{
    /// <summary>Below this many floating-point operations a kernel runs on the calling thread: waking a worker costs more.</summary>
    public const long MinimumParallelFlops = 1_000_000;

    private const int SpinIterations = 20_000;

    private static readonly object s_gate = new();
    private static Worker[] s_workers = [];
    private static int s_threadCount = DefaultThreadCount();

    // The job in flight, published to workers by incrementing s_generation.
    private static delegate*<void*, int, int, void> s_work;
    private static void* s_state;
    private static int s_units;
    private static int s_parts;
    private static int s_generation;
    private static int s_pending;

    /// <summary>
    /// Threads a kernel may use, the caller included (default: <c>TK_THREADS</c> or the processor count). Changing it
    /// takes effect on the next kernel call.
    /// </summary>
    public static int ThreadCount
    {
        get => s_threadCount;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, 256);
            lock (s_gate)
            {
                s_threadCount = value;
            }
        }
    }

    /// <summary>
    /// Runs <paramref name="work"/>(state, start, end) over [0, units) split into contiguous ranges, one per thread,
    /// and returns when all are done. Runs inline for small jobs, one thread, or when another caller holds the pool.
    /// </summary>
    public static void Run(int units, delegate*<void*, int, int, void> work, void* state, long flops)
    {
        int parts = Math.Min(s_threadCount, units);
        if (parts <= 1 || flops < MinimumParallelFlops || !Monitor.TryEnter(s_gate))
        {
            work(state, 0, units);
            return;
        }
        try
        {
            EnsureWorkers(parts - 1);
            s_work = work;
            s_state = state;
            s_units = units;
            s_parts = parts;
            // Every worker acknowledges every job, even one with no units for it, so none can lag a job behind.
            Volatile.Write(ref s_pending, s_workers.Length);
            Interlocked.Increment(ref s_generation);
            for (int i = 0; i < s_workers.Length; i++)
            {
                s_workers[i].Wake();
            }
            work(state, 0, units / parts);
            SpinWait spin = default;
            while (Volatile.Read(ref s_pending) != 0)
            {
                spin.SpinOnce(sleep1Threshold: -1);
            }
        }
        finally
        {
            Monitor.Exit(s_gate);
        }
    }

    private static void EnsureWorkers(int count)
    {
        if (s_workers.Length >= count)
        {
            return;
        }
        var workers = new Worker[count];
        Array.Copy(s_workers, workers, s_workers.Length);
        for (int i = s_workers.Length; i < count; i++)
        {
            workers[i] = new Worker(i + 1, Volatile.Read(ref s_generation));
        }
        s_workers = workers;
    }

    private static int DefaultThreadCount() =>
        int.TryParse(Environment.GetEnvironmentVariable("TK_THREADS"), out int n) && n >= 1 ? n : Environment.ProcessorCount;

    /// <summary>One background thread: spins briefly for the next job (kernels come in quick succession), then sleeps.</summary>
    private sealed class Worker
    {
        private readonly int _part;
        private readonly SemaphoreSlim _wake = new(0);
        private int _seenGeneration;
        private int _sleeping;

        public Worker(int part, int generation)
        {
            _part = part;
            _seenGeneration = generation;
            new Thread(Loop) { IsBackground = true, Name = $"TransformerKernels worker {part}" }.Start();
        }

        public void Wake()
        {
            if (Interlocked.Exchange(ref _sleeping, 0) == 1)
            {
                _wake.Release();
            }
        }

        private void Loop()
        {
            while (true)
            {
                WaitForJob();
                int parts = s_parts, units = s_units;
                if (_part < parts)
                {
                    s_work(s_state, (int)((long)units * _part / parts), (int)((long)units * (_part + 1) / parts));
                }
                Interlocked.Decrement(ref s_pending);
            }
        }

        private void WaitForJob()
        {
            for (int i = 0; i < SpinIterations; i++)
            {
                if (TryTakeJob())
                {
                    return;
                }
                Thread.SpinWait(8);
            }
            while (true)
            {
                Volatile.Write(ref _sleeping, 1);
                if (TryTakeJob())
                {
                    // A dispatcher that saw us asleep released the semaphore: consume that release.
                    if (Interlocked.Exchange(ref _sleeping, 0) == 0)
                    {
                        _wake.Wait();
                    }
                    return;
                }
                _wake.Wait();
            }
        }

        private bool TryTakeJob()
        {
            int generation = Volatile.Read(ref s_generation);
            if (generation == _seenGeneration)
            {
                return false;
            }
            _seenGeneration = generation;
            return true;
        }
    }
}
