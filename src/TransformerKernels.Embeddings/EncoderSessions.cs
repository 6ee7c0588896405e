namespace TransformerKernels.Embeddings;

/// <summary>
/// Scratch of one forward pass: an encoder session (its own model scratch over the shared weights) and the packed ids,
/// token types, lengths and hidden states of up to <see cref="Capacity"/> tokens.
/// </summary>
internal sealed class EncoderSession(ITokenEncoder encoder, int capacity, int width)
{
    public ITokenEncoder Encoder { get; } = encoder;

    public int Capacity { get; } = capacity;

    public int[] Ids { get; } = new int[capacity];

    public int[] TokenTypes { get; } = new int[capacity];

    public int[] Lengths { get; } = new int[capacity / 2 + 1]; // every sequence has at least [CLS] and [SEP]

    public float[] Hidden { get; } = new float[(long)capacity * width];

    /// <summary>
    /// Encodes <paramref name="sequences"/>[start..start+count) packed back to back (their tokens fit <see cref="Capacity"/>);
    /// the hidden states are then in <see cref="Hidden"/>, sequence after sequence.
    /// </summary>
    public void Encode(IReadOnlyList<int[]> sequences, IReadOnlyList<int[]>? tokenTypes, int start, int count)
    {
        int first = 0;
        for (int b = 0; b < count; b++)
        {
            int[] ids = sequences[start + b];
            ids.CopyTo(Ids, first);
            if (tokenTypes is not null)
            {
                tokenTypes[start + b].CopyTo(TokenTypes, first);
            }
            Lengths[b] = ids.Length;
            first += ids.Length;
        }
        Encoder.EncodePacked(Ids.AsSpan(0, first), Lengths.AsSpan(0, count), Hidden, tokenTypes is null ? default : TokenTypes.AsSpan(0, first));
    }
}

/// <summary>
/// The sessions of one loaded encoder, for up to MaxConcurrentCalls calls at once: a call waits (asynchronously) for a free
/// session, runs on the thread pool — never on the caller's thread — with the instance's thread count, and gives the
/// session back. The first session is the loaded model itself; the others share its packed weights.
/// </summary>
internal sealed class EncoderSessions : IDisposable
{
    private readonly ITokenEncoder _model;
    private readonly int _maxBatch, _width, _maxSeqLen;
    private readonly int? _threadCount;
    private readonly SemaphoreSlim _free;
    private readonly Stack<EncoderSession> _idle = new();
    private readonly List<EncoderSession> _all = [];
    private bool _disposed;

    public EncoderSessions(ITokenEncoder model, ModelShape shape, EncoderModelOptions options)
    {
        _model = model;
        _maxBatch = options.MaxBatch;
        _width = shape.DModel;
        _maxSeqLen = shape.MaxSeqLen;
        _threadCount = options.ThreadCount;
        _free = new SemaphoreSlim(options.MaxConcurrentCalls, options.MaxConcurrentCalls);
    }

    /// <summary>Tokens one forward pass holds: MaxBatch × MaxSeqLen.</summary>
    public int Capacity => _maxBatch * _maxSeqLen;

    /// <summary>Runs <paramref name="work"/> on the thread pool with a session of its own.</summary>
    public async Task<T> RunAsync<T>(Func<EncoderSession, T> work, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        await _free.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await Task.Run(() => RunWithSession(work), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _free.Release();
        }
    }

    /// <summary>Runs <paramref name="work"/> on the calling thread with a session of its own (the synchronous API).</summary>
    public T Run<T>(Func<EncoderSession, T> work, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _free.Wait(cancellationToken);
        try
        {
            return RunWithSession(work);
        }
        finally
        {
            _free.Release();
        }
    }

    private T RunWithSession<T>(Func<EncoderSession, T> work)
    {
        EncoderSession session = Take();
        try
        {
            if (_threadCount is { } threads)
            {
                using (KernelThreads.UseThreadCount(threads))
                {
                    return work(session);
                }
            }
            return work(session);
        }
        finally
        {
            lock (_idle)
            {
                _idle.Push(session);
            }
        }
    }

    private EncoderSession Take()
    {
        lock (_idle)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_idle.TryPop(out EncoderSession? idle))
            {
                return idle;
            }
            // The semaphore admits at most MaxConcurrentCalls callers, so at most that many sessions are ever made.
            ITokenEncoder encoder = _all.Count == 0 ? _model : _model.CreateSession(_maxBatch);
            var session = new EncoderSession(encoder, Capacity, _width);
            _all.Add(session);
            return session;
        }
    }

    /// <summary>
    /// The sequences [start, start + count) of each forward pass: consecutive sequences share a pass until their tokens
    /// would exceed <paramref name="budget"/>.
    /// </summary>
    public static IEnumerable<(int Start, int Count)> Chunks(IReadOnlyList<int[]> sequences, int budget)
    {
        int start = 0, tokens = 0;
        for (int i = 0; i < sequences.Count; i++)
        {
            if (i > start && tokens + sequences[i].Length > budget)
            {
                yield return (start, i - start);
                start = i;
                tokens = 0;
            }
            tokens += sequences[i].Length;
        }
        if (sequences.Count > start)
        {
            yield return (start, sequences.Count - start);
        }
    }

    /// <summary>
    /// Disposes the sessions and the model; a forward pass running on another thread finishes first (the model's own
    /// guard defers releasing its memory), and a call waiting for a session then fails with ObjectDisposedException.
    /// </summary>
    public void Dispose()
    {
        lock (_idle)
        {
            if (_disposed)
            {
                return;
            }
            _disposed = true;
            foreach (EncoderSession session in _all)
            {
                if (!ReferenceEquals(session.Encoder, _model))
                {
                    session.Encoder.Dispose();
                }
            }
            _model.Dispose();
        }
    }
}
