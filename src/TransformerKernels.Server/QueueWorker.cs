using System.Threading.Channels;

namespace TransformerKernels.Server;

/// <summary>
/// A hosted service whose one long-running worker drains a queue of admitted jobs — the embedding batcher's and the chat
/// scheduler's shared lifecycle. Admission closes on the host's stopping signal, not in <see cref="StopAsync"/>: Kestrel
/// stops before the hosted services and waits for the requests in flight, which wait for this worker. The worker then
/// finishes what was admitted; <see cref="DrainExpired"/> turns true <see cref="ServerOptions.DrainTime"/> after the signal,
/// when what is left is to be cut off.
/// </summary>
internal abstract class QueueWorker<TJob>(ServerOptions options, IHostApplicationLifetime lifetime, ILogger log) : IHostedService, IDisposable
{
    private readonly CancellationTokenSource _drainExpired = new();
    private Task _worker = Task.CompletedTask;
    private int _stopping;

    /// <summary>Admitted jobs, in order; completed for writing once stopping begins.</summary>
    protected Channel<TJob> Queue { get; } = Channel.CreateUnbounded<TJob>(new UnboundedChannelOptions { SingleReader = true });

    protected ILogger Log => log;

    /// <summary>The drain time has passed since stopping began: unfinished work is to be cut off.</summary>
    protected bool DrainExpired => _drainExpired.IsCancellationRequested;

    /// <summary>Stopping has begun: no more jobs are admitted.</summary>
    public bool IsStopping => Volatile.Read(ref _stopping) != 0;

    /// <summary>Logged when the host's shutdown timeout ends before the worker does.</summary>
    protected abstract string StopTimeoutWarning { get; }

    /// <summary>The worker: reads <see cref="Queue"/> until it completes and every admitted job is answered.</summary>
    protected abstract Task RunAsync();

    public Task StartAsync(CancellationToken cancellationToken)
    {
        lifetime.ApplicationStopping.Register(BeginStopping);
        _worker = Task.Factory.StartNew(RunAsync, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
        return Task.CompletedTask;
    }

    /// <summary>Answers every admitted job (or cuts it off after the drain time), then returns.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        BeginStopping();
        try
        {
            await _worker.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            log.LogWarning("{Warning}", StopTimeoutWarning);
        }
    }

    private void BeginStopping()
    {
        if (Interlocked.Exchange(ref _stopping, 1) != 0)
        {
            return;
        }
        Queue.Writer.TryComplete();
        _drainExpired.CancelAfter(options.DrainTime);
    }

    public virtual void Dispose() => _drainExpired.Dispose();
}
