using System.Runtime.CompilerServices;

namespace TransformerKernels;

/// <summary>
/// Text generation with a decoder-only model: a batch of prompts of different lengths is prefilled in one pass, then every
/// sequence still running decodes one token per batched step with its key/value cache (greedy or sampled, see
/// <see cref="GenerationOptions"/>).
/// </summary>
/// <remarks>
/// <para>
/// <b>Concurrency.</b> Every call runs in a session of its own — caches and scratch of its own over the model's shared
/// packed weights (<see cref="IPromptDecoder.CreateSession"/>) — so one generator, like one model, may serve any number
/// of callers at once: threads calling <see cref="Generate(IReadOnlyList{int[]}, GenerationOptions, CancellationToken)"/>
/// together and <see cref="GenerateAsync"/> streams interleaved on one thread each get exactly what they would get alone.
/// Sessions are pooled: after the first calls of a given batch size, steps allocate nothing. At most
/// <see cref="MaxConcurrentGenerations"/> generations run at once (each session holds a full set of caches); further
/// calls wait for one to end, or for their cancellation.
/// </para>
/// <para>
/// A stream holds its session until it ends or its enumerator is disposed (an <c>await foreach</c> left early, a client
/// gone): dispose the enumerators of streams you abandon. Dispose the generator to free the pooled sessions.
/// </para>
/// </remarks>
public sealed class TokenGenerator : IDisposable
{
    /// <summary>Default of <see cref="MaxConcurrentGenerations"/>.</summary>
    public const int DefaultMaxConcurrentGenerations = 16;

    private readonly IPromptDecoder _model;
    private readonly SemaphoreSlim _admission;
    private readonly Lock _lock = new();
    private readonly List<GenerationSession> _idle = [];
    private int _live;
    private bool _disposed;

    /// <summary>A generator over <paramref name="model"/>, which it does not dispose.</summary>
    /// <param name="model">The model; its own caches are not used (each generation has a session).</param>
    /// <param name="maxConcurrentGenerations">Generations that may run at once; calls beyond wait.</param>
    public TokenGenerator(IPromptDecoder model, int maxConcurrentGenerations = DefaultMaxConcurrentGenerations)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxConcurrentGenerations, 1);
        _model = model;
        MaxConcurrentGenerations = maxConcurrentGenerations;
        _admission = new SemaphoreSlim(maxConcurrentGenerations, maxConcurrentGenerations);
    }

    /// <summary>Generations that may run at once (each in a session with its own caches); further calls wait.</summary>
    public int MaxConcurrentGenerations { get; }

    /// <summary>Generations running now (calls in progress and streams not yet ended or disposed).</summary>
    public int LiveGenerations => Volatile.Read(ref _live);

    /// <summary>
    /// Generates a continuation of every prompt, all in one batch; returns the new tokens of each (stop token excluded), in
    /// prompt order.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A prompt plus <see cref="GenerationOptions.MaxNewTokens"/> beyond the model's
    /// MaxSeqLen (<c>prompts</c>), an id outside the vocabulary, an option out of range (named).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled; it is checked before
    /// every step (and while waiting for a session), and the generator stays usable.</exception>
    public int[][] Generate(IReadOnlyList<int[]> prompts, GenerationOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        if (prompts.Count == 0)
        {
            return [];
        }
        GenerationSession session = Rent(prompts.Count, cancellationToken);
        try
        {
            return session.Generate(prompts, options, cancellationToken);
        }
        finally
        {
            Return(session);
        }
    }

    /// <summary>
    /// Generates a continuation of one prompt into <paramref name="output"/> (stop token excluded); returns its length.
    /// Allocates nothing per step.
    /// </summary>
    public int Generate(int[] prompt, Span<int> output, GenerationOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        ArgumentNullException.ThrowIfNull(options);
        if (output.Length < options.MaxNewTokens)
        {
            throw new ArgumentException($"The output holds {output.Length} tokens; MaxNewTokens is {options.MaxNewTokens}.", nameof(output));
        }
        GenerationSession session = Rent(1, cancellationToken);
        try
        {
            return session.Generate(prompt, output, options, cancellationToken);
        }
        finally
        {
            Return(session);
        }
    }

    /// <summary>
    /// Streams the continuation of one prompt token by token as it is generated (stop token excluded). Cancellation takes
    /// effect before the next step (<see cref="OperationCanceledException"/>); the stream's session returns to the pool
    /// when the stream ends or its enumerator is disposed.
    /// </summary>
    public async IAsyncEnumerable<int> GenerateAsync(int[] prompt, GenerationOptions options, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        GenerationSession session = await RentAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await foreach (int token in session.GenerateAsync(prompt, options, cancellationToken).ConfigureAwait(false))
            {
                yield return token;
            }
        }
        finally
        {
            Return(session);
        }
    }

    /// <summary>Frees the pooled sessions; generations still running free theirs when they end.</summary>
    public void Dispose()
    {
        GenerationSession[] idle;
        lock (_lock)
        {
            _disposed = true;
            idle = [.. _idle];
            _idle.Clear();
        }
        foreach (GenerationSession session in idle)
        {
            session.Dispose();
        }
    }

    private GenerationSession Rent(int capacity, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _admission.Wait(cancellationToken);
        return Take(capacity);
    }

    private async ValueTask<GenerationSession> RentAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        await _admission.WaitAsync(cancellationToken).ConfigureAwait(false);
        return Take(1);
    }

    /// <summary>An idle session that takes <paramref name="capacity"/> prompts, or a new one; the caller holds an admission.</summary>
    private GenerationSession Take(int capacity)
    {
        try
        {
            GenerationSession? found = null;
            lock (_lock)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                for (int i = _idle.Count - 1; i >= 0 && found is null; i--)
                {
                    if (_idle[i].Capacity >= capacity)
                    {
                        found = _idle[i];
                        _idle.RemoveAt(i);
                    }
                }
            }
            // Outside the lock: a new session allocates its scratch and caches.
            found ??= new GenerationSession(_model.CreateSession(capacity), capacity);
            Interlocked.Increment(ref _live);
            return found;
        }
        catch
        {
            _admission.Release();
            throw;
        }
    }

    private void Return(GenerationSession session)
    {
        bool keep;
        Interlocked.Decrement(ref _live);
        lock (_lock)
        {
            keep = !_disposed;
            if (keep)
            {
                _idle.Add(session);
            }
        }
        if (!keep)
        {
            session.Dispose();
        }
        _admission.Release();
    }
}
