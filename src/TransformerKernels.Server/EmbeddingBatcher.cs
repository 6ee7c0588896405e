using System.Threading.Channels;
using TransformerKernels.Embeddings;

namespace TransformerKernels.Server;

/// <summary>
/// Continuous batching. Requests arrive already tokenized (their handlers checked them, so one bad text can only fail its
/// own request) and wait in one queue; a single worker keeps the requests in progress and, batch after batch, fills a
/// packed forward pass of at most the token budget with one text from each in turn (<see cref="RoundRobinScheduler"/>):
/// a large request is spread over many batches and a small one arriving meanwhile joins the next. The first request of an
/// idle worker may wait <see cref="ServerOptions.MaxWait"/> for company. At every batch boundary, requests whose client
/// went away are dropped with their remaining texts. Admission is bounded (<see cref="ServerOptions.MaxQueuedRequests"/>
/// requests not yet answered): beyond it a request is refused at once rather than queued.
/// Shutdown: on the host's stopping signal admission closes and the admitted requests are finished; what is still
/// unfinished after <see cref="ServerOptions.DrainTime"/> is answered 503 at the next batch boundary. The embedder is
/// disposed last, and its weights lease keeps a pass still running (a host timing out) from losing its memory.
/// </summary>
internal sealed class EmbeddingBatcher : QueueWorker<EmbeddingJob>
{
    private readonly ITokenSequenceEmbedder _embedder;
    private readonly ServerOptions _options;
    private readonly RoundRobinScheduler _scheduler = new();
    private int _admitted;
    private long _requests, _batches, _embeddedTokens, _abandoned;

    public EmbeddingBatcher(ITokenSequenceEmbedder embedder, ServerOptions options, IHostApplicationLifetime lifetime, ILogger<EmbeddingBatcher> log)
        : base(options, lifetime, log)
    {
        _embedder = embedder;
        _options = options;
        // A pass must hold the longest text; beyond the capacity the model has no room.
        TokenBudget = Math.Clamp(options.TokenBudget, embedder.MaxSequenceLength, embedder.Capacity);
    }

    /// <summary>The served embedding model's id.</summary>
    public string ModelId => _embedder.ModelId;

    /// <summary>Tokens of one batch: one packed forward pass, so a batch boundary is also a pass boundary.</summary>
    public int TokenBudget { get; }

    /// <summary>Requests answered so far (embedded, failed or refused at shutdown; abandoned ones are counted apart).</summary>
    public long Requests => Interlocked.Read(ref _requests);

    /// <summary>Batches (packed forward passes) so far.</summary>
    public long Batches => Interlocked.Read(ref _batches);

    /// <summary>Tokens embedded so far.</summary>
    public long EmbeddedTokens => Interlocked.Read(ref _embeddedTokens);

    /// <summary>Requests dropped because their client went away before they were finished.</summary>
    public long Abandoned => Interlocked.Read(ref _abandoned);

    /// <summary>Requests admitted and not yet answered.</summary>
    public int Queued => Volatile.Read(ref _admitted);

    /// <summary>Admits a tokenized request; false when the queue is full or the server is stopping.</summary>
    public bool TryAdmit(int[][] sequences, CancellationToken abandoned, out EmbeddingJob job)
    {
        job = new EmbeddingJob(sequences, abandoned);
        if (Interlocked.Increment(ref _admitted) > _options.MaxQueuedRequests || !Queue.Writer.TryWrite(job))
        {
            Interlocked.Decrement(ref _admitted);
            return false;
        }
        return true;
    }

    protected override string StopTimeoutWarning => "The host's shutdown timeout ended while a batch was still running; its weights are released when it ends.";

    protected override async Task RunAsync()
    {
        ChannelReader<EmbeddingJob> reader = Queue.Reader;
        var jobs = new List<EmbeddingJob>();
        while (true)
        {
            if (jobs.Count == 0)
            {
                if (!await reader.WaitToReadAsync().ConfigureAwait(false))
                {
                    return; // stopping, and everything admitted is answered
                }
                await CollectAsync(reader, jobs).ConfigureAwait(false);
            }
            while (reader.TryRead(out EmbeddingJob? arrived))
            {
                jobs.Add(arrived);
            }
            foreach (EmbeddingJob job in jobs.Where(j => j.Abandoned.IsCancellationRequested))
            {
                Finish(job, new OperationCanceledException(job.Abandoned));
            }
            if (DrainExpired)
            {
                var refusal = new EmbeddingFailedException(new RequestProblem(503,
                    $"The server is shutting down and could not finish this request within its drain time ({_options.DrainTime.TotalSeconds:0} s); retry.", null, "server_shutting_down"));
                foreach (EmbeddingJob job in jobs)
                {
                    Finish(job, refusal);
                }
            }
            jobs.RemoveAll(j => j.IsFinished);
            List<BatchItem> batch = _scheduler.Take(jobs, TokenBudget);
            if (batch.Count > 0)
            {
                Embed(batch);
            }
            jobs.RemoveAll(j => j.IsFinished);
        }
    }

    /// <summary>The first request of an idle worker waits up to MaxWait for others, until the queued tokens fill a batch.</summary>
    private async Task CollectAsync(ChannelReader<EmbeddingJob> reader, List<EmbeddingJob> jobs)
    {
        DateTime deadline = DateTime.UtcNow + _options.MaxWait;
        int tokens = 0;
        while (true)
        {
            while (reader.TryRead(out EmbeddingJob? arrived))
            {
                jobs.Add(arrived);
                tokens += arrived.Tokens;
            }
            TimeSpan left = deadline - DateTime.UtcNow;
            if (tokens >= TokenBudget || left <= TimeSpan.Zero)
            {
                return;
            }
            using var timeout = new CancellationTokenSource(left);
            try
            {
                if (!await reader.WaitToReadAsync(timeout.Token).ConfigureAwait(false))
                {
                    return; // completed: embed what we have
                }
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>
    /// One packed pass over the batch's texts. Their requests were checked at admission, so a failure here is the server's;
    /// when the batch mixes requests, each is retried alone so that a failure stays with the request it belongs to.
    /// </summary>
    private void Embed(List<BatchItem> batch)
    {
        if (TryEmbed(batch) is not { } failure)
        {
            return;
        }
        var requests = batch.GroupBy(item => item.Job).ToList();
        if (requests.Count == 1)
        {
            Fail(requests[0].Key, failure);
            return;
        }
        foreach (var request in requests)
        {
            if (TryEmbed([.. request]) is { } own)
            {
                Fail(request.Key, own);
            }
        }
    }

    private Exception? TryEmbed(List<BatchItem> batch)
    {
        try
        {
            float[][] embeddings = _embedder.EmbedTokens([.. batch.Select(item => item.Job.Sequences[item.Text])], CancellationToken.None, tokenBudget: TokenBudget);
            for (int i = 0; i < batch.Count; i++)
            {
                batch[i].Job.Embeddings[batch[i].Text] = embeddings[i];
            }
            Interlocked.Add(ref _embeddedTokens, batch.Sum(item => item.Job.Sequences[item.Text].Length));
            foreach (EmbeddingJob job in batch.Select(item => item.Job).Distinct())
            {
                if (!job.HasUnscheduled)
                {
                    Finish(job, null);
                }
            }
            return null;
        }
        catch (Exception e)
        {
            return e;
        }
        finally
        {
            Interlocked.Increment(ref _batches);
        }
    }

    private void Fail(EmbeddingJob job, Exception failure)
    {
        RequestProblem problem = failure is ObjectDisposedException
            ? new(503, "The server is shutting down; retry.", null, "server_shutting_down")
            : new(500, "Embedding this request failed inside the server; the error is in its log.", null, "internal_error");
        if (problem.Status == 500)
        {
            Log.LogError(failure, "embedding a request of {Texts} texts ({Tokens} tokens) failed", job.Sequences.Length, job.Tokens);
        }
        Finish(job, new EmbeddingFailedException(problem, failure));
    }

    /// <summary>Sets a request's outcome and frees its admission slot, exactly once per request whatever happened.</summary>
    private void Finish(EmbeddingJob job, Exception? failure)
    {
        if (!job.TryFinish(failure))
        {
            return;
        }
        Interlocked.Decrement(ref _admitted);
        Interlocked.Increment(ref failure is OperationCanceledException ? ref _abandoned : ref _requests);
    }

    public override void Dispose()
    {
        base.Dispose();
        _embedder.Dispose();
    }
}
