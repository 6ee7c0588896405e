using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace TransformerKernels;

/// <summary>
/// Picks the next token from one row of logits under <see cref="GenerationOptions"/>, by Hugging Face's definitions and in
/// their order: repetition penalty, temperature, top-k, top-p, softmax, draw (or the most probable token at temperature 0).
/// </summary>
/// <remarks>
/// <para>
/// Nothing sorts the vocabulary. Temperature alone weighs every token in id order and draws in id order; top-k selects the
/// k best with a k-entry min-heap in one pass (O(V + k log k · log(V/k)) on typical rows); top-p alone sums the mass per
/// exponent bucket and orders (by a max-heap) only the tokens of the bucket where the nucleus ends; top-k with top-p sorts
/// only the k kept. All buffers are sized once for the vocabulary, so a pick allocates nothing.
/// </para>
/// <para>
/// Rank and ties: tokens rank by penalized logit, highest first, and among equal logits the lower id first. Top-k keeps
/// exactly k tokens by that rank (Hugging Face also keeps every token equal to the k-th: a different rule only for ties at
/// the cut), so top-k 1 is greedy. Top-p keeps the shortest rank prefix whose probability reaches TopP.
/// </para>
/// <para>
/// Range: scores are held in double, and temperature is applied as (logit − max) / T, so the best token's exponent is
/// exactly 0 and no value can overflow for any accepted option (a float logit divided by a penalty of float.Epsilon is
/// below 1e84; divided by T = float.Epsilon, a difference stays below 1e129): a tiny temperature is greedy in the limit
/// rather than ∞ − ∞. NaN logits are never picked; −∞ ones have probability 0; if any logit is +∞, the +∞ tokens share
/// the probability equally (the limit of growing logits). A row with no logit above −∞ (all NaN or −∞) has nothing to
/// draw and is refused.
/// </para>
/// </remarks>
internal sealed class TokenSampler
{
    // Below this exponent Math.Exp is 0 anyway; the comparison also sends NaN (a NaN logit) to weight 0.
    private const double LowestExponent = -746;

    // Top-p buckets tokens by exponent (score − max) / T in steps of 1/8 down to −64, and everything lighter in one last
    // bucket: weights under e^−64 ≈ 1.6e−28 of the best one's, which could only hold the nucleus' edge (and then be ordered
    // like any edge bucket) in a vocabulary of more than 1e20 tokens.
    private const int BucketsPerUnit = 8, Buckets = 64 * BucketsPerUnit;

    private readonly int _vocabulary;
    // Penalized logits by id: double, so a penalty or temperature at the edge of float's range cannot overflow.
    private readonly double[] _scores;
    // exp((score − max) / T) by id; valid for every id on the dense path, for the kept ids otherwise.
    private readonly double[] _weights;
    // Heap and kept tokens: scores and ids in parallel arrays, so heap comparisons read scores without going through ids.
    private readonly double[] _rankScores;
    private readonly int[] _rankIds;
    private readonly bool[] _seen;
    // Mass per exponent bucket (top-p), the last one for everything below −64; BucketCopies copies, token i adding to copy
    // i mod BucketCopies, because neighbours often share a bucket and one copy would chain their read-modify-writes.
    private const int BucketCopies = 4;
    private readonly double[] _bucketMass = new double[BucketCopies * (Buckets + 1)];

    // The distribution Prepare leaves: either every id weighed in id order (dense), or the ids
    // _rankIds[_keptStart .. _keptStart + _keptCount) in the order draws walk them; probability = weight / _total.
    private bool _dense;
    private int _keptStart, _keptCount;
    private double _total;

    public TokenSampler(int vocabulary)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(vocabulary, 1);
        _vocabulary = vocabulary;
        _scores = new double[vocabulary];
        _weights = new double[vocabulary];
        _rankScores = new double[vocabulary];
        _rankIds = new int[vocabulary];
        _seen = new bool[vocabulary];
    }

    /// <summary>
    /// Picks a token: a draw from exactly the distribution <see cref="Distribution"/> reports (the same preparation), or
    /// the most probable token when <see cref="GenerationOptions.Temperature"/> is 0 (or only one token is kept), which
    /// consumes no random number. Options must have been validated (<see cref="GenerationOptions.Validate"/>).
    /// </summary>
    public int Pick(ReadOnlySpan<float> logits, ReadOnlySpan<int> history, GenerationOptions options, ref SamplingRandom random)
    {
        Prepare(logits, history, options);
        if (!_dense && _keptCount == 1)
        {
            return _rankIds[_keptStart];
        }
        // Cumulative sums repeat the sums that made _total, term for term in the same order, so the last cumulative equals
        // _total exactly and a zero-weight token is never returned (its term leaves the sum where it was).
        double draw = random.NextDouble() * _total, cumulative = 0;
        int last = -1;
        if (_dense)
        {
            for (int i = 0; i < _vocabulary; i++)
            {
                double weight = _weights[i];
                if (weight > 0)
                {
                    cumulative += weight;
                    last = i;
                    if (draw < cumulative)
                    {
                        return i;
                    }
                }
            }
            return last; // draw rounded up to _total
        }
        for (int j = _keptStart, end = _keptStart + _keptCount; j < end; j++)
        {
            int id = _rankIds[j];
            double weight = _weights[id];
            if (weight > 0)
            {
                cumulative += weight;
                last = id;
                if (draw < cumulative)
                {
                    return id;
                }
            }
        }
        return last;
    }

    /// <summary>
    /// Writes the probability of each token under <paramref name="options"/>: what <see cref="Pick"/> draws from (one-hot
    /// at the greedy pick when Temperature is 0). For tests and diagnostics.
    /// </summary>
    internal void Distribution(ReadOnlySpan<float> logits, ReadOnlySpan<int> history, GenerationOptions options, Span<double> probabilities)
    {
        if (probabilities.Length != _vocabulary)
        {
            throw new ArgumentException($"Probabilities hold {probabilities.Length} values; the vocabulary has {_vocabulary}.", nameof(probabilities));
        }
        Prepare(logits, history, options);
        if (_dense)
        {
            for (int i = 0; i < _vocabulary; i++)
            {
                probabilities[i] = _weights[i] / _total;
            }
            return;
        }
        probabilities.Clear();
        for (int j = _keptStart, end = _keptStart + _keptCount; j < end; j++)
        {
            int id = _rankIds[j];
            probabilities[id] = _weights[id] / _total;
        }
    }

    private void Prepare(ReadOnlySpan<float> logits, ReadOnlySpan<int> history, GenerationOptions options)
    {
        if (logits.Length != _vocabulary)
        {
            throw new ArgumentException($"The row holds {logits.Length} logits; the vocabulary has {_vocabulary}.", nameof(logits));
        }
        LoadScores(logits, history, options.RepetitionPenalty);
        if (options.Temperature == 0f)
        {
            KeepOne(ArgMax());
            return;
        }
        double inverse = 1.0 / options.Temperature; // at most 1 / float.Epsilon ≈ 7.1e44: finite in double
        if (options.TopK > 0 && options.TopK < _vocabulary)
        {
            KeepTopK(options.TopK, inverse, options.TopP);
        }
        else if (options.TopP < 1f)
        {
            KeepTopP(inverse, options.TopP);
        }
        else
        {
            WeighAll(Max(), inverse);
        }
    }

    /// <summary>Copies the row into <see cref="_scores"/> and applies the penalty once per distinct token of the history.</summary>
    private void LoadScores(ReadOnlySpan<float> logits, ReadOnlySpan<int> history, float repetitionPenalty)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            ref float source = ref MemoryMarshal.GetReference(logits);
            for (; i + Vector512<float>.Count <= _vocabulary; i += Vector512<float>.Count)
            {
                Vector512<float> row = Vector512.LoadUnsafe(ref source, (nuint)i);
                Vector512.WidenLower(row).StoreUnsafe(ref _scores[i]);
                Vector512.WidenUpper(row).StoreUnsafe(ref _scores[i + Vector512<double>.Count]);
            }
        }
        for (; i < _vocabulary; i++)
        {
            _scores[i] = logits[i];
        }
        if (repetitionPenalty == 1f)
        {
            return;
        }
        foreach (int token in history)
        {
            if ((uint)token >= (uint)_vocabulary)
            {
                throw new ArgumentOutOfRangeException(nameof(history), token, $"History ids must be in [0, {_vocabulary}).");
            }
        }
        double penalty = repetitionPenalty;
        // Each distinct token once, as Hugging Face's gather/scatter does; its rule: score < 0 ? score · penalty : score / penalty.
        foreach (int token in history)
        {
            if (!_seen[token])
            {
                _seen[token] = true;
                double score = _scores[token];
                _scores[token] = score < 0 ? score * penalty : score / penalty;
            }
        }
        foreach (int token in history)
        {
            _seen[token] = false;
        }
    }

    /// <summary>
    /// The first id with the highest score: RowSoftmax.ArgMax's rule on a row without NaN; NaN is skipped, and a row with
    /// nothing above −∞ is refused as it is when sampling.
    /// </summary>
    private int ArgMax()
    {
        int best = -1;
        double bestScore = double.NegativeInfinity;
        for (int i = 0; i < _vocabulary; i++)
        {
            double score = _scores[i];
            if (score > bestScore)
            {
                best = i;
                bestScore = score;
            }
        }
        return best >= 0 ? best : throw NothingToDraw();
    }

    private double Max()
    {
        double max = double.NegativeInfinity;
        for (int i = 0; i < _vocabulary; i++)
        {
            double score = _scores[i];
            if (score > max)
            {
                max = score;
            }
        }
        return max > double.NegativeInfinity ? max : throw NothingToDraw();
    }

    private static ArgumentException NothingToDraw() =>
        new("Every logit of the row is NaN or −∞ (after the repetition penalty): no token has a probability to draw.", "logits");

    /// <summary>exp((score − max) / T) with the max-first shift that keeps it in range; +∞ logits share the mass when max is +∞.</summary>
    private static double Weight(double score, double max, double inverse)
    {
        if (max == double.PositiveInfinity)
        {
            return score == double.PositiveInfinity ? 1 : 0;
        }
        double exponent = (score - max) * inverse;
        return exponent >= LowestExponent ? Math.Exp(exponent) : 0;
    }

    private void KeepOne(int id)
    {
        _dense = false;
        _rankIds[0] = id;
        _weights[id] = 1;
        _keptStart = 0;
        _keptCount = 1;
        _total = 1;
    }

    /// <summary>Temperature only: every token weighed in id order, drawn in id order.</summary>
    private void WeighAll(double max, double inverse)
    {
        ComputeWeights(max, inverse);
        // Summed one by one in id order, the order draws walk (a vector sum would round differently from their walk).
        double total = 0;
        for (int i = 0; i < _vocabulary; i++)
        {
            total += _weights[i];
        }
        _dense = true;
        _total = total;
    }

    /// <summary><see cref="Weight"/> of every token into <see cref="_weights"/>, eight (or four) at a time where vectors are fast.</summary>
    private void ComputeWeights(double max, double inverse)
    {
        int i = 0;
        if (max != double.PositiveInfinity)
        {
            if (Vector512.IsHardwareAccelerated)
            {
                Vector512<double> shift = Vector512.Create(max), scale = Vector512.Create(inverse), lowest = Vector512.Create(LowestExponent);
                for (; i + Vector512<double>.Count <= _vocabulary; i += Vector512<double>.Count)
                {
                    Vector512<double> exponent = (Vector512.LoadUnsafe(ref _scores[i]) - shift) * scale;
                    // NaN and exponents below the lowest fail the comparison: weight 0, as in Weight.
                    Vector512.ConditionalSelect(Vector512.GreaterThanOrEqual(exponent, lowest), Vector512.Exp(exponent), Vector512<double>.Zero)
                        .StoreUnsafe(ref _weights[i]);
                }
            }
            else if (Vector256.IsHardwareAccelerated)
            {
                Vector256<double> shift = Vector256.Create(max), scale = Vector256.Create(inverse), lowest = Vector256.Create(LowestExponent);
                for (; i + Vector256<double>.Count <= _vocabulary; i += Vector256<double>.Count)
                {
                    Vector256<double> exponent = (Vector256.LoadUnsafe(ref _scores[i]) - shift) * scale;
                    Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(exponent, lowest), Vector256.Exp(exponent), Vector256<double>.Zero)
                        .StoreUnsafe(ref _weights[i]);
                }
            }
        }
        for (; i < _vocabulary; i++)
        {
            _weights[i] = Weight(_scores[i], max, inverse);
        }
    }

    /// <summary>
    /// Top-k (then top-p over the k): a min-heap of the k best seen so far, its root the worst kept. Ids arrive in
    /// increasing order, so a later token equal to the root ranks after it and only a strictly higher score replaces it.
    /// </summary>
    private void KeepTopK(int k, double inverse, float topP)
    {
        int count = 0;
        int i = 0;
        for (; i < _vocabulary && count < k; i++)
        {
            double score = _scores[i];
            if (!double.IsNaN(score))
            {
                _rankScores[count] = score;
                _rankIds[count] = i;
                SiftUpWorstFirst(count++);
            }
        }
        double threshold = count > 0 ? _rankScores[0] : double.NaN;
        if (Vector512.IsHardwareAccelerated && count == k)
        {
            // Most blocks of eight hold nothing above the k-th best so far: one comparison skips them.
            for (; i + Vector512<double>.Count <= _vocabulary; i += Vector512<double>.Count)
            {
                if (Vector512.GreaterThanAny(Vector512.LoadUnsafe(ref _scores[i]), Vector512.Create(threshold)))
                {
                    for (int j = i; j < i + Vector512<double>.Count; j++)
                    {
                        threshold = Offer(j, threshold, count);
                    }
                }
            }
        }
        for (; i < _vocabulary; i++)
        {
            threshold = Offer(i, threshold, count);
        }
        if (count == 0)
        {
            throw NothingToDraw();
        }
        double max = double.NegativeInfinity;
        for (int j = 0; j < count; j++)
        {
            max = Math.Max(max, _rankScores[j]);
        }
        if (max == double.NegativeInfinity)
        {
            throw NothingToDraw();
        }
        _dense = false;
        _keptStart = 0;
        if (topP >= 1f)
        {
            double total = 0;
            for (int j = 0; j < count; j++)
            {
                int id = _rankIds[j];
                double weight = Weight(_rankScores[j], max, inverse);
                _weights[id] = weight;
                total += weight;
            }
            _keptCount = count;
            _total = total;
            return;
        }
        // Heap sort of the k: the worst goes to the end each time, which leaves them best first.
        for (int end = count - 1; end > 0; end--)
        {
            Swap(0, end);
            SiftDownWorstFirst(0, end);
        }
        double kTotal = 0;
        for (int j = 0; j < count; j++)
        {
            int id = _rankIds[j];
            double weight = Weight(_rankScores[j], max, inverse);
            _weights[id] = weight;
            kTotal += weight;
        }
        double needed = topP * kTotal, mass = 0;
        int kept = 0;
        while (kept < count)
        {
            mass += _weights[_rankIds[kept++]];
            if (mass >= needed)
            {
                break;
            }
        }
        _keptCount = kept;
        _total = mass;
    }

    /// <summary>
    /// Top-p alone. Every token is weighed and its weight added to the mass of its exponent bucket; the bucket sums show
    /// which buckets lie surely inside the nucleus (the mass up to their end is below p·total), which surely outside (the
    /// mass before them reaches it), and the one or two between, whose tokens alone go through a max-heap popped in rank
    /// order until the mass is reached. Buckets are ordered by exponent and so by score, so this keeps exactly the
    /// shortest rank prefix; only the tokens near the edge are ever ordered.
    /// </summary>
    private void KeepTopP(double inverse, float topP)
    {
        double max = Max();
        if (max == double.PositiveInfinity)
        {
            WeighAll(max, inverse);
            KeepTopPByHeap(topP);
            return;
        }
        ComputeWeights(max, inverse);
        Array.Clear(_bucketMass);
        for (int i = 0; i < _vocabulary; i++)
        {
            double weight = _weights[i];
            if (weight > 0)
            {
                _bucketMass[(i % BucketCopies) * (Buckets + 1) + BucketOf((_scores[i] - max) * inverse)] += weight;
            }
        }
        double total = 0;
        for (int bucket = 0; bucket <= Buckets; bucket++)
        {
            double bucketMass = 0;
            for (int copy = 0; copy < BucketCopies; copy++)
            {
                bucketMass += _bucketMass[copy * (Buckets + 1) + bucket];
            }
            _bucketMass[bucket] = bucketMass;
            total += bucketMass;
        }
        double needed = topP * total;
        // The bucket sums and the sums in kept order round differently, by less than V·2^−53 of the total: judge "surely"
        // with a margin well above that.
        double margin = 4e-16 * _vocabulary * total;
        int first = 0;
        double before = 0;
        while (first < Buckets && before + _bucketMass[first] < needed - margin)
        {
            before += _bucketMass[first++];
        }
        int last = first;
        double through = before + _bucketMass[first];
        while (last < Buckets && through < needed + margin)
        {
            through += _bucketMass[++last];
        }
        // Bucket b holds exponents in (−(b + 1)/8, −b/8] (exact: scaling by 8 is), so bucket < first ⇔ exponent > −first/8 and
        // bucket ≤ last ⇔ exponent > −(last + 1)/8: plain comparisons, which whole blocks of tokens below the edge fail at once.
        double insideAbove = -first / (double)BucketsPerUnit;
        double edgeAbove = last < Buckets ? -(last + 1) / (double)BucketsPerUnit : double.NegativeInfinity;
        // Surely inside: ids from the back of _rankIds down, in id order of visit. The edge's tokens: a heap at the front.
        int inside = _vocabulary, edge = 0;
        double mass = 0;
        for (int i = 0; i < _vocabulary;)
        {
            int end = i + 1;
            if (Vector512.IsHardwareAccelerated && i + Vector512<double>.Count <= _vocabulary)
            {
                Vector512<double> exponents = (Vector512.LoadUnsafe(ref _scores[i]) - Vector512.Create(max)) * Vector512.Create(inverse);
                if (!Vector512.GreaterThanAny(exponents, Vector512.Create(edgeAbove)))
                {
                    i += Vector512<double>.Count;
                    continue;
                }
                end = i + Vector512<double>.Count;
            }
            for (; i < end; i++)
            {
                double weight = _weights[i], exponent = (_scores[i] - max) * inverse;
                if (!(weight > 0))
                {
                    continue;
                }
                if (exponent > insideAbove)
                {
                    _rankIds[--inside] = i;
                    mass += weight;
                }
                else if (exponent > edgeAbove)
                {
                    _rankScores[edge] = _scores[i];
                    _rankIds[edge++] = i;
                }
            }
        }
        int heap = PopBestUntil(edge, ref mass, needed);
        // Kept: the popped edge tokens (best first) just before the inside ones, one contiguous run ending at V.
        int popped = edge - heap;
        Array.Reverse(_rankIds, heap, popped);
        Array.Copy(_rankIds, heap, _rankIds, inside - popped, popped);
        _dense = false;
        _keptStart = inside - popped;
        _keptCount = _vocabulary - _keptStart;
        // The total in the order draws walk the kept tokens, so the draw's cumulative sum ends exactly on it.
        double keptTotal = 0;
        for (int j = _keptStart; j < _vocabulary; j++)
        {
            keptTotal += _weights[_rankIds[j]];
        }
        _total = keptTotal;
    }

    /// <summary>
    /// Makes [0, <paramref name="count"/>) of the rank arrays a best-first heap and pops the best remaining token, adding its
    /// weight to <paramref name="mass"/>, until the mass reaches <paramref name="needed"/> or the heap is empty. Each pop
    /// moves the token to the end of the heap, so the popped ones fill [returned heap size, count), best last.
    /// </summary>
    private int PopBestUntil(int count, ref double mass, double needed)
    {
        for (int parent = count / 2 - 1; parent >= 0; parent--)
        {
            SiftDownBestFirst(parent, count);
        }
        int heap = count;
        while (heap > 0)
        {
            mass += _weights[_rankIds[0]];
            Swap(0, --heap);
            SiftDownBestFirst(0, heap);
            if (mass >= needed)
            {
                break;
            }
        }
        return heap;
    }

    private static int BucketOf(double exponent) => exponent > -64 ? (int)(-exponent * BucketsPerUnit) : Buckets;

    /// <summary>
    /// Top-p by a max-heap of every token that could be needed, popped until the mass reaches TopP of the total: for rows
    /// with +∞ logits (weights 0 or 1, no exponents to bucket). Expects <see cref="WeighAll"/>'s weights and total.
    /// </summary>
    private void KeepTopPByHeap(float topP)
    {
        double total = _total, needed = topP * total;
        // Tokens lighter than this weigh less than (1 − p)·total / 2 together (fewer than V of them), so the tokens at least
        // this heavy — a rank prefix, as weight grows with score — already hold more than p·total: the nucleus is among
        // them. The factor 1/2 leaves room for rounding.
        double lightest = 0.5 * (1 - (double)topP) * total / _vocabulary;
        int count = 0;
        for (int i = 0; i < _vocabulary; i++)
        {
            double weight = _weights[i];
            if (weight > 0 && weight >= lightest)
            {
                _rankScores[count] = _scores[i];
                _rankIds[count++] = i;
            }
        }
        double mass = 0;
        int heap = PopBestUntil(count, ref mass, needed);
        // Best first, the order the mass was summed in, so draws repeat that sum.
        Array.Reverse(_rankIds, heap, count - heap);
        _dense = false;
        _keptStart = heap;
        _keptCount = count - heap;
        _total = mass;
    }

    /// <summary>Token <paramref name="id"/> replaces the worst of a full top-k heap if it scores higher; returns the new worst score.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private double Offer(int id, double threshold, int count)
    {
        double score = _scores[id];
        if (!(score > threshold))
        {
            return threshold;
        }
        _rankScores[0] = score;
        _rankIds[0] = id;
        SiftDownWorstFirst(0, count);
        return _rankScores[0];
    }

    /// <summary>Whether (score a, id a) ranks before (score b, id b): higher score, then lower id.</summary>
    private static bool RanksBefore(double scoreA, int idA, double scoreB, int idB) => scoreA > scoreB || (scoreA == scoreB && idA < idB);

    private bool RanksBefore(int a, int b) => RanksBefore(_rankScores[a], _rankIds[a], _rankScores[b], _rankIds[b]);

    private void Swap(int a, int b)
    {
        (_rankScores[a], _rankScores[b]) = (_rankScores[b], _rankScores[a]);
        (_rankIds[a], _rankIds[b]) = (_rankIds[b], _rankIds[a]);
    }

    private void SiftUpWorstFirst(int child)
    {
        while (child > 0)
        {
            int parent = (child - 1) / 2;
            if (!RanksBefore(parent, child))
            {
                return;
            }
            Swap(parent, child);
            child = parent;
        }
    }

    private void SiftDownWorstFirst(int parent, int count) => SiftDown(parent, count, bestFirst: false);

    private void SiftDownBestFirst(int parent, int count) => SiftDown(parent, count, bestFirst: true);

    /// <summary>
    /// Restores the heap below <paramref name="parent"/>: the best-ranked token on top (<paramref name="bestFirst"/>, the
    /// top-p heaps) or the worst (the top-k heap, whose root is the one a better token replaces).
    /// </summary>
    private void SiftDown(int parent, int count, bool bestFirst)
    {
        // Whether the token at x belongs above the one at y.
        bool Above(int x, int y) => bestFirst ? RanksBefore(x, y) : RanksBefore(y, x);
        while (true)
        {
            int child = 2 * parent + 1;
            if (child >= count)
            {
                return;
            }
            if (child + 1 < count && Above(child + 1, child))
            {
                child++;
            }
            if (!Above(child, parent))
            {
                return;
            }
            Swap(parent, child);
            parent = child;
        }
    }
}
