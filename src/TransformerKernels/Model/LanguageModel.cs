using System.ComponentModel;

namespace TransformerKernels;

/// <summary>
/// A decoder-only language model (Llama, GPT-2 and their families): prompts prefilled into slots in one pass
/// (<see cref="Prefill"/>, <see cref="Score"/>), then batched decoding steps with a key/value cache per slot
/// (<see cref="Step(ReadOnlySpan{int}, ReadOnlySpan{int}, ReadOnlySpan{int})"/>, <see cref="CopySlot"/>), and the generic
/// <see cref="IDecoderModel{TSelf}"/> that <see cref="TokenGenerator"/> and chat clients load it through. Generated classes
/// declared with <c>EncoderLayers = 0</c> and a <c>Vocab</c> derive from it.
/// </summary>
/// <typeparam name="TSelf">The generated model class.</typeparam>
public abstract unsafe class LanguageModel<TSelf> : DecoderModel<TSelf>, IDecoderModel<TSelf> where TSelf : LanguageModel<TSelf>, IModelKernels<TSelf>
{
    /// <inheritdoc cref="TransformerModel{TSelf}(TransformerWeights, int, bool)"/>
    [EditorBrowsable(EditorBrowsableState.Never)]
    protected LanguageModel(TransformerWeights weights, int maxBatch, bool ownsWeights) : base(weights, maxBatch, ownsWeights)
    {
    }

    /// <summary>
    /// Runs prompts through the decoder in one pass — the GEMM rows are all prompt tokens, attention runs per prompt under
    /// the causal mask — and fills the key/value caches of slots [firstSlot, firstSlot + prompts): prompt k's keys and
    /// values for positions [0, length) go to slot firstSlot + k. Returns the logits of each prompt's last position
    /// [prompts, DecoderVocab], valid until the next call; <see cref="Step(ReadOnlySpan{int}, ReadOnlySpan{int}, ReadOnlySpan{int})"/> continues from position length.
    /// </summary>
    /// <param name="prompts">Token ids of every prompt, back to back [Σ promptLengths].</param>
    /// <param name="promptLengths">Tokens of each prompt (each 1..MaxSeqLen; in total at most maxBatch·MaxSeqLen).</param>
    /// <param name="firstSlot">Slot of the first prompt.</param>
    /// <exception cref="ArgumentOutOfRangeException">An id outside the vocabulary, a prompt of 0 or more than MaxSeqLen tokens, too many tokens or slots.</exception>
    public Span<float> Prefill(scoped ReadOnlySpan<int> prompts, scoped ReadOnlySpan<int> promptLengths, int firstSlot = 0)
    {
        Enter();
        try
        {
            return PrefillCore(prompts, promptLengths, firstSlot);
        }
        finally
        {
            Exit();
        }
    }

    /// <summary>
    /// Scores one sequence in one pass: prefills <paramref name="tokens"/> into slot 0 (as <see cref="Prefill"/> would) and writes the
    /// logits of every position into <paramref name="logits"/> [tokens.Length, DecoderVocab] — row i is the model's prediction of token i + 1.
    /// </summary>
    /// <param name="tokens">The sequence (1..MaxSeqLen ids).</param>
    /// <param name="logits">Receives tokens.Length × DecoderVocab floats (at least that many).</param>
    /// <exception cref="ArgumentOutOfRangeException">An id outside the vocabulary, or 0 or more than MaxSeqLen tokens.</exception>
    /// <exception cref="ArgumentException"><paramref name="logits"/> is too short.</exception>
    public void Score(ReadOnlySpan<int> tokens, Span<float> logits)
    {
        Enter();
        try
        {
            ThrowIfDisposed();
            if (tokens.Length < 1 || tokens.Length > _maxSeqLen)
            {
                throw new ArgumentOutOfRangeException(nameof(tokens), tokens.Length, $"A scored sequence must have 1..{_maxSeqLen} tokens (MaxSeqLen).");
            }
            CheckSpan(logits.Length, (long)tokens.Length * _decoderVocab, nameof(logits), exact: false);
            int length = tokens.Length;
            fixed (float* output = logits)
            {
                PrefillCore(tokens, new ReadOnlySpan<int>(in length), 0, output);
            }
        }
        finally
        {
            Exit();
        }
    }

    /// <summary>
    /// One decoding step in slot <paramref name="slot"/>: embed <paramref name="token"/> at <paramref name="position"/>, run it
    /// through every decoder block against the cache, final norm, final linear. Returns the logits [DecoderVocab].
    /// </summary>
    /// <param name="slot">Slot (0 for greedy decoding of one sentence).</param>
    /// <param name="token">The previous target token.</param>
    /// <param name="position">Its position; the slot's cache must hold positions [0, position).</param>
    public Span<float> Step(int slot, int token, int position)
    {
        Enter();
        try
        {
            return StepCore(new ReadOnlySpan<int>(in slot), new ReadOnlySpan<int>(in token), new ReadOnlySpan<int>(in position), null);
        }
        finally
        {
            Exit();
        }
    }

    /// <summary>
    /// One decoding step of several sequences: row i feeds <paramref name="tokens"/>[i] at <paramref name="positions"/>[i] through
    /// the decoder of slot <paramref name="slots"/>[i]. The linear layers run once over all rows; attention per row against
    /// its slot's cache. Returns the logits [rows, DecoderVocab], valid until the next call.
    /// </summary>
    /// <param name="slots">Distinct slots (1..256 rows).</param>
    /// <param name="tokens">The previous token of each row.</param>
    /// <param name="positions">Each row's position; its slot's cache must hold positions [0, position).</param>
    public Span<float> Step(scoped ReadOnlySpan<int> slots, scoped ReadOnlySpan<int> tokens, scoped ReadOnlySpan<int> positions)
    {
        Enter();
        try
        {
            return StepCore(slots, tokens, positions, null);
        }
        finally
        {
            Exit();
        }
    }

    /// <inheritdoc/>
    public void CopySlot(int from, int to, int positions)
    {
        Enter();
        try
        {
            CopySlotCore(from, to, positions);
        }
        finally
        {
            Exit();
        }
    }

    int ITokenDecoder.Vocabulary => _decoderVocab;

    int IPromptDecoder.MaxSequenceLength => _maxSeqLen;

    IPromptDecoder IPromptDecoder.CreateSession(int maxBatch) => CreateSession(maxBatch);

    static ModelShape IDecoderModel<TSelf>.Shape => TSelf.DeclaredShape;

    static TSelf IDecoderModel<TSelf>.Load(string path, WeightNaming naming, int maxBatch, bool allowUnusedTensors, WeightPrecision precision) =>
        Load(path, naming, maxBatch, allowUnusedTensors, precision);

    static TSelf IDecoderModel<TSelf>.Create(TransformerWeights weights, int maxBatch) => TSelf.CreateModel(weights, maxBatch, ownsWeights: true);

    /// <summary>The prefill; with <paramref name="everyPosition"/>, the logits of every row (not only each prompt's last) go there instead.</summary>
    private Span<float> PrefillCore(scoped ReadOnlySpan<int> prompts, scoped ReadOnlySpan<int> promptLengths, int firstSlot, float* everyPosition = null)
    {
        ThrowIfDisposed();
        int n = promptLengths.Length;
        if (n < 1 || n > Math.Min(_state.MaxStepRows, ModelRunState.MaxSlots))
        {
            throw new ArgumentOutOfRangeException(nameof(promptLengths), n, $"1..{Math.Min(_state.MaxStepRows, ModelRunState.MaxSlots)} prompts per call.");
        }
        if (firstSlot < 0 || firstSlot + n > ModelRunState.MaxSlots)
        {
            throw new ArgumentOutOfRangeException(nameof(firstSlot), firstSlot, $"Slots [{firstSlot}, {firstSlot + n}) do not fit 0..{ModelRunState.MaxSlots}.");
        }
        long total = 0;
        foreach (int length in promptLengths)
        {
            if (length < 1 || length > _maxSeqLen)
            {
                throw new ArgumentOutOfRangeException(nameof(promptLengths), length, $"Each prompt must have 1..{_maxSeqLen} tokens (MaxSeqLen).");
            }
            total += length;
        }
        if (total > _state.Scratch.MaxRows)
        {
            throw new ArgumentOutOfRangeException(nameof(promptLengths), total, $"The prompts have {total} tokens; this model holds {_state.Scratch.MaxRows} per call (maxBatch × MaxSeqLen).");
        }
        CheckSpan(prompts.Length, total, nameof(prompts), exact: true);
        CheckIds(prompts, _decoderVocab, nameof(prompts));
        // Embeddings + positions of every prompt token, back to back.
        float* y = _state.Rows.Pointer;
        int rows = 0;
        foreach (int length in promptLengths)
        {
            Embed(_weights.TargetEmbedding!.Pointer, prompts.Slice(rows, length), 0, default, y + (long)rows * _dModel);
            rows += length;
        }
        Span<int> starts = _state.SegmentStarts.AsSpan(0, n);
        starts.Clear();
        Span<DecoderLayerCache> caches = _state.SegmentCaches.AsSpan(0, n);
        for (int layer = 0; layer < _decoderLayers; layer++)
        {
            for (int k = 0; k < n; k++)
            {
                caches[k] = _state.Caches(firstSlot + k)[layer];
            }
            TSelf.DecoderBlock(y, starts, promptLengths, caches, _weights.Decoder[layer], _state.Scratch, null);
        }
        if (everyPosition != null)
        {
            // Scoring: every row goes on to the final norm and the vocabulary, straight into the caller's buffer.
            if (_weights.DecoderNorm is { } allNorm)
            {
                TSelf.Normalize(y, allNorm.Gamma, allNorm.Beta, rows);
            }
            for (int k = 0; k < n; k++)
            {
                _state.SlotLengths[firstSlot + k] = promptLengths[k];
            }
            TSelf.ProjectToVocabulary(y, rows, _weights.Generator!, everyPosition);
            return new Span<float>(everyPosition, rows * _decoderVocab);
        }
        // Only each prompt's last row goes on to the final norm and the vocabulary.
        float* last = _state.DecoderRows.Pointer;
        rows = 0;
        for (int k = 0; k < n; k++)
        {
            rows += promptLengths[k];
            new Span<float>(y + (long)(rows - 1) * _dModel, _dModel).CopyTo(new Span<float>(last + (long)k * _dModel, _dModel));
        }
        if (_weights.DecoderNorm is { } norm)
        {
            TSelf.Normalize(last, norm.Gamma, norm.Beta, n);
        }
        for (int k = 0; k < n; k++)
        {
            _state.SlotLengths[firstSlot + k] = promptLengths[k];
        }
        float* logits = _state.Logits(n);
        TSelf.ProjectToVocabulary(last, n, _weights.Generator!, logits);
        return new Span<float>(logits, n * _decoderVocab);
    }
}
