using System.Runtime.CompilerServices;

namespace TransformerKernels;

/// <summary>
/// One generation at a time in a decoder session of its own (<see cref="IPromptDecoder.CreateSession"/>): a batch of
/// prompts of different lengths is prefilled in one pass (the GEMM rows are all prompt tokens), then each step feeds the
/// last token of every sequence still running through the decoder in one pass with its key/value cache; finished
/// sequences (a stop token or <see cref="GenerationOptions.MaxNewTokens"/>) leave the batch. <see cref="TokenGenerator"/>
/// keeps a pool of these, one per generation in progress. After the first call of a given batch size, steps allocate nothing.
/// </summary>
internal sealed class GenerationSession : IDisposable
{
    private readonly IPromptDecoder _model;
    private readonly TokenSampler _sampler;
    private readonly int _vocabulary;
    // Per sequence: its tokens so far (prompt then generated) [count, _stride], their count, its prompt length, tokens generated.
    private int[] _histories = [], _historyLengths = [], _promptLengths = [], _generated = [];
    // Per live row of a step: the sequences still running (sequence k decodes in slot k), their last tokens and positions.
    private int[] _live = [], _tokens = [], _positions = [], _packed = [];

    /// <summary>A session for up to <paramref name="capacity"/> prompts per call over its own decoder <paramref name="session"/>, which it disposes.</summary>
    public GenerationSession(IPromptDecoder session, int capacity)
    {
        _model = session;
        Capacity = capacity;
        _vocabulary = session.Vocabulary;
        _sampler = new TokenSampler(_vocabulary);
    }

    /// <summary>Most prompts one call takes (the decoder session's batch).</summary>
    public int Capacity { get; }

    /// <summary>Frees the decoder session's caches and scratch.</summary>
    public void Dispose() => _model.Dispose();

    /// <summary>
    /// Generates a continuation of every prompt, all in one batch; returns the new tokens of each (stop token excluded), in
    /// prompt order.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A prompt plus <see cref="GenerationOptions.MaxNewTokens"/> beyond the model's
    /// MaxSeqLen (<c>prompts</c>), an id outside the vocabulary, an option out of range (named).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled; it is checked before
    /// every step, and the model stays usable.</exception>
    public int[][] Generate(IReadOnlyList<int[]> prompts, GenerationOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        if (prompts.Count == 0)
        {
            return [];
        }
        bool more = Pick(Start(prompts, options, out SamplingRandom random), options, ref random);
        while (more)
        {
            cancellationToken.ThrowIfCancellationRequested();
            more = Pick(Decode(), options, ref random);
        }
        return [.. Enumerable.Range(0, prompts.Count).Select(k => _histories.AsSpan(k * _stride + prompts[k].Length, _historyLengths[k] - prompts[k].Length).ToArray())];
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
        _single[0] = prompt;
        bool more = Pick(Start(_single, options, out SamplingRandom random), options, ref random);
        while (more)
        {
            cancellationToken.ThrowIfCancellationRequested();
            more = Pick(Decode(), options, ref random);
        }
        int count = _historyLengths[0] - prompt.Length;
        _histories.AsSpan(prompt.Length, count).CopyTo(output);
        return count;
    }

    /// <summary>
    /// Streams the continuation of one prompt token by token as it is generated (stop token excluded). Cancellation takes
    /// effect before the next step (<see cref="OperationCanceledException"/>); the model stays usable for the next generation.
    /// </summary>
    public async IAsyncEnumerable<int> GenerateAsync(int[] prompt, GenerationOptions options, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        _single[0] = prompt;
        int reported = prompt.Length;
        bool more = Pick(Start(_single, options, out SamplingRandom random), options, ref random);
        while (true)
        {
            // Tokens the last pick appended to the sequence (none when it picked a stop token).
            while (reported < _historyLengths[0])
            {
                yield return _histories[reported++];
            }
            if (!more)
            {
                yield break;
            }
            // Let the consumer's continuation run before the next (compute-bound) step.
            await Task.Yield();
            cancellationToken.ThrowIfCancellationRequested();
            more = Pick(Decode(), options, ref random);
        }
    }

    private readonly int[][] _single = new int[1][];
    private int _liveCount, _stride;

    /// <summary>Checks everything, prefills the prompts into slots [0, count); returns the logits of each prompt's last position.</summary>
    private Span<float> Start(IReadOnlyList<int[]> prompts, GenerationOptions options, out SamplingRandom random)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate(_vocabulary);
        int count = prompts.Count, maxLength = _model.MaxSequenceLength;
        if (count > ModelRunState.MaxSlots)
        {
            throw new ArgumentOutOfRangeException(nameof(prompts), count, $"At most {ModelRunState.MaxSlots} prompts per call.");
        }
        int total = 0;
        if (options.MaxNewTokens >= maxLength)
        {
            throw new ArgumentOutOfRangeException(nameof(GenerationOptions.MaxNewTokens), options.MaxNewTokens,
                $"MaxNewTokens {options.MaxNewTokens} leaves no room for a prompt: the model's MaxSeqLen is {maxLength} positions, prompt and generated tokens together.");
        }
        for (int k = 0; k < count; k++)
        {
            int[] prompt = prompts[k] ?? throw new ArgumentNullException(nameof(prompts), $"Prompt {k} is null.");
            if (prompt.Length < 1 || prompt.Length + options.MaxNewTokens > maxLength)
            {
                throw new ArgumentOutOfRangeException(nameof(prompts), prompt.Length,
                    $"Prompt {k} has {prompt.Length} tokens; with MaxNewTokens {options.MaxNewTokens} it must have 1..{maxLength - options.MaxNewTokens} (the model's MaxSeqLen is {maxLength}).");
            }
            for (int i = 0; i < prompt.Length; i++)
            {
                if ((uint)prompt[i] >= (uint)_vocabulary)
                {
                    throw new ArgumentOutOfRangeException(nameof(prompts), prompt[i], $"Prompt {k}, token {i}: ids must be in [0, {_vocabulary}).");
                }
            }
            total += prompt.Length;
        }
        Grow(count, total, maxLength);
        for (int k = 0, offset = 0; k < count; offset += prompts[k].Length, k++)
        {
            prompts[k].CopyTo(_packed, offset);
            prompts[k].CopyTo(_histories, k * _stride);
            _promptLengths[k] = _historyLengths[k] = prompts[k].Length;
            _generated[k] = 0;
            _live[k] = k;
        }
        _liveCount = count;
        random = new SamplingRandom(options.Seed ?? Random.Shared.NextInt64());
        return _model.Prefill(_packed.AsSpan(0, total), _promptLengths.AsSpan(0, count), 0);
    }

    /// <summary>
    /// Picks the next token of every live sequence from its row of <paramref name="logits"/>, appends it, and drops the
    /// sequences that stopped or reached MaxNewTokens. Returns whether any still run.
    /// </summary>
    private bool Pick(Span<float> logits, GenerationOptions options, ref SamplingRandom random)
    {
        int kept = 0;
        for (int i = 0; i < _liveCount; i++)
        {
            int sequence = _live[i];
            int token = _sampler.Pick(logits.Slice(i * _vocabulary, _vocabulary), _histories.AsSpan(sequence * _stride, _historyLengths[sequence]), options, ref random);
            if (IsStop(token, options.StopTokens))
            {
                continue;
            }
            _histories[sequence * _stride + _historyLengths[sequence]++] = token;
            if (++_generated[sequence] == options.MaxNewTokens)
            {
                continue;
            }
            _live[kept++] = sequence;
        }
        _liveCount = kept;
        return kept > 0;
    }

    /// <summary>One decoder step over the live sequences' last tokens (sequence k decodes in slot k).</summary>
    private Span<float> Decode()
    {
        for (int i = 0; i < _liveCount; i++)
        {
            int sequence = _live[i];
            _tokens[i] = _histories[sequence * _stride + _historyLengths[sequence] - 1];
            _positions[i] = _historyLengths[sequence] - 1;
        }
        return _model.Step(_live.AsSpan(0, _liveCount), _tokens.AsSpan(0, _liveCount), _positions.AsSpan(0, _liveCount));
    }

    private static bool IsStop(int token, IReadOnlyList<int> stopTokens)
    {
        for (int i = 0; i < stopTokens.Count; i++)
        {
            if (stopTokens[i] == token)
            {
                return true;
            }
        }
        return false;
    }

    private void Grow(int count, int total, int maxLength)
    {
        _stride = maxLength;
        if (_live.Length < count)
        {
            _live = new int[count];
            _tokens = new int[count];
            _positions = new int[count];
            _historyLengths = new int[count];
            _promptLengths = new int[count];
            _generated = new int[count];
            _histories = new int[count * maxLength];
        }
        if (_packed.Length < total)
        {
            _packed = new int[total];
        }
    }
}
