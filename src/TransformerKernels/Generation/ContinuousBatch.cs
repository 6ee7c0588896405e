namespace TransformerKernels;

/// <summary>What a slot of a <see cref="ContinuousBatch"/> is doing.</summary>
public enum SlotState
{
    /// <summary>Nobody holds it: <see cref="ContinuousBatch.Start"/> may take it.</summary>
    Free,

    /// <summary>Generating: the next <see cref="ContinuousBatch.Step"/> advances it.</summary>
    Running,

    /// <summary>Its last pick was one of its <see cref="GenerationOptions.StopTokens"/> (not appended).</summary>
    Stopped,

    /// <summary>It generated <see cref="GenerationOptions.MaxNewTokens"/> tokens.</summary>
    ReachedMaxTokens,
}

/// <summary>
/// Continuous batching: one decoder session with a fixed number of slots, each a generation of its own with its own
/// options and random source. A new prompt is prefilled into a free slot at any time between steps, and every running slot
/// advances in one batched <see cref="ITokenDecoder.Step"/> per <see cref="Step"/> — so generations that start and end at
/// different times still share every pass over the weights. Finished slots keep their tokens until <see cref="Free"/>.
/// </summary>
/// <remarks>
/// Each slot picks exactly as <see cref="TokenGenerator"/> does for the same prompt and options (the same sampler, the same
/// seeded random source, the same stop and length rules), so a greedy or seeded generation gives the same tokens here as
/// alone, whatever else shares its steps. Not thread-safe: one caller (a scheduler loop) drives it. After the first step of
/// a given row count, steps allocate nothing.
/// </remarks>
public sealed class ContinuousBatch : IDisposable
{
    private readonly IPromptDecoder _session;
    private readonly TokenSampler _sampler;
    private readonly int _vocabulary, _stride;
    // Per slot: its tokens so far (prompt then generated) [Capacity, _stride], their count, the prompt's length, its options,
    // its random source, its state and the token its last pick appended (−1 when that pick was a stop token).
    private readonly int[] _histories, _lengths, _promptLengths, _newTokens;
    private readonly GenerationOptions?[] _options;
    private readonly SamplingRandom[] _randoms;
    private readonly SlotState[] _states;
    // The rows of a step: slot, last token and its position.
    private readonly int[] _stepSlots, _stepTokens, _stepPositions;
    private readonly int[] _onePromptLength = new int[1];
    private int _active;

    /// <summary>A batch of <paramref name="capacity"/> slots in a session of its own over <paramref name="model"/>'s weights (the model is not disposed).</summary>
    public ContinuousBatch(IPromptDecoder model, int capacity)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(capacity, ModelRunState.MaxSlots);
        _session = model.CreateSession(capacity);
        Capacity = capacity;
        _vocabulary = _session.Vocabulary;
        _stride = _session.MaxSequenceLength;
        _sampler = new TokenSampler(_vocabulary);
        _histories = new int[capacity * _stride];
        _lengths = new int[capacity];
        _promptLengths = new int[capacity];
        _newTokens = new int[capacity];
        _options = new GenerationOptions?[capacity];
        _randoms = new SamplingRandom[capacity];
        _states = new SlotState[capacity];
        _stepSlots = new int[capacity];
        _stepTokens = new int[capacity];
        _stepPositions = new int[capacity];
    }

    /// <summary>Slots: generations that may be in progress at once.</summary>
    public int Capacity { get; }

    /// <summary>Longest prompt plus continuation a slot holds (the model's MaxSeqLen).</summary>
    public int MaxSequenceLength => _stride;

    /// <summary>Slots not <see cref="SlotState.Free"/> (running, or finished and not yet freed).</summary>
    public int ActiveSlots => _active;

    /// <summary>Whether <see cref="Start"/> would find a free slot.</summary>
    public bool HasFreeSlot => _active < Capacity;

    /// <summary>What slot <paramref name="slot"/> is doing.</summary>
    public SlotState State(int slot) => _states[slot];

    /// <summary>The token the slot's last pick appended, or −1 when that pick was a stop token.</summary>
    public int NewToken(int slot) => _newTokens[slot];

    /// <summary>The tokens the slot generated so far (stop token excluded).</summary>
    public ReadOnlySpan<int> Generated(int slot) => _histories.AsSpan(slot * _stride + _promptLengths[slot], _lengths[slot] - _promptLengths[slot]);

    /// <summary>
    /// Prefills <paramref name="prompt"/> into a free slot and picks its first token; returns the slot (then
    /// <see cref="SlotState.Running"/>, or already finished when that token ended it).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The prompt is empty, has an id outside the vocabulary, or with
    /// <see cref="GenerationOptions.MaxNewTokens"/> does not fit MaxSeqLen; an option is out of range (named).</exception>
    /// <exception cref="InvalidOperationException">No slot is free.</exception>
    public int Start(ReadOnlySpan<int> prompt, GenerationOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate(_vocabulary);
        if (prompt.Length < 1 || prompt.Length + options.MaxNewTokens > _stride)
        {
            throw new ArgumentOutOfRangeException(nameof(prompt), prompt.Length,
                $"The prompt has {prompt.Length} tokens; with MaxNewTokens {options.MaxNewTokens} it must have 1..{_stride - options.MaxNewTokens} (the model's MaxSeqLen is {_stride}).");
        }
        for (int i = 0; i < prompt.Length; i++)
        {
            if ((uint)prompt[i] >= (uint)_vocabulary)
            {
                throw new ArgumentOutOfRangeException(nameof(prompt), prompt[i], $"Token {i}: ids must be in [0, {_vocabulary}).");
            }
        }
        int slot = Array.IndexOf(_states, SlotState.Free);
        if (slot < 0)
        {
            throw new InvalidOperationException($"All {Capacity} slots are in use: free a finished one first.");
        }
        prompt.CopyTo(_histories.AsSpan(slot * _stride));
        _lengths[slot] = _promptLengths[slot] = prompt.Length;
        _options[slot] = options;
        _randoms[slot] = new SamplingRandom(options.Seed ?? Random.Shared.NextInt64());
        _onePromptLength[0] = prompt.Length;
        Span<float> logits = _session.Prefill(prompt, _onePromptLength, slot);
        _states[slot] = SlotState.Running;
        _active++;
        Pick(slot, logits[.._vocabulary]);
        return slot;
    }

    /// <summary>One batched decoder step over every running slot, each then picking its next token; returns how many slots it advanced.</summary>
    public int Step()
    {
        int rows = 0;
        for (int slot = 0; slot < Capacity; slot++)
        {
            if (_states[slot] == SlotState.Running)
            {
                _stepSlots[rows] = slot;
                _stepTokens[rows] = _histories[slot * _stride + _lengths[slot] - 1];
                _stepPositions[rows] = _lengths[slot] - 1;
                rows++;
            }
        }
        if (rows == 0)
        {
            return 0;
        }
        Span<float> logits = _session.Step(_stepSlots.AsSpan(0, rows), _stepTokens.AsSpan(0, rows), _stepPositions.AsSpan(0, rows));
        for (int row = 0; row < rows; row++)
        {
            Pick(_stepSlots[row], logits.Slice(row * _vocabulary, _vocabulary));
        }
        return rows;
    }

    /// <summary>Ends the slot's generation (finished or not) and makes the slot free.</summary>
    public void Free(int slot)
    {
        if (_states[slot] == SlotState.Free)
        {
            return;
        }
        _states[slot] = SlotState.Free;
        _options[slot] = null;
        _active--;
    }

    /// <summary>Frees the session's caches and scratch.</summary>
    public void Dispose() => _session.Dispose();

    /// <summary>The slot's next token from its row of logits, with GenerationSession's stop and length rules.</summary>
    private void Pick(int slot, ReadOnlySpan<float> logits)
    {
        GenerationOptions options = _options[slot]!;
        int token = _sampler.Pick(logits, _histories.AsSpan(slot * _stride, _lengths[slot]), options, ref _randoms[slot]);
        if (IsStop(token, options.StopTokens))
        {
            _newTokens[slot] = -1;
            _states[slot] = SlotState.Stopped;
            return;
        }
        _histories[slot * _stride + _lengths[slot]++] = token;
        _newTokens[slot] = token;
        if (_lengths[slot] - _promptLengths[slot] == options.MaxNewTokens)
        {
            _states[slot] = SlotState.ReachedMaxTokens;
        }
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
}
