using System.Threading.Channels;

namespace TransformerKernels.Server;

/// <summary>
/// Continuous batching of chat completions: one loop owns one <see cref="ContinuousBatch"/> of
/// <see cref="ServerOptions.MaxSessions"/> slots. Between steps it drops the generations whose handler gave up (client
/// gone, stop string found) — their slots are free for the very next request — prefills waiting requests into free slots,
/// then advances every running generation in ONE batched decoder step, each sampled with its own options and seed, and
/// hands each its token. Finished generations leave at once. Admission is bounded before this (the rate limiter), so the
/// waiting list stays short.
/// Shutdown: on the host's stopping signal admission closes; generations in progress continue until they end or the drain
/// time passes, then they are cut off (finish reason "length" is not claimed: their streams just end with an error).
/// </summary>
internal sealed class ChatScheduler : QueueWorker<ChatJob>
{
    private readonly ServedChatModel _model;
    private readonly ServerOptions _options;
    private readonly ServerMetrics _metrics;
    private readonly ContinuousBatch _batch;
    private readonly ChatJob?[] _bySlot;
    private readonly Queue<ChatJob> _waiting = new();
    private int _liveSessions, _queued;
    private long _abandoned, _steps;

    public ChatScheduler(ServedChatModel model, ServerOptions options, ServerMetrics metrics, IHostApplicationLifetime lifetime, ILogger<ChatScheduler> log)
        : base(options, lifetime, log)
    {
        _model = model;
        _options = options;
        _metrics = metrics;
        _batch = new ContinuousBatch(model.Model, options.MaxSessions);
        _bySlot = new ChatJob?[options.MaxSessions];
    }

    /// <summary>Generations holding a slot now (decoding, or finished and not yet freed).</summary>
    public int LiveSessions => Volatile.Read(ref _liveSessions);

    /// <summary>Admitted requests waiting for a slot.</summary>
    public int Queued => Volatile.Read(ref _queued);

    /// <summary>Generations dropped because their handler gave up before they ended (clients gone, stop strings).</summary>
    public long Abandoned => Interlocked.Read(ref _abandoned);

    /// <summary>Batched decoder steps so far.</summary>
    public long Steps => Interlocked.Read(ref _steps);

    /// <summary>Hands a checked request to the loop; false when the server is stopping.</summary>
    public bool TryAdmit(ChatJob job)
    {
        Interlocked.Increment(ref _queued);
        if (!Queue.Writer.TryWrite(job))
        {
            Interlocked.Decrement(ref _queued);
            return false;
        }
        return true;
    }

    protected override string StopTimeoutWarning => "The host's shutdown timeout ended while chat generations were still running.";

    protected override async Task RunAsync()
    {
        ChannelReader<ChatJob> reader = Queue.Reader;
        while (true)
        {
            if (_batch.ActiveSlots == 0 && _waiting.Count == 0 && !await reader.WaitToReadAsync().ConfigureAwait(false))
            {
                return; // stopping, and every admitted request is answered
            }
            while (reader.TryRead(out ChatJob? arrived))
            {
                _waiting.Enqueue(arrived);
            }
            if (DrainExpired)
            {
                CutOffEverything();
                continue;
            }
            FreeAbandoned();
            StartWaiting();
            int rows;
            try
            {
                rows = _batch.Step();
            }
            catch (Exception e)
            {
                FailRunning(e);
                continue;
            }
            if (rows > 0)
            {
                Interlocked.Increment(ref _steps);
                _metrics.BatchSize.Record(rows);
                for (int slot = 0; slot < _bySlot.Length; slot++)
                {
                    if (_bySlot[slot] is { } job)
                    {
                        Deliver(job);
                    }
                }
            }
        }
    }

    /// <summary>Frees the slots (and waiting places) of generations nobody reads any more.</summary>
    private void FreeAbandoned()
    {
        for (int slot = 0; slot < _bySlot.Length; slot++)
        {
            if (_bySlot[slot] is { IsAbandoned: true } job)
            {
                Interlocked.Increment(ref _abandoned);
                Release(job, failure: null);
            }
        }
        int count = _waiting.Count;
        for (int i = 0; i < count; i++)
        {
            ChatJob job = _waiting.Dequeue();
            if (job.IsAbandoned)
            {
                Interlocked.Increment(ref _abandoned);
                Interlocked.Decrement(ref _queued);
                job.Writer.TryComplete();
            }
            else
            {
                _waiting.Enqueue(job);
            }
        }
    }

    /// <summary>Prefills waiting requests into free slots, oldest first; each delivers its first token at once.</summary>
    private void StartWaiting()
    {
        while (_batch.HasFreeSlot && _waiting.TryDequeue(out ChatJob? job))
        {
            Interlocked.Decrement(ref _queued);
            int slot;
            try
            {
                slot = _batch.Start(job.Work.Prompt, job.Work.Options);
            }
            catch (Exception e)
            {
                // Checked at admission, so this is the server's failure; it stays with this request.
                Log.LogError(e, "prefilling a chat prompt of {Tokens} tokens failed", job.Work.Prompt.Length);
                job.Writer.TryComplete(e);
                continue;
            }
            job.Slot = slot;
            _bySlot[slot] = job;
            Volatile.Write(ref _liveSessions, _batch.ActiveSlots);
            Deliver(job);
        }
    }

    /// <summary>Hands the slot's last pick to its handler; a finished generation leaves the batch.</summary>
    private void Deliver(ChatJob job)
    {
        int token = _batch.NewToken(job.Slot);
        if (token >= 0)
        {
            job.Writer.TryWrite(token);
        }
        switch (_batch.State(job.Slot))
        {
            case SlotState.Stopped:
                job.FinishReason = "stop";
                Release(job, null);
                break;
            case SlotState.ReachedMaxTokens:
                job.FinishReason = "length";
                Release(job, null);
                break;
        }
    }

    private void Release(ChatJob job, Exception? failure)
    {
        _batch.Free(job.Slot);
        _bySlot[job.Slot] = null;
        Volatile.Write(ref _liveSessions, _batch.ActiveSlots);
        job.Writer.TryComplete(failure);
    }

    private void FailRunning(Exception e)
    {
        Log.LogError(e, "a batched chat decoding step failed");
        foreach (ChatJob? job in _bySlot)
        {
            if (job is not null)
            {
                Release(job, e);
            }
        }
    }

    private void CutOffEverything()
    {
        var shutdown = new OperationCanceledException("The server is shutting down and its drain time ended.");
        foreach (ChatJob? job in _bySlot)
        {
            if (job is not null)
            {
                Release(job, shutdown);
            }
        }
        while (_waiting.TryDequeue(out ChatJob? job))
        {
            Interlocked.Decrement(ref _queued);
            job.Writer.TryComplete(shutdown);
        }
    }

    public override void Dispose()
    {
        base.Dispose();
        _batch.Dispose();
        _model.Dispose(); // after its last step: the batch's session is gone
    }
}
