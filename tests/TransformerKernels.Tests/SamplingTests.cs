namespace TransformerKernels.Tests;

/// <summary>
/// <see cref="TokenSampler"/> against its definition: the distribution it draws from (<see cref="TokenSampler.Distribution"/>,
/// the preparation <see cref="TokenSampler.Pick"/> draws from) equals an independent reference written from Hugging Face's
/// logits processors, in their order, in double; seeded draws follow that reference (χ² goodness of fit); temperatures and
/// penalties at the ends of float's range, and NaN/±∞ logits, give finite, correct distributions; picks allocate nothing.
/// </summary>
public sealed class SamplingTests
{
    /// <summary>
    /// Hugging Face's processors in double, in its order. Rank and tie rules are the documented ones
    /// (<see cref="GenerationOptions"/>): top-k keeps exactly k by (logit descending, id ascending); NaN is never picked
    /// (treated as −∞); if any logit is +∞ the +∞ tokens share the mass equally.
    /// </summary>
    internal static double[] Reference(float[] logits, int[] history, GenerationOptions options)
    {
        int vocabulary = logits.Length;
        double[] scores = [.. logits.Select(l => (double)l)];
        // RepetitionPenaltyLogitsProcessor: gather the scores of the sequence's tokens, penalize, scatter back; a token that
        // occurs several times is scattered with the same value, so it is penalized once.
        if (options.RepetitionPenalty != 1f)
        {
            double penalty = options.RepetitionPenalty;
            foreach (int token in history.Distinct())
            {
                scores[token] = scores[token] < 0 ? scores[token] * penalty : scores[token] / penalty;
            }
        }
        for (int i = 0; i < vocabulary; i++)
        {
            scores[i] = double.IsNaN(scores[i]) ? double.NegativeInfinity : scores[i];
        }
        var probabilities = new double[vocabulary];
        if (options.Temperature == 0f)
        {
            // Greedy: the first maximum (NaN already out).
            int best = 0;
            for (int i = 1; i < vocabulary; i++)
            {
                best = scores[i] > scores[best] ? i : best;
            }
            probabilities[best] = 1;
            return probabilities;
        }
        // TemperatureLogitsWarper: scores / temperature.
        for (int i = 0; i < vocabulary; i++)
        {
            scores[i] /= options.Temperature;
        }
        // TopKLogitsWarper: everything outside the k best to −∞ (exactly k, lower id first among equals).
        if (options.TopK > 0 && options.TopK < vocabulary)
        {
            foreach (int i in Enumerable.Range(0, vocabulary).OrderByDescending(i => scores[i]).ThenBy(i => i).Skip(options.TopK))
            {
                scores[i] = double.NegativeInfinity;
            }
        }
        // TopPLogitsWarper: sort ascending, cumulative softmax, remove where cumulative <= 1 - top_p, always keep the last
        // (most probable) token. The comparison is made on unnormalized weights against (1 - top_p) × their total — the same
        // inequality multiplied by the total — so that on rows with exact weights (equal logits: 1 each) the cut is exact
        // too: summing 0.001 five hundred times in double lands just above 0.5 and would keep one token more than the
        // definition does at top_p 0.5.
        if (options.TopP < 1f)
        {
            int[] ascending = [.. Enumerable.Range(0, vocabulary).OrderBy(i => scores[i]).ThenByDescending(i => i)];
            double[] sorted = Weights([.. ascending.Select(i => scores[i])]);
            double cumulative = 0, total = sorted.Sum();
            for (int j = 0; j < vocabulary - 1; j++)
            {
                cumulative += sorted[j];
                if (cumulative <= (1 - (double)options.TopP) * total)
                {
                    scores[ascending[j]] = double.NegativeInfinity;
                }
            }
        }
        return Softmax(scores);
    }

    /// <summary>Softmax numerators: exp(score − max), or 1 for each +∞ score when there is one (the documented limit).</summary>
    private static double[] Weights(double[] scores)
    {
        double max = scores.Max();
        return double.IsPositiveInfinity(max)
            ? [.. scores.Select(s => double.IsPositiveInfinity(s) ? 1.0 : 0)]
            : [.. scores.Select(s => Math.Exp(s - max))];
    }

    private static double[] Softmax(double[] scores)
    {
        double[] weights = Weights(scores);
        double sum = weights.Sum();
        return [.. weights.Select(e => e / sum)];
    }

    private static double[] Distribution(float[] logits, int[] history, GenerationOptions options)
    {
        var probabilities = new double[logits.Length];
        new TokenSampler(logits.Length).Distribution(logits, history, options, probabilities);
        return probabilities;
    }

    /// <summary>Every probability within 1e-6 of the reference's, all finite, summing to 1.</summary>
    private static void AssertMatchesReference(float[] logits, int[] history, GenerationOptions options, string row)
    {
        double[] expected = Reference(logits, history, options), actual = Distribution(logits, history, options);
        string what = $"{row}, V {logits.Length}, T {options.Temperature:R}, top-k {options.TopK}, top-p {options.TopP:R}, penalty {options.RepetitionPenalty:R}, history [{string.Join(",", history)}]";
        Assert.True(actual.All(double.IsFinite), $"{what}: a probability is not finite");
        Assert.True(Math.Abs(actual.Sum() - 1) < 1e-9, $"{what}: probabilities sum to {actual.Sum():R}");
        for (int i = 0; i < logits.Length; i++)
        {
            Assert.True(Math.Abs(actual[i] - expected[i]) <= 1e-6, $"{what}: token {i} has probability {actual[i]:R}, the reference {expected[i]:R}");
        }
    }

    /// <summary>Rows of many kinds: spreads, ties, large and negative values.</summary>
    private static IEnumerable<(string Name, float[] Logits)> Rows(int vocabulary, int seed)
    {
        var random = new Random(seed);
        float[] Make(Func<float> value) => [.. Enumerable.Range(0, vocabulary).Select(_ => value())];
        double Normal() => Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
        yield return ("normal σ1", Make(() => (float)Normal()));
        yield return ("normal σ4", Make(() => (float)(4 * Normal())));
        yield return ("ties (integers in [-2, 2])", Make(() => random.Next(-2, 3)));
        yield return ("all equal", Make(() => 0.5f));
        yield return ("negative, large", Make(() => (float)(-1e4 * random.NextDouble() - 50)));
        yield return ("float's range", Make(() => (float)((random.NextDouble() * 2 - 1) * Math.Pow(10, random.Next(0, 39)))));
    }

    private static int[] History(int vocabulary, int seed)
    {
        var random = new Random(seed);
        int[] distinct = [.. Enumerable.Range(0, Math.Min(6, vocabulary)).Select(_ => random.Next(vocabulary))];
        // Repeats on purpose: a token that occurs three times is penalized once.
        return [.. distinct, .. distinct.Take(3), distinct[0]];
    }

    public static TheoryData<int> Vocabularies => new() { 1, 2, 7, 64, 1000 };

    [Theory]
    [MemberData(nameof(Vocabularies))]
    public void DistributionIsHuggingFacesForEveryOptionCombination(int vocabulary)
    {
        float[] temperatures = [1f, 0.35f, 1.7f, 40f];
        int[] topKs = [0, 1, 3, vocabulary - 1, vocabulary, vocabulary + 5];
        float[] topPs = [1f, 0.9f, 0.5f, 0.23f, 1e-6f];
        float[] penalties = [1f, 1.3f, 0.6f];
        int seed = 0;
        foreach ((string name, float[] logits) in Rows(vocabulary, vocabulary))
        {
            int[] history = History(vocabulary, seed++);
            foreach (float temperature in temperatures)
            {
                foreach (int topK in topKs.Where(k => k >= 0).Distinct())
                {
                    foreach (float topP in topPs)
                    {
                        foreach (float penalty in penalties)
                        {
                            var options = new GenerationOptions { Temperature = temperature, TopK = topK, TopP = topP, RepetitionPenalty = penalty };
                            AssertMatchesReference(logits, history, options, name);
                        }
                    }
                }
            }
        }
    }

    [Fact]
    public void TopPAloneOverALargeVocabularyMatchesTheReference()
    {
        // The top-p path drops tokens too light to be needed before its heap; peaked and flat rows over 50,000 tokens
        // exercise the cut at both ends.
        const int vocabulary = 50_000;
        foreach ((string name, float[] logits) in Rows(vocabulary, 77).Where(r => !r.Name.StartsWith("float", StringComparison.Ordinal)))
        {
            foreach (float topP in new[] { 0.95f, 0.6f, 1e-3f })
            {
                foreach (float temperature in new[] { 0.8f, 3f })
                {
                    AssertMatchesReference(logits, [], new GenerationOptions { Temperature = temperature, TopP = topP }, name);
                }
            }
        }
    }

    [Fact]
    public void GreedyIsRowSoftmaxArgMaxWithTheFirstOfEqualMaxima()
    {
        var sampler = new TokenSampler(64);
        var random = new SamplingRandom(1);
        foreach ((string name, float[] logits) in Rows(64, 5))
        {
            int pick = sampler.Pick(logits, [], new GenerationOptions(), ref random);
            Assert.True(pick == RowSoftmax.ArgMax(logits), $"{name}: greedy picked {pick}, RowSoftmax.ArgMax {RowSoftmax.ArgMax(logits)}");
            // Top-k 1 keeps the same token: sampling collapses to greedy.
            Assert.Equal(pick, sampler.Pick(logits, [], new GenerationOptions { Temperature = 1f, TopK = 1 }, ref random));
        }
    }

    /// <summary>
    /// χ² critical values at a false-failure probability of 1e-6, by degrees of freedom (index): the upper 1e-6 quantile
    /// of the χ² distribution, computed from the regularized incomplete gamma function (bisection on Q(df/2, x/2) = 1e-6;
    /// df 1 gives 23.928 = 4.8916², the two-sided normal quantile squared).
    /// </summary>
    private static readonly double[] ChiSquareCritical1e6 =
        [double.NaN, 23.928, 27.631, 30.665, 33.377, 35.888, 38.258, 40.522, 42.701, 44.811, 46.863, 48.866, 50.825, 52.747, 54.635, 56.493];

    public static TheoryData<float, int, float, float> DrawnOptions => new()
    {
        { 1f, 0, 1f, 1f },       // temperature only: drawn in id order
        { 0.6f, 0, 1f, 1f },
        { 1.4f, 6, 1f, 1f },     // top-k: drawn in heap order
        { 1f, 0, 0.8f, 1f },     // top-p alone: the heap path
        { 0.9f, 9, 0.85f, 1.6f }, // top-k, then top-p, with the penalty
    };

    [Theory]
    [MemberData(nameof(DrawnOptions))]
    public void SeededDrawsFollowTheReferenceDistribution(float temperature, int topK, float topP, float penalty)
    {
        // 12 tokens with logits in [-1.5, 1.5): every kept token has probability above 1e-3 (expected count > 200).
        const int vocabulary = 12, draws = 200_000;
        float[] logits = TestData.Uniform(vocabulary, 4242, scale: 1.5f);
        int[] history = [2, 5, 5, 9];
        var options = new GenerationOptions { Temperature = temperature, TopK = topK, TopP = topP, RepetitionPenalty = penalty };
        double[] expected = Reference(logits, history, options);
        var sampler = new TokenSampler(vocabulary);
        var random = new SamplingRandom(20261203);
        var counts = new int[vocabulary];
        for (int n = 0; n < draws; n++)
        {
            counts[sampler.Pick(logits, history, options, ref random)]++;
        }
        double chiSquare = 0;
        int cells = 0;
        for (int i = 0; i < vocabulary; i++)
        {
            if (expected[i] == 0)
            {
                Assert.True(counts[i] == 0, $"token {i} has probability 0 and was drawn {counts[i]} times");
                continue;
            }
            Assert.True(expected[i] * draws > 5, $"token {i}: expected count {expected[i] * draws} too small for χ²");
            double deviation = counts[i] - expected[i] * draws;
            chiSquare += deviation * deviation / (expected[i] * draws);
            cells++;
        }
        Assert.True(cells >= 2, $"only {cells} token kept: nothing to test");
        // A correct sampler fails this with probability 1e-6 for a random seed; the seed is fixed, so the test is
        // deterministic: it either always passes or always fails for a given implementation.
        double critical = ChiSquareCritical1e6[cells - 1];
        Assert.True(chiSquare < critical,
            $"χ² = {chiSquare:F2} over {cells} tokens (df {cells - 1}, critical {critical} at 1e-6): counts [{string.Join(", ", counts)}], expected [{string.Join(", ", expected.Select(p => (p * draws).ToString("F0")))}]");
    }

    public static TheoryData<float, int, float> TinyTemperatures => new()
    {
        { 1e-38f, 0, 1f },
        { float.Epsilon, 0, 1f },
        { 1e-38f, 1, 1f },
        { float.Epsilon, 1, 1f },
        { 1e-38f, 5, 0.9f },
        { float.Epsilon, 0, 0.5f },
    };

    [Theory]
    [MemberData(nameof(TinyTemperatures))]
    public void ATinyTemperatureIsGreedy(float temperature, int topK, float topP)
    {
        var sampler = new TokenSampler(200);
        var options = new GenerationOptions { Temperature = temperature, TopK = topK, TopP = topP };
        foreach ((string name, float[] logits) in Rows(200, 31).Where(r => r.Name.StartsWith("normal", StringComparison.Ordinal) || r.Name.StartsWith("float", StringComparison.Ordinal)))
        {
            int argMax = RowSoftmax.ArgMax(logits);
            AssertMatchesReference(logits, [], options, name);
            Assert.True(Distribution(logits, [], options)[argMax] == 1, $"{name}: the top token does not hold all the probability");
            for (int seed = 1; seed <= 8; seed++)
            {
                var random = new SamplingRandom(seed);
                Assert.Equal(argMax, sampler.Pick(logits, [], options, ref random));
            }
        }
    }

    [Theory]
    [InlineData(float.Epsilon, 1f)]
    [InlineData(float.Epsilon, 1e-38f)]
    [InlineData(3e38f, 1f)]
    [InlineData(3e38f, float.Epsilon)]
    public void PenaltiesAtTheEndsOfFloatsRangeStayFinite(float penalty, float temperature)
    {
        // History: tokens 3 (logit 2.5), 4 (-1) and 7 (0.25). A penalty of float.Epsilon divides 2.5 into ~1.8e45, beyond
        // float: token 3 must take all the mass (the float row's +∞ would have tied with token 7's). 3e38 pushes token 4 to
        // ~-3e38 and token 3 to ~0: the other tokens decide.
        float[] logits = [1f, 2f, -3f, 2.5f, -1f, 0.5f, 1.5f, 0.25f];
        int[] history = [3, 4, 7, 3];
        foreach (int topK in new[] { 0, 1, 3 })
        {
            foreach (float topP in new[] { 1f, 0.7f })
            {
                var options = new GenerationOptions { Temperature = temperature, TopK = topK, TopP = topP, RepetitionPenalty = penalty };
                AssertMatchesReference(logits, history, options, "penalty row");
                double[] expected = Reference(logits, history, options);
                var sampler = new TokenSampler(logits.Length);
                for (int seed = 1; seed <= 8; seed++)
                {
                    var random = new SamplingRandom(seed);
                    int pick = sampler.Pick(logits, history, options, ref random);
                    Assert.True(expected[pick] > 0, $"penalty {penalty}, T {temperature}, top-k {topK}, top-p {topP}: picked {pick}, whose probability is 0");
                    if (penalty == float.Epsilon || temperature != 1f)
                    {
                        int best = penalty == float.Epsilon ? 3 : 1; // 3e38 with a tiny T: token 1 (logit 2) is the best left
                        Assert.True(pick == best, $"penalty {penalty}, T {temperature}: picked {pick}, the definition gives {best}");
                    }
                }
            }
        }
    }

    [Fact]
    public void NaNIsNeverPickedAndInfinitiesFollowTheirLimits()
    {
        float nan = float.NaN, inf = float.PositiveInfinity;
        float[][] rows =
        [
            [nan, 1f, 3f, nan, 2f, -inf],
            [1f, nan, 9f, nan, nan, 0f],
            [-inf, 2f, inf, 1f, inf, nan],
            [nan, -inf, -inf, 0.5f, -inf, nan],
        ];
        foreach (float[] logits in rows)
        {
            foreach (GenerationOptions options in new[]
            {
                new GenerationOptions(),
                new GenerationOptions { Temperature = 1f },
                new GenerationOptions { Temperature = 0.5f, TopK = 2 },
                new GenerationOptions { Temperature = 2f, TopP = 0.6f },
                new GenerationOptions { Temperature = 1f, TopK = 4, TopP = 0.9f, RepetitionPenalty = 1.5f },
            })
            {
                AssertMatchesReference(logits, [0, 2, 4], options, $"[{string.Join(", ", logits)}]");
            }
            var sampler = new TokenSampler(logits.Length);
            var random = new SamplingRandom(9);
            for (int n = 0; n < 200; n++)
            {
                int pick = sampler.Pick(logits, [], new GenerationOptions { Temperature = 1f }, ref random);
                Assert.False(float.IsNaN(logits[pick]) || logits[pick] == float.NegativeInfinity, $"picked token {pick} with logit {logits[pick]}");
            }
        }
    }

    [Fact]
    public void BadInputIsRefusedByName()
    {
        var sampler = new TokenSampler(4);
        var random = new SamplingRandom(1);
        var sampled = new GenerationOptions { Temperature = 1f, RepetitionPenalty = 1.2f };
        Assert.Equal("logits", Assert.Throws<ArgumentException>(() => sampler.Pick(new float[5], [], sampled, ref random)).ParamName);
        Assert.Equal("probabilities", Assert.Throws<ArgumentException>(() => sampler.Distribution(new float[4], [], sampled, new double[3])).ParamName);
        Assert.Equal("history", Assert.Throws<ArgumentOutOfRangeException>(() => sampler.Pick(new float[4], [1, 4], sampled, ref random)).ParamName);
        float[] nothing = [float.NaN, float.NegativeInfinity, float.NaN, float.NegativeInfinity];
        foreach (GenerationOptions options in new[] { new GenerationOptions(), sampled, sampled with { TopK = 2 }, sampled with { TopP = 0.5f } })
        {
            Assert.Equal("logits", Assert.Throws<ArgumentException>(() => sampler.Pick(nothing, [], options, ref random)).ParamName);
        }
        // Still usable, and the refused history left no token marked as seen (the penalty applies to 1 only).
        float[] logits = [1f, 2f, 0f, 0f];
        var probabilities = new double[4];
        sampler.Distribution(logits, [1], sampled, probabilities);
        double[] expected = Reference(logits, [1], sampled);
        for (int i = 0; i < 4; i++)
        {
            Assert.True(Math.Abs(probabilities[i] - expected[i]) <= 1e-12, $"token {i}: {probabilities[i]:R}, the reference {expected[i]:R}");
        }
    }

    public static TheoryData<int, float> AllocationPaths => new()
    {
        { 0, 1f }, { 50, 1f }, { 0, 0.9f }, { 50, 0.9f },
    };

    [Theory]
    [MemberData(nameof(AllocationPaths))]
    public void PicksAllocateNothing(int topK, float topP)
    {
        const int vocabulary = 32_000;
        float[] logits = TestData.Uniform(vocabulary, 3, scale: 6f);
        int[] history = [1, 2, 3, 2];
        var sampler = new TokenSampler(vocabulary);
        var random = new SamplingRandom(5);
        var options = new GenerationOptions { Temperature = 0.8f, TopK = topK, TopP = topP, RepetitionPenalty = 1.1f };
        Assert.Equal(0, AllocationProbe.SteadyStateBytes(() => sampler.Pick(logits, history, options, ref random)));
    }
}
