using System.Threading.Channels;
using TransformerKernels.MiniLM;

namespace TransformerKernels.EmbeddingServer;

/// <summary>What one request gets back: an embedding per text, and the tokens they took ([CLS] and [SEP] included).</summary>
public sealed record EmbeddingResult(float[][] Embeddings, int Tokens);

/// <summary>
/// Dynamic batching: concurrent requests wait in one queue; a single worker takes everything queued (by default, what
/// arrived while the previous batch ran), keeps collecting until <see cref="ServerOptions.MaxWait"/> has passed since the
/// first or the batch would exceed the token budget, then embeds every
/// text of the batch in the embedder's packed passes and answers each request with its own slice. Admission is bounded
/// (<see cref="ServerOptions.MaxQueuedRequests"/> requests not yet answered): beyond it a request is refused at once rather
/// than queued, so memory and latency stay bounded under overload. Stopping completes the queue and answers everything
/// already admitted before the worker ends.
/// </summary>
public sealed class EmbeddingBatcher : IHostedService, IDisposable
{
    private sealed record Pending(string[] Texts, int EstimatedTokens, TaskCompletionSource<EmbeddingResult> Done);

    private readonly SentenceEmbedder _embedder;
    private readonly ServerOptions _options;
    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });
    private readonly ILogger<EmbeddingBatcher> _log;
    private Task _worker = Task.CompletedTask;
    private int _admitted;
    private long _requests, _batches;

    public EmbeddingBatcher(SentenceEmbedder embedder, ServerOptions options, ILogger<EmbeddingBatcher> log)
    {
        _embedder = embedder;
        _options = options;
        _log = log;
        _embedder.TokenBudget = Math.Min(options.TokenBudget, embedder.Capacity);
    }

    /// <summary>Requests answered so far.</summary>
    public long Requests => Interlocked.Read(ref _requests);

    /// <summary>Batches (groups of requests embedded together) so far.</summary>
    public long Batches => Interlocked.Read(ref _batches);

    /// <summary>Requests admitted and not yet answered.</summary>
    public int Queued => Volatile.Read(ref _admitted);

    /// <summary>Queues <paramref name="texts"/>; false when the queue is full or the server is stopping.</summary>
    public bool TryEnqueue(string[] texts, out Task<EmbeddingResult> result)
    {
        result = Task.FromResult(new EmbeddingResult([], 0));
        if (Interlocked.Increment(ref _admitted) > _options.MaxQueuedRequests)
        {
            Interlocked.Decrement(ref _admitted);
            return false;
        }
        // The batch is closed on an estimate (about four UTF-8 bytes per WordPiece token); the embedder packs by exact counts.
        int estimate = texts.Sum(t => 2 + System.Text.Encoding.UTF8.GetByteCount(t) / 4);
        var pending = new Pending(texts, estimate, new TaskCompletionSource<EmbeddingResult>(TaskCreationOptions.RunContinuationsAsynchronously));
        if (!_queue.Writer.TryWrite(pending))
        {
            Interlocked.Decrement(ref _admitted);
            return false;
        }
        result = pending.Done.Task;
        return true;
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _worker = Task.Factory.StartNew(RunAsync, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
        return Task.CompletedTask;
    }

    /// <summary>Stops admitting and answers every admitted request before returning (graceful shutdown).</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _queue.Writer.TryComplete();
        await _worker.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task RunAsync()
    {
        ChannelReader<Pending> reader = _queue.Reader;
        var batch = new List<Pending>();
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            batch.Clear();
            int tokens = 0;
            DateTime deadline = DateTime.UtcNow + _options.MaxWait;
            while (tokens < _options.TokenBudget)
            {
                if (reader.TryRead(out Pending? next))
                {
                    batch.Add(next);
                    tokens += next.EstimatedTokens;
                    continue;
                }
                TimeSpan left = deadline - DateTime.UtcNow;
                if (left <= TimeSpan.Zero || batch.Count == 0 && reader.Completion.IsCompleted)
                {
                    break;
                }
                using var timeout = new CancellationTokenSource(left);
                try
                {
                    if (!await reader.WaitToReadAsync(timeout.Token).ConfigureAwait(false))
                    {
                        break; // completed: embed what we have, then the outer loop ends
                    }
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
            if (batch.Count > 0)
            {
                Embed(batch);
            }
        }
    }

    private void Embed(List<Pending> batch)
    {
        try
        {
            string[] texts = [.. batch.SelectMany(p => p.Texts)];
            float[][] embeddings = _embedder.Embed(texts);
            int first = 0;
            foreach (Pending pending in batch)
            {
                int tokens = pending.Texts.Sum(t => _embedder.Tokenize(t).Length);
                pending.Done.TrySetResult(new EmbeddingResult(embeddings[first..(first + pending.Texts.Length)], tokens));
                first += pending.Texts.Length;
            }
        }
        catch (Exception e)
        {
            _log.LogError(e, "embedding a batch of {Requests} requests failed", batch.Count);
            foreach (Pending pending in batch)
            {
                pending.Done.TrySetException(e);
            }
        }
        finally
        {
            Interlocked.Add(ref _requests, batch.Count);
            Interlocked.Increment(ref _batches);
            Interlocked.Add(ref _admitted, -batch.Count);
        }
    }

    public void Dispose() => _embedder.Dispose();
}
