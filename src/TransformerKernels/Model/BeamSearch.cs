namespace TransformerKernels;

/// <summary>One decoding step of a model with a key/value cache per beam slot; implemented by generated encoder–decoder models.</summary>
public interface ITokenDecoder
{
    /// <summary>Feeds <paramref name="token"/> at <paramref name="position"/> through the decoder of beam slot <paramref name="slot"/>; returns the logits.</summary>
    Span<float> Step(int slot, int token, int position);

    /// <summary>Copies slot <paramref name="from"/>'s cached keys and values for positions [0, <paramref name="positions"/>) into slot <paramref name="to"/>.</summary>
    void CopySlot(int from, int to, int positions);
}

/// <summary>
/// Beam search over an <see cref="ITokenDecoder"/>: keeps the <c>width</c> best partial translations by summed
/// log-probability, moves a hypothesis to the finished list when it emits the end token, stops once <c>width</c> have
/// finished, and returns the finished one with the best score / length^lengthPenalty. Buffers are allocated for a width on first use and then reused.
/// </summary>
public sealed class BeamSearch
{
    /// <summary>
    /// The widest beam: 128. Each beam holds two decoder caches (this step's and the next), each as long as the output, so the
    /// memory grows linearly with the width; wider beams stop improving translations long before this (typical widths are 4–10).
    /// </summary>
    public const int MaxWidth = 128;

    private int _width = -1, _maxLength;
    private int[][] _tokens = [], _nextTokens = [];
    private float[] _scores = [], _nextScores = [];
    private (float Score, int Beam, int Token)[] _candidates = [];
    private int[] _best = [];

    /// <summary>
    /// The score of the hypothesis the last <see cref="Run"/> returned: its summed log-probability (the end token's
    /// included) divided by length^lengthPenalty, the length counting the end token; for a hypothesis that did not finish
    /// within maxLength, its summed log-probability divided by maxLength^lengthPenalty.
    /// </summary>
    public float BestScore { get; private set; } = float.NaN;

    /// <summary>Decodes from <paramref name="startToken"/> and writes the best hypothesis (without the end token) to <paramref name="output"/>; returns its length.</summary>
    /// <remarks>Beam slots used: [0, 2·width): the current beams and the next ones, swapped every step.</remarks>
    public int Run(ITokenDecoder decoder, int startToken, int endToken, int width, float lengthPenalty, int maxLength, Span<int> output)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(width, MaxWidth);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLength, 1);
        Allocate(width, maxLength);
        int live = 1, current = 0;
        _scores[0] = 0f;
        int bestLength = -1, finished = 0;
        float bestScore = float.NegativeInfinity;
        for (int position = 0; position < maxLength && live > 0; position++)
        {
            int candidates = 0;
            for (int beam = 0; beam < live; beam++)
            {
                int input = position == 0 ? startToken : _tokens[beam][position - 1];
                Span<float> logits = decoder.Step(current * width + beam, input, position);
                RowSoftmax.LogSoftmax(logits);
                for (int token = 0; token < logits.Length; token++)
                {
                    candidates = Insert((_scores[beam] + logits[token], beam, token), candidates);
                }
            }
            int next = 0;
            for (int c = 0; c < candidates && next < width; c++)
            {
                (float score, int beam, int token) = _candidates[c];
                if (token == endToken)
                {
                    finished++;
                    float normalized = score / MathF.Pow(position + 1, lengthPenalty);
                    if (normalized > bestScore)
                    {
                        bestScore = normalized;
                        bestLength = position;
                        Array.Copy(_tokens[beam], _best, position);
                    }
                    continue;
                }
                Array.Copy(_tokens[beam], _nextTokens[next], position);
                _nextTokens[next][position] = token;
                _nextScores[next] = score;
                decoder.CopySlot(current * width + beam, (1 - current) * width + next, position + 1);
                next++;
            }
            // Stop once as many hypotheses have finished as there are beams (early stopping, as Hugging Face's default beam search).
            if (finished >= width)
            {
                break;
            }
            (_tokens, _nextTokens) = (_nextTokens, _tokens);
            (_scores, _nextScores) = (_nextScores, _scores);
            live = next;
            current = 1 - current;
        }
        if (bestLength < 0)
        {
            // Nothing finished within maxLength: return the best live hypothesis.
            bestLength = maxLength;
            Array.Copy(_tokens[0], _best, maxLength);
            bestScore = _scores[0] / MathF.Pow(maxLength, lengthPenalty);
        }
        BestScore = bestScore;
        int count = Math.Min(bestLength, output.Length);
        _best.AsSpan(0, count).CopyTo(output);
        return count;
    }

    /// <summary>Keeps the 2·width best candidates sorted by descending score.</summary>
    private int Insert((float Score, int Beam, int Token) candidate, int count)
    {
        int capacity = _candidates.Length;
        if (count == capacity && candidate.Score <= _candidates[count - 1].Score)
        {
            return count;
        }
        int at = Math.Min(count, capacity - 1);
        while (at > 0 && _candidates[at - 1].Score < candidate.Score)
        {
            if (at < capacity)
            {
                _candidates[at] = _candidates[at - 1];
            }
            at--;
        }
        _candidates[at] = candidate;
        return Math.Min(count + 1, capacity);
    }

    private void Allocate(int width, int maxLength)
    {
        if (width == _width && maxLength <= _maxLength)
        {
            return;
        }
        _width = width;
        _maxLength = maxLength;
        _tokens = Enumerable.Range(0, width).Select(_ => new int[maxLength]).ToArray();
        _nextTokens = Enumerable.Range(0, width).Select(_ => new int[maxLength]).ToArray();
        _scores = new float[width];
        _nextScores = new float[width];
        _candidates = new (float, int, int)[2 * width];
        _best = new int[maxLength];
    }
}
