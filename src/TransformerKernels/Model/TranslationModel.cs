using System.ComponentModel;

namespace TransformerKernels;

/// <summary>
/// An encoder–decoder model over token ids (the seed's translator): <see cref="Translate"/> and <see cref="TranslateBatch"/>
/// (greedy or beam search), the encoder alone (<see cref="Encode(ReadOnlySpan{int}, int, int, ReadOnlySpan{int}, Span{float}, ReadOnlySpan{int})"/>,
/// <see cref="EncodePacked"/>), and decoding step by step (<see cref="StartDecoding"/>, <see cref="Step(int, int, int)"/>, the
/// <see cref="ITokenDecoder"/> that <see cref="GreedySearch"/> and <see cref="BeamSearch"/> drive). Generated classes
/// declared with encoder and decoder blocks, <c>SourceVocab</c> and <c>TargetVocab</c> derive from it.
/// </summary>
/// <typeparam name="TSelf">The generated model class.</typeparam>
public abstract unsafe class TranslationModel<TSelf> : EncoderDecoderModel<TSelf>, ITokenDecoder where TSelf : TranslationModel<TSelf>, IModelKernels<TSelf>
{
    private readonly BeamSearch _beamSearch = new();
    private readonly GreedySearch _greedySearch = new();
    private float* _crossAttention;

    /// <inheritdoc cref="TransformerModel{TSelf}(TransformerWeights, int, bool)"/>
    [EditorBrowsable(EditorBrowsableState.Never)]
    protected TranslationModel(TransformerWeights weights, int maxBatch, bool ownsWeights) : base(weights, maxBatch, ownsWeights)
    {
    }

    /// <summary>
    /// Token ids [batch, length] → hidden states [batch, length, DModel]: embeddings, positions, every encoder block, final norm.
    /// </summary>
    /// <param name="ids">Token ids in [0, EncoderVocab); padded positions must hold a valid id too.</param>
    /// <param name="batch">Sequences (1..maxBatch).</param>
    /// <param name="length">Positions per sequence (1..MaxSeqLen).</param>
    /// <param name="lengths">Real tokens per sequence (attention mask); empty: all.</param>
    /// <param name="hidden">Receives [batch, length, DModel]; nothing is written when an argument is rejected.</param>
    /// <param name="tokenTypes">Segment ids per token (BERT), or empty for all zeros.</param>
    public void Encode(ReadOnlySpan<int> ids, int batch, int length, ReadOnlySpan<int> lengths, Span<float> hidden, ReadOnlySpan<int> tokenTypes = default)
    {
        Enter();
        try
        {
            EncodeCore(ids, batch, length, lengths, hidden, tokenTypes);
        }
        finally
        {
            Exit();
        }
    }

    /// <summary>One sequence of token ids → hidden states [ids.Length, DModel].</summary>
    public void Encode(ReadOnlySpan<int> ids, Span<float> hidden, ReadOnlySpan<int> tokenTypes = default) => Encode(ids, 1, ids.Length, default, hidden, tokenTypes);

    /// <summary>
    /// Packed sequences of token ids → hidden states, back to back: sequence b's rows follow sequence b − 1's, each with
    /// its own length and positions from 0. The GEMMs run once over all Σ lengths rows, attention per sequence over its own
    /// tokens. Each sequence's output equals what <see cref="Encode(ReadOnlySpan{int}, Span{float}, ReadOnlySpan{int})"/> gives for it alone.
    /// </summary>
    /// <param name="ids">Token ids of every sequence, back to back [Σ lengths].</param>
    /// <param name="lengths">Tokens of each sequence (each 1..MaxSeqLen; in total at most maxBatch·MaxSeqLen).</param>
    /// <param name="hidden">Receives [Σ lengths, DModel]; nothing is written when an argument is rejected.</param>
    /// <param name="tokenTypes">Segment ids per token, back to back like <paramref name="ids"/>, or empty for all zeros.</param>
    public void EncodePacked(ReadOnlySpan<int> ids, ReadOnlySpan<int> lengths, Span<float> hidden, ReadOnlySpan<int> tokenTypes = default)
    {
        Enter();
        try
        {
            EncodePackedCore(ids, lengths, hidden, tokenTypes);
        }
        finally
        {
            Exit();
        }
    }

    /// <summary>
    /// Translates source ids into target ids, token by token: the encoder runs once, then each step feeds the tokens so far
    /// (one new row per beam, earlier ones cached) through the decoder, the final linear picks the next token, until
    /// <paramref name="endToken"/> or <paramref name="maxLength"/>. Greedy with <paramref name="beamWidth"/> 1, beam search above.
    /// </summary>
    /// <param name="source">Source token ids.</param>
    /// <param name="target">Receives the target ids; its length also caps the translation.</param>
    /// <param name="startToken">The target id that starts decoding.</param>
    /// <param name="endToken">The target id that ends it.</param>
    /// <param name="beamWidth">1: greedy; more: beam search with that many beams (at most <see cref="BeamSearch.MaxWidth"/>: each beam keeps two decoder caches).</param>
    /// <param name="lengthPenalty">Beam scores are divided by length^lengthPenalty.</param>
    /// <param name="maxLength">Most target tokens (0: MaxSeqLen).</param>
    /// <returns>Tokens written to <paramref name="target"/> (the end token is not written).</returns>
    /// <exception cref="ArgumentOutOfRangeException">An id outside the vocabulary, an empty or too long source, bad options.</exception>
    public int Translate(ReadOnlySpan<int> source, Span<int> target, int startToken, int endToken, int beamWidth = 1, float lengthPenalty = 1f, int maxLength = 0)
    {
        Enter();
        try
        {
            CheckSource(source, nameof(source));
            int limit = CheckDecodingOptions(startToken, endToken, beamWidth, maxLength);
            limit = Math.Min(limit, target.Length);
            if (limit < 1)
            {
                throw new ArgumentException("The target span is empty.", nameof(target));
            }
            int sourceLength = source.Length, length = 0;
            TranslateCore(source, new ReadOnlySpan<int>(in sourceLength), target, limit, new Span<int>(ref length), startToken, endToken, beamWidth, lengthPenalty);
            return length;
        }
        finally
        {
            Exit();
        }
    }

    /// <summary>
    /// Translates many sentences at once, with the same results as <see cref="Translate"/> one by one: the encoder runs over
    /// the sources packed back to back, then every decoding step feeds one row per live beam of every sentence still
    /// running through the decoder in one pass over the weights; finished sentences leave the batch. Sentences go in chunks
    /// of up to the model's maxBatch (and 256 decoder slots: one per sentence greedy, two per beam).
    /// </summary>
    /// <param name="sources">Source ids of every sentence, back to back [Σ sourceLengths].</param>
    /// <param name="sourceLengths">Tokens of each source (each 1..MaxSeqLen).</param>
    /// <param name="targets">[sentences, limit] with limit = <paramref name="maxLength"/> (MaxSeqLen when 0): row k receives sentence k's ids.</param>
    /// <param name="targetLengths">Receives each sentence's target length [sentences] (the end token is not written).</param>
    /// <param name="startToken">The target id that starts decoding.</param>
    /// <param name="endToken">The target id that ends it.</param>
    /// <param name="beamWidth">1: greedy; more: beam search with that many beams per sentence.</param>
    /// <param name="lengthPenalty">Beam scores are divided by length^lengthPenalty.</param>
    /// <param name="maxLength">Most target tokens (0: MaxSeqLen); also the row stride of <paramref name="targets"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException">An id outside the vocabulary, an empty or too long source, bad options.</exception>
    /// <exception cref="ArgumentException">Spans whose sizes do not match.</exception>
    public void TranslateBatch(ReadOnlySpan<int> sources, ReadOnlySpan<int> sourceLengths, Span<int> targets, Span<int> targetLengths, int startToken, int endToken,
        int beamWidth = 1, float lengthPenalty = 1f, int maxLength = 0)
    {
        Enter();
        try
        {
            ThrowIfDisposed();
            int limit = CheckDecodingOptions(startToken, endToken, beamWidth, maxLength);
            if (sourceLengths.IsEmpty)
            {
                return;
            }
            long total = 0;
            foreach (int length in sourceLengths)
            {
                if (length < 1 || length > _maxSeqLen)
                {
                    throw new ArgumentOutOfRangeException(nameof(sourceLengths), length, $"Each source must have 1..{_maxSeqLen} tokens.");
                }
                total += length;
            }
            CheckSpan(sources.Length, total, nameof(sources), exact: true);
            CheckIds(sources, _encoderVocab, nameof(sources));
            CheckSpan(targets.Length, (long)sourceLengths.Length * limit, nameof(targets), exact: false);
            CheckSpan(targetLengths.Length, sourceLengths.Length, nameof(targetLengths), exact: false);
            TranslateCore(sources, sourceLengths, targets, limit, targetLengths, startToken, endToken, beamWidth, lengthPenalty);
        }
        finally
        {
            Exit();
        }
    }

    /// <summary>
    /// Runs the encoder on <paramref name="source"/> and prepares the cross-attention keys and values of every decoder block in
    /// slots [0, <paramref name="slots"/>); <see cref="Step(int, int, int)"/> then decodes token by token (Translate does both).
    /// </summary>
    /// <param name="source">Source token ids.</param>
    /// <param name="slots">Slots to prepare (1..256).</param>
    public void StartDecoding(ReadOnlySpan<int> source, int slots = 1)
    {
        Enter();
        try
        {
            CheckSource(source, nameof(source));
            if (slots < 1 || slots > ModelRunState.MaxSlots)
            {
                throw new ArgumentOutOfRangeException(nameof(slots), slots, $"Must be 1..{ModelRunState.MaxSlots} (two per beam).");
            }
            int length = source.Length;
            PrepareSources(source, new ReadOnlySpan<int>(in length), slots);
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
            return StepCore(new ReadOnlySpan<int>(in slot), new ReadOnlySpan<int>(in token), new ReadOnlySpan<int>(in position), _crossAttention);
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
            return StepCore(slots, tokens, positions, _crossAttention);
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

    /// <summary>
    /// Where each single-row <see cref="Step(int, int, int)"/> writes the last decoder block's cross-attention weights
    /// [Heads, memory length] (null: nowhere). The caller owns the memory and keeps it alive while set.
    /// </summary>
    public float* CrossAttentionOutput
    {
        get => _crossAttention;
        set => _crossAttention = value;
    }

    int ITokenDecoder.Vocabulary => _decoderVocab;

    /// <summary>Checks the decoding options; returns the target limit (maxLength, or MaxSeqLen for 0).</summary>
    private int CheckDecodingOptions(int startToken, int endToken, int beamWidth, int maxLength)
    {
        if ((uint)startToken >= _decoderVocab)
        {
            throw new ArgumentOutOfRangeException(nameof(startToken), startToken, $"Must be a target id in [0, {_decoderVocab}).");
        }
        if ((uint)endToken >= _decoderVocab)
        {
            throw new ArgumentOutOfRangeException(nameof(endToken), endToken, $"Must be a target id in [0, {_decoderVocab}).");
        }
        if (beamWidth < 1 || beamWidth > BeamSearch.MaxWidth)
        {
            throw new ArgumentOutOfRangeException(nameof(beamWidth), beamWidth, $"Must be 1 (greedy) to {BeamSearch.MaxWidth} beams.");
        }
        if (maxLength < 0 || maxLength > _maxSeqLen)
        {
            throw new ArgumentOutOfRangeException(nameof(maxLength), maxLength, $"0 (as long as fits) or 1..{_maxSeqLen}.");
        }
        return maxLength == 0 ? _maxSeqLen : maxLength;
    }

    private void CheckSource(ReadOnlySpan<int> source, string name)
    {
        ThrowIfDisposed();
        if (source.Length < 1 || source.Length > _maxSeqLen)
        {
            throw new ArgumentOutOfRangeException(name, source.Length, $"The source must have 1..{_maxSeqLen} tokens.");
        }
        CheckIds(source, _encoderVocab, name);
    }

    /// <summary>Checked sentences in chunks: encoder packed per chunk, then greedy or beam search over all of its sentences.</summary>
    private void TranslateCore(ReadOnlySpan<int> sources, ReadOnlySpan<int> sourceLengths, Span<int> targets, int stride, Span<int> targetLengths,
        int startToken, int endToken, int beamWidth, float lengthPenalty)
    {
        int slotsPerSentence = beamWidth == 1 ? 1 : 2 * beamWidth;
        int chunk = Math.Max(1, Math.Min(_state.MaxBatch, ModelRunState.MaxSlots / slotsPerSentence));
        for (int first = 0, offset = 0; first < sourceLengths.Length;)
        {
            int count = Math.Min(chunk, sourceLengths.Length - first), tokens = 0;
            ReadOnlySpan<int> lengths = sourceLengths.Slice(first, count);
            foreach (int length in lengths)
            {
                tokens += length;
            }
            PrepareSources(sources.Slice(offset, tokens), lengths, slotsPerSentence);
            Span<int> output = targets.Slice(first * stride), outputLengths = targetLengths.Slice(first, count);
            if (beamWidth == 1)
            {
                _greedySearch.Run(this, count, startToken, endToken, stride, output, stride, outputLengths);
            }
            else
            {
                _beamSearch.RunBatch(this, count, startToken, endToken, beamWidth, lengthPenalty, stride, output, stride, outputLengths);
            }
            first += count;
            offset += tokens;
        }
    }

    /// <summary>
    /// Encoder over the sources packed back to back (embeddings + positions → encoder blocks → memory), then each decoder
    /// block's cross-attention keys and values: projected once per source into its first slot, shared by its other slots.
    /// Source k owns slots [k·slotsPerSource, (k + 1)·slotsPerSource).
    /// </summary>
    private void PrepareSources(ReadOnlySpan<int> sources, ReadOnlySpan<int> lengths, int slotsPerSource)
    {
        float* memory = _state.Rows.Pointer;
        int rows = 0;
        foreach (int length in lengths)
        {
            Embed(_weights.SourceEmbedding!.Pointer, sources.Slice(rows, length), 0, default, memory + (long)rows * _dModel);
            rows += length;
        }
        RunEncoderPacked(memory, lengths, rows);
        for (int k = 0, first = 0; k < lengths.Length; first += lengths[k], k++)
        {
            DecoderLayerCache[] prepared = _state.Caches(k * slotsPerSource);
            for (int layer = 0; layer < _decoderLayers; layer++)
            {
                TSelf.PrepareCrossAttention(memory + (long)first * _dModel, lengths[k], lengths[k], _weights.Decoder[layer], prepared[layer], _state.Scratch);
            }
            for (int slot = 1; slot < slotsPerSource; slot++)
            {
                DecoderLayerCache[] sharing = _state.Caches(k * slotsPerSource + slot);
                for (int layer = 0; layer < _decoderLayers; layer++)
                {
                    sharing[layer].ShareMemoryOf(prepared[layer]);
                }
            }
        }
    }
}
