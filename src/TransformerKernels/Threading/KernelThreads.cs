using System.ComponentModel;

namespace TransformerKernels;

/// <summary>
/// A small fork–join pool for the generated kernels. A kernel splits its work into units (GEMM column panels, attention
/// heads); the calling thread and the workers claim chunks of units from a shared counter until none are left, so a
/// worker that is late (asleep, or its core taken by another process) only means the caller does more of the work — it
/// is never waited for. Every output element is computed by the same instructions whichever thread runs it, so results
/// are bit-identical for any thread count. Dispatch allocates nothing: work is a function pointer plus a pointer to its
/// arguments.
/// </summary>
public static unsafe class KernelThreads
{
    /// <summary>Below this many floating-point operations a kernel runs on the calling thread: waking a worker costs more.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public const long MinimumParallelFlops = 1_000_000;

    private const int SpinIterations = 20_000;

    private static readonly object s_gate = new();
    private static Worker[] s_workers = [];
    private static int s_threadCount = DefaultThreadCount();

    // The job in flight, in one of two slots by generation parity: the slot of job g is rewritten only for job g + 2, by
    // which time the claim counter has moved past g. s_claim holds (generation << 32 | next unit) and a worker claims only
    // with the generation it woke for, so a late worker can never run a chunk of one job with another job's arguments.
    private static Job s_even, s_odd;
    private static long s_claim;
    private static int s_generation;
    private static int s_completed;

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
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, MaxThreadCount);
            lock (s_gate)
            {
                s_threadCount = value;
            }
        }
    }

    // A per-caller override of the thread count (0: none), so one embedder can run on 1 thread while another uses all.
    // Thread-static because a kernel call runs synchronously on the thread that makes it.
    [ThreadStatic]
    private static int t_threadCountOverride;

    /// <summary>
    /// Makes kernels called on the current thread use <paramref name="threads"/> threads (the caller included) instead of
    /// <see cref="ThreadCount"/> until the returned scope is disposed — on the same thread: the override is per thread, for
    /// one component's synchronous forward passes (an embedder's per-instance thread count). Scopes nest.
    /// </summary>
    public static ThreadCountScope UseThreadCount(int threads)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(threads, MaxThreadCount);
        int previous = t_threadCountOverride;
        t_threadCountOverride = threads;
        return new ThreadCountScope(previous);
    }

    /// <summary>Threads a kernel called now on this thread may use: the thread's override, else <see cref="ThreadCount"/>.</summary>
    public static int CurrentThreadCount => t_threadCountOverride > 0 ? t_threadCountOverride : s_threadCount;

    /// <summary>Restores the previous thread count of the thread that called <see cref="UseThreadCount"/>.</summary>
    public readonly struct ThreadCountScope : IDisposable
    {
        private readonly int _previous;

        internal ThreadCountScope(int previous) => _previous = previous;

        /// <summary>Ends the override.</summary>
        public void Dispose() => t_threadCountOverride = _previous;
    }

    /// <summary>
    /// Runs <paramref name="work"/>(state, start, end) over [0, units) in chunks claimed by the caller and the workers, and
    /// returns when every unit is done. Runs inline for small jobs, one thread, or when another caller holds the pool.
    /// </summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public static void Run(int units, delegate*<void*, int, int, void> work, void* state, long flops)
    {
        int parts = Math.Min(CurrentThreadCount, units);
        if (parts <= 1 || flops < MinimumParallelFlops || !Monitor.TryEnter(s_gate))
        {
            work(state, 0, units);
            return;
        }
        try
        {
            EnsureWorkers(parts - 1);
            int generation = s_generation + 1;
            ref Job job = ref JobOf(generation);
            job.Work = work;
            job.State = state;
            job.Units = units;
            // Four chunks per participant: small enough to rebalance around a late thread, large enough to keep panels long.
            job.Chunk = Math.Max(1, units / (parts * 4));
            Volatile.Write(ref s_completed, 0);
            Volatile.Write(ref s_claim, (long)generation << 32);
            Volatile.Write(ref s_generation, generation);
            for (int i = 0; i < parts - 1; i++)
            {
                s_workers[i].Wake();
            }
            RunChunks(generation, null);
            SpinWait spin = default;
            while (Volatile.Read(ref s_completed) != units)
            {
                spin.SpinOnce(sleep1Threshold: -1);
            }
        }
        finally
        {
            Monitor.Exit(s_gate);
        }
    }

    /// <summary>
    /// Managed bytes allocated so far by the pool's worker threads (the calling thread's own are in
    /// <see cref="GC.GetAllocatedBytesForCurrentThread"/>): with both, a test sees every allocation a kernel call makes,
    /// on whichever thread, without counting unrelated threads of the process. Each worker updates its count after every
    /// chunk, before the chunk is reported done, so the count is current when <see cref="Run"/> returns.
    /// </summary>
    public static long WorkerAllocatedBytes
    {
        get
        {
            long total = 0;
            foreach (Worker worker in Volatile.Read(ref s_workers))
            {
                total += Volatile.Read(ref worker.AllocatedBytes);
            }
            return total;
        }
    }

    /// <summary>Claims and runs chunks of the job of <paramref name="generation"/> until none are left; a worker passes itself.</summary>
    private static void RunChunks(int generation, Worker? worker)
    {
        ref Job job = ref JobOf(generation);
        delegate*<void*, int, int, void> work = job.Work;
        void* state = job.State;
        int units = job.Units, chunk = job.Chunk;
        while (true)
        {
            long claim = Volatile.Read(ref s_claim);
            int start = (int)claim;
            if ((int)(claim >> 32) != generation || start >= units)
            {
                return;
            }
            if (Interlocked.CompareExchange(ref s_claim, claim + chunk, claim) != claim)
            {
                continue;
            }
            int end = Math.Min(units, start + chunk);
            work(state, start, end);
            if (worker is not null)
            {
                Volatile.Write(ref worker.AllocatedBytes, GC.GetAllocatedBytesForCurrentThread());
            }
            Interlocked.Add(ref s_completed, end - start);
        }
    }

    private static ref Job JobOf(int generation) => ref (generation & 1) == 0 ? ref s_even : ref s_odd;

    private struct Job
    {
        public delegate*<void*, int, int, void> Work;
        public void* State;
        public int Units;
        public int Chunk;
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

    /// <summary>The most threads <see cref="ThreadCount"/> accepts.</summary>
    public const int MaxThreadCount = 256;

    /// <summary>
    /// Why <c>TK_THREADS</c> was not used as written (not a whole number, below 1, or above the processor count), or null
    /// when it was unset or valid. The library never writes to the console; applications show this to their users.
    /// </summary>
    public static string? EnvironmentWarning { get; private set; }

    /// <summary>
    /// <c>TK_THREADS</c> when it is a whole number from 1 to the processor count; otherwise the processor count, with the reason
    /// in <see cref="EnvironmentWarning"/>. More threads than processors only take turns on the same cores (measured: 54
    /// threads on 2 cores ran 7× slower), so the variable is capped there; the <see cref="ThreadCount"/> setter, an explicit
    /// choice in code, allows up to <see cref="MaxThreadCount"/>.
    /// </summary>
    private static int DefaultThreadCount()
    {
        int processors = Math.Clamp(Environment.ProcessorCount, 1, MaxThreadCount);
        (int threads, EnvironmentWarning) = ParseThreadSetting(Environment.GetEnvironmentVariable("TK_THREADS"), processors);
        return threads;
    }

    /// <summary>Reads a <c>TK_THREADS</c> value: the threads to use and, when the value was not used as written, why.</summary>
    public static (int Threads, string? Warning) ParseThreadSetting(string? value, int processors)
    {
        if (value is null || value.Length == 0)
        {
            return (processors, null);
        }
        if (!long.TryParse(value, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out long n) || n < 1)
        {
            return (processors, $"TK_THREADS='{Quote(value)}' is not a whole number of threads ≥ 1; using {processors} (the processor count)");
        }
        if (n > processors)
        {
            return (processors, $"TK_THREADS={n} is more than the {processors} processors; using {processors}");
        }
        return ((int)n, null);
    }

    private static string Quote(string value) => value.Length <= 20 ? value : value[..20] + "…";

    /// <summary>One background thread: spins briefly for the next job (kernels come in quick succession), then sleeps.</summary>
    private sealed class Worker
    {
        private readonly SemaphoreSlim _wake = new(0);
        private int _seenGeneration;
        private int _sleeping;

        /// <summary>This thread's allocated bytes as of its last chunk.</summary>
        public long AllocatedBytes;

        public Worker(int index, int generation)
        {
            _seenGeneration = generation;
            new Thread(Loop) { IsBackground = true, Name = $"TransformerKernels worker {index}" }.Start();
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
                RunChunks(WaitForJob(), this);
            }
        }

        private int WaitForJob()
        {
            for (int i = 0; i < SpinIterations; i++)
            {
                if (TryTakeJob(out int generation))
                {
                    return generation;
                }
                Thread.SpinWait(8);
            }
            while (true)
            {
                Volatile.Write(ref _sleeping, 1);
                if (TryTakeJob(out int generation))
                {
                    // A dispatcher that saw us asleep released the semaphore: consume that release.
                    if (Interlocked.Exchange(ref _sleeping, 0) == 0)
                    {
                        _wake.Wait();
                    }
                    return generation;
                }
                _wake.Wait();
            }
        }

        private bool TryTakeJob(out int generation)
        {
            generation = Volatile.Read(ref s_generation);
            if (generation == _seenGeneration)
            {
                return false;
            }
            _seenGeneration = generation;
            return true;
        }
    }
}
