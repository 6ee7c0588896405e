namespace TransformerKernels.Bench;

/// <summary>
/// BASELINE ONLY — the sampler TokenGenerator used before it stopped sorting (TokenSampler as of commit f688aee), kept
/// verbatim in behaviour so <see cref="SamplingBenchmarks"/> times the new one against it in the same run. It sorts the
/// whole vocabulary (Array.Sort, unstable, so ties are not "lower id first" as its comment claimed) and overflows for
/// temperatures near 0; do not use it for generation.
/// </summary>
internal sealed class SortingSampler
{
    private readonly float[] _keys;
    private readonly int[] _order;
    private readonly bool[] _seen;

    public SortingSampler(int vocabulary)
    {
        _keys = new float[vocabulary];
        _order = new int[vocabulary];
        _seen = new bool[vocabulary];
    }

    /// <summary>Picks a token; <paramref name="logits"/> is modified (penalty and temperature applied in place).</summary>
    public int Pick(Span<float> logits, ReadOnlySpan<int> history, GenerationOptions options, ref SamplingRandom random)
    {
        if (options.RepetitionPenalty != 1f)
        {
            foreach (int token in history)
            {
                if (!_seen[token])
                {
                    _seen[token] = true;
                    logits[token] = logits[token] > 0 ? logits[token] / options.RepetitionPenalty : logits[token] * options.RepetitionPenalty;
                }
            }
            foreach (int token in history)
            {
                _seen[token] = false;
            }
        }
        if (options.Temperature == 0f)
        {
            return RowSoftmax.ArgMax(logits);
        }
        int vocabulary = logits.Length;
        float inverse = 1f / options.Temperature;
        for (int i = 0; i < vocabulary; i++)
        {
            logits[i] *= inverse;
        }
        for (int i = 0; i < vocabulary; i++)
        {
            _keys[i] = -logits[i];
            _order[i] = i;
        }
        Array.Sort(_keys, _order, 0, vocabulary);
        int kept = options.TopK > 0 ? Math.Min(options.TopK, vocabulary) : vocabulary;
        float max = -_keys[0];
        double total = 0;
        for (int i = 0; i < kept; i++)
        {
            total += Math.Exp(-_keys[i] - max);
        }
        if (options.TopP < 1f)
        {
            double mass = 0, needed = options.TopP * total;
            int prefix = 0;
            while (prefix < kept)
            {
                mass += Math.Exp(-_keys[prefix] - max);
                prefix++;
                if (mass >= needed)
                {
                    break;
                }
            }
            kept = prefix;
            total = mass;
        }
        double draw = random.NextDouble() * total;
        for (int i = 0; i < kept; i++)
        {
            draw -= Math.Exp(-_keys[i] - max);
            if (draw < 0)
            {
                return _order[i];
            }
        }
        return _order[kept - 1];
    }
}
