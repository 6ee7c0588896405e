namespace TransformerKernels;

/// <summary>
/// Beam search over an <see cref="ITokenDecoder"/>, for one sequence or many at once: keeps each sequence's <c>width</c> best
/// partial translations by summed log-probability, moves a hypothesis to the finished list when it emits the end token,
/// stops a sequence once <c>width</c> of its hypotheses have finished, and returns the finished one with the best
/// score / length^lengthPenalty. Every live beam of every running sequence is one row of a single batched decoder step
/// (one pass over the weights per step, not one per beam). Buffers grow on first use and are then reused.
/// </summary>
public sealed class BeamSearch
{
    /// <summary>
    /// The widest beam: 128. Each beam holds two decoder caches (this step's and the next), each as long as the output, so the
    /// memory grows linearly with the width; wider beams stop improving translations long before this (typical widths are 4–10).
    /// </summary>
    public const int MaxWidth = 128;

    // Flat per-sequence state: hypotheses [count, width, _maxLength], scores [count, width], candidates [count, 2·width];
    // _maxLength is the row stride (the longest run so far), the run's own maxLength its limit.
    private int _count, _width, _maxLength;
    private int[] _tokens = [], _nextTokens = [], _best = [], _live = [], _finished = [], _bestLength = [], _candidateCount = [];
    private float[] _scores = [], _nextScores = [], _bestScores = [];
    private (float Score, int Beam, int Token)[] _candidates = [];
    private int[] _rowSlots = [], _rowTokens = [], _rowPositions = [], _rowSequence = [], _rowBeam = [];
    // The decoder slot of each live beam [count, width], now and after the step being selected.
    private int[] _beamSlots = [], _nextBeamSlots = [];

    /// <summary>
    /// The score of the hypothesis the last <see cref="Run"/> returned (the first sequence's, after <see cref="RunBatch"/>):
    /// its summed log-probability (the end token's included) divided by length^lengthPenalty, the length counting the end
    /// token; for a hypothesis that did not finish within maxLength, its summed log-probability divided by maxLength^lengthPenalty.
    /// </summary>
    public float BestScore => _count > 0 ? _bestScores[0] : float.NaN;

    /// <summary>The score of each sequence's returned hypothesis after the last run, as <see cref="BestScore"/> defines it.</summary>
    public ReadOnlySpan<float> BestScores => _bestScores.AsSpan(0, _count);

    /// <summary>Decodes from <paramref name="startToken"/> and writes the best hypothesis (without the end token) to <paramref name="output"/>; returns its length.</summary>
    /// <remarks>Decoder slots used: [0, 2·width), slot 0 prepared by the caller.</remarks>
    public int Run(ITokenDecoder decoder, int startToken, int endToken, int width, float lengthPenalty, int maxLength, Span<int> output)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLength, 1);
        Span<int> tokens = maxLength <= 256 ? stackalloc int[maxLength] : new int[maxLength];
        int length = 0;
        RunBatch(decoder, 1, startToken, endToken, width, lengthPenalty, maxLength, tokens, maxLength, new Span<int>(ref length));
        int count = Math.Min(length, output.Length);
        tokens[..count].CopyTo(output);
        return count;
    }

    /// <summary>
    /// Beam search of <paramref name="count"/> sequences at once; sequence k uses slots [k·2·width, (k + 1)·2·width), all
    /// prepared by the caller with its encoder output. A beam keeps its slot: the first child of a beam inherits the parent's
    /// slot and cache as they are, and only further children get a free slot with a copy of the parent's prefix (most beams
    /// have one child, so most steps copy nothing).
    /// </summary>
    /// <param name="decoder">The model.</param>
    /// <param name="count">Sequences.</param>
    /// <param name="startToken">The token every sequence starts from.</param>
    /// <param name="endToken">The token that ends a hypothesis (not written).</param>
    /// <param name="width">Beams per sequence (1..<see cref="MaxWidth"/>).</param>
    /// <param name="lengthPenalty">Finished scores are divided by length^lengthPenalty.</param>
    /// <param name="maxLength">Most tokens per sequence.</param>
    /// <param name="outputs">[count, <paramref name="outputStride"/>]: row k receives sequence k's best hypothesis.</param>
    /// <param name="outputStride">Elements per output row (at least <paramref name="maxLength"/>).</param>
    /// <param name="lengths">Receives each sequence's token count [count].</param>
    public void RunBatch(ITokenDecoder decoder, int count, int startToken, int endToken, int width, float lengthPenalty, int maxLength, Span<int> outputs, int outputStride, Span<int> lengths)
    {
        ArgumentNullException.ThrowIfNull(decoder);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(width, MaxWidth);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLength, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(outputStride, maxLength);
        if (outputs.Length < (long)count * outputStride || lengths.Length < count)
        {
            throw new ArgumentException($"{count} sequences need {(long)count * outputStride} output elements and {count} lengths.", nameof(outputs));
        }
        Allocate(count, width, maxLength);
        int vocabulary = decoder.Vocabulary, running = count;
        for (int k = 0; k < count; k++)
        {
            _live[k] = 1;
            _beamSlots[k * width] = k * 2 * width;
            _scores[k * width] = 0f;
            _finished[k] = 0;
            _bestLength[k] = -1;
            _bestScores[k] = float.NegativeInfinity;
        }
        for (int position = 0; position < maxLength && running > 0; position++)
        {
            // One batched step: every live beam of every running sequence is a row.
            int rows = 0;
            for (int k = 0; k < count; k++)
            {
                for (int beam = 0; beam < _live[k]; beam++, rows++)
                {
                    _rowSlots[rows] = _beamSlots[k * width + beam];
                    _rowBeam[rows] = beam;
                    _rowTokens[rows] = position == 0 ? startToken : _tokens[Hypothesis(k, beam) + position - 1];
                    _rowPositions[rows] = position;
                    _rowSequence[rows] = k;
                }
            }
            Span<float> logits = decoder.Step(_rowSlots.AsSpan(0, rows), _rowTokens.AsSpan(0, rows), _rowPositions.AsSpan(0, rows));
            for (int k = 0; k < count; k++)
            {
                _candidateCount[k] = 0;
            }
            for (int row = 0; row < rows; row++)
            {
                int k = _rowSequence[row], beam = _rowBeam[row];
                Span<float> rowLogits = logits.Slice(row * vocabulary, vocabulary);
                RowSoftmax.LogSoftmax(rowLogits);
                float score = _scores[k * width + beam];
                for (int token = 0; token < vocabulary; token++)
                {
                    Insert(k, (score + rowLogits[token], beam, token));
                }
            }
            running = 0;
            for (int k = 0; k < count; k++)
            {
                if (_live[k] == 0)
                {
                    continue;
                }
                _live[k] = Select(decoder, k, position, endToken, lengthPenalty);
                // Stop once as many hypotheses have finished as there are beams (early stopping, as Hugging Face's default beam search).
                if (_finished[k] >= width)
                {
                    _live[k] = 0;
                }
                running += _live[k] > 0 ? 1 : 0;
            }
            (_tokens, _nextTokens) = (_nextTokens, _tokens);
            (_scores, _nextScores) = (_nextScores, _scores);
            (_beamSlots, _nextBeamSlots) = (_nextBeamSlots, _beamSlots);
        }
        for (int k = 0; k < count; k++)
        {
            if (_bestLength[k] < 0)
            {
                // Nothing finished within maxLength: return the best live hypothesis.
                _bestLength[k] = maxLength;
                Array.Copy(_tokens, Hypothesis(k, 0), _best, k * _maxLength, maxLength);
                _bestScores[k] = _scores[k * width] / MathF.Pow(maxLength, lengthPenalty);
            }
            lengths[k] = _bestLength[k];
            _best.AsSpan(k * _maxLength, _bestLength[k]).CopyTo(outputs.Slice(k * outputStride));
        }
    }

    /// <summary>Takes sequence <paramref name="k"/>'s best candidates into the next beams or the finished list; returns the next live count.</summary>
    private int Select(ITokenDecoder decoder, int k, int position, int endToken, float lengthPenalty)
    {
        int width = _width, next = 0, firstSlot = k * 2 * width, free = 0;
        // Slots held by the current beams are taken; a beam's first child inherits its slot, the others copy into free ones.
        Span<bool> taken = stackalloc bool[2 * width], inherited = stackalloc bool[width];
        for (int beam = 0; beam < _live[k]; beam++)
        {
            taken[_beamSlots[k * width + beam] - firstSlot] = true;
        }
        for (int c = 0; c < _candidateCount[k] && next < width; c++)
        {
            (float score, int beam, int token) = _candidates[k * 2 * width + c];
            if (token == endToken)
            {
                _finished[k]++;
                float normalized = score / MathF.Pow(position + 1, lengthPenalty);
                if (normalized > _bestScores[k])
                {
                    _bestScores[k] = normalized;
                    _bestLength[k] = position;
                    Array.Copy(_tokens, Hypothesis(k, beam), _best, k * _maxLength, position);
                }
                continue;
            }
            Array.Copy(_tokens, Hypothesis(k, beam), _nextTokens, Hypothesis(k, next), position);
            _nextTokens[Hypothesis(k, next) + position] = token;
            _nextScores[k * width + next] = score;
            int parent = _beamSlots[k * width + beam], slot = parent;
            if (inherited[beam])
            {
                while (taken[free])
                {
                    free++;
                }
                taken[free] = true;
                slot = firstSlot + free;
                decoder.CopySlot(parent, slot, position + 1);
            }
            inherited[beam] = true;
            _nextBeamSlots[k * width + next] = slot;
            next++;
        }
        return next;
    }

    private int Hypothesis(int sequence, int beam) => (sequence * _width + beam) * _maxLength;

    /// <summary>Keeps sequence <paramref name="k"/>'s 2·width best candidates sorted by descending score.</summary>
    private void Insert(int k, (float Score, int Beam, int Token) candidate)
    {
        int capacity = 2 * _width, count = _candidateCount[k];
        Span<(float Score, int Beam, int Token)> candidates = _candidates.AsSpan(k * capacity, capacity);
        if (count == capacity && candidate.Score <= candidates[count - 1].Score)
        {
            return;
        }
        int at = Math.Min(count, capacity - 1);
        while (at > 0 && candidates[at - 1].Score < candidate.Score)
        {
            if (at < capacity)
            {
                candidates[at] = candidates[at - 1];
            }
            at--;
        }
        candidates[at] = candidate;
        _candidateCount[k] = Math.Min(count + 1, capacity);
    }

    private void Allocate(int count, int width, int maxLength)
    {
        _count = count;
        if (width == _width && maxLength <= _maxLength && count <= _live.Length)
        {
            return;
        }
        int sequences = Math.Max(count, _live.Length);
        _maxLength = width == _width ? Math.Max(maxLength, _maxLength) : maxLength;
        _width = width;
        _tokens = new int[sequences * width * _maxLength];
        _nextTokens = new int[sequences * width * _maxLength];
        _best = new int[sequences * _maxLength];
        _scores = new float[sequences * width];
        _nextScores = new float[sequences * width];
        _bestScores = new float[sequences];
        _candidates = new (float, int, int)[sequences * 2 * width];
        _live = new int[sequences];
        _finished = new int[sequences];
        _bestLength = new int[sequences];
        _candidateCount = new int[sequences];
        _rowSlots = new int[sequences * width];
        _rowTokens = new int[sequences * width];
        _rowPositions = new int[sequences * width];
        _rowSequence = new int[sequences * width];
        _rowBeam = new int[sequences * width];
        _beamSlots = new int[sequences * width];
        _nextBeamSlots = new int[sequences * width];
    }
}
