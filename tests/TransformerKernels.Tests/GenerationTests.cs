namespace TransformerKernels.Tests;

/// <summary>
/// Generation with a decoder-only model (<see cref="TokenGenerator"/> over <see cref="FixtureLanguageModel"/>): prefill and
/// cached steps against a reference that recomputes the whole sequence at every step through <c>DecodeEmbeddings</c> (the
/// stack PyTorchParityTests checks against PyTorch) and the output projection in double; batches, sampling, stop tokens,
/// streaming, cancellation, allocation and bad input.
/// </summary>
public sealed class GenerationTests : IDisposable
{
    private const int Vocab = FixtureLanguageModel.DecoderVocab, D = FixtureLanguageModel.DModel, MaxSeqLen = FixtureLanguageModel.MaxSeqLen;
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"tk-lm-{Guid.NewGuid():N}.safetensors");
    private readonly float[] _embedding = TestData.Uniform(Vocab * D, 901, scale: 1f);
    private readonly float[] _head = TestData.Uniform(Vocab * D, 902, scale: 1f);
    private readonly float[] _bias = TestData.Uniform(Vocab, 903, scale: 0.5f);
    private readonly FixtureLanguageModel _model;
    private readonly FixtureLanguageModel _reference;

    public GenerationTests()
    {
        using (SafeTensorsFile stack = SafeTensorsFile.Open(PyTorchParityTests.Fixture("decoder_only_pre_gelu.safetensors")))
        {
            var tensors = stack.Tensors.Values.Select(t => (t.Name, t.Shape, stack.ReadArray(t.Name))).ToList();
            tensors.Add(("tgt_embedding.weight", [Vocab, D], _embedding));
            tensors.Add(("generator.weight", [Vocab, D], _head));
            tensors.Add(("generator.bias", [Vocab], _bias));
            SafeTensorsWriter.Write(_path, tensors);
        }
        _model = FixtureLanguageModel.Load(_path, maxBatch: 4);
        _reference = _model.CreateSession(maxBatch: 1);
    }

    public void Dispose()
    {
        _reference.Dispose();
        _model.Dispose();
        File.Delete(_path);
    }

    /// <summary>The logits after the last token of <paramref name="tokens"/>, recomputing the whole sequence.</summary>
    private double[] ReferenceLogits(IReadOnlyList<int> tokens)
    {
        var rows = new float[tokens.Count * D];
        for (int i = 0; i < tokens.Count; i++)
        {
            Array.Copy(_embedding, tokens[i] * D, rows, i * D, D);
        }
        var output = new float[rows.Length];
        _reference.DecodeEmbeddings(rows, 1, tokens.Count, output);
        var logits = new double[Vocab];
        int last = (tokens.Count - 1) * D;
        for (int v = 0; v < Vocab; v++)
        {
            double sum = _bias[v];
            for (int j = 0; j < D; j++)
            {
                sum += (double)output[last + j] * _head[v * D + j];
            }
            logits[v] = sum;
        }
        return logits;
    }

    /// <summary>Greedy continuation by full recomputation, with Hugging Face's repetition penalty written out here.</summary>
    private int[] ReferenceGreedy(int[] prompt, int newTokens, float penalty = 1f)
    {
        var sequence = new List<int>(prompt);
        for (int step = 0; step < newTokens; step++)
        {
            double[] logits = ReferenceLogits(sequence);
            foreach (int token in sequence.Distinct())
            {
                logits[token] = logits[token] > 0 ? logits[token] / penalty : logits[token] * penalty;
            }
            int best = 0;
            for (int v = 1; v < Vocab; v++)
            {
                best = logits[v] > logits[best] ? v : best;
            }
            sequence.Add(best);
        }
        return [.. sequence.Skip(prompt.Length)];
    }

    private static readonly int[][] Prompts = [[7], [3, 14, 15, 9, 2], [1, 2, 3, 4, 5, 6, 7, 8, 9]];

    [Fact]
    public void PrefillGivesEachPromptsLastLogits()
    {
        float[] logits = _model.Prefill([.. Prompts.SelectMany(p => p)], [.. Prompts.Select(p => p.Length)]).ToArray();
        for (int k = 0; k < Prompts.Length; k++)
        {
            float[] expected = [.. ReferenceLogits(Prompts[k]).Select(v => (float)v)];
            // Logits of magnitude ~5 from float kernels against a double projection of float rows: measured ≤ 2e-6.
            TestData.AssertClose(expected, logits.AsSpan(k * Vocab, Vocab), 1e-5, $"prompt {k} ({Prompts[k].Length} tokens)");
        }
    }

    [Theory]
    [InlineData(1f)]
    [InlineData(1.5f)]
    public void GreedyBatchEqualsFullRecomputation(float penalty)
    {
        var generator = new TokenGenerator(_model);
        int[][] actual = generator.Generate(Prompts, new GenerationOptions { MaxNewTokens = 6, RepetitionPenalty = penalty });
        for (int k = 0; k < Prompts.Length; k++)
        {
            int[] expected = ReferenceGreedy(Prompts[k], 6, penalty);
            Assert.True(expected.SequenceEqual(actual[k]), $"prompt {k}, penalty {penalty}: generated [{string.Join(", ", actual[k])}], reference [{string.Join(", ", expected)}]");
        }
        // One at a time gives the same.
        var output = new int[6];
        for (int k = 0; k < Prompts.Length; k++)
        {
            int count = generator.Generate(Prompts[k], output, new GenerationOptions { MaxNewTokens = 6, RepetitionPenalty = penalty });
            Assert.Equal(actual[k], output[..count]);
        }
    }

    [Fact]
    public void SamplingIsReproducibleAndRespectsItsLimits()
    {
        var generator = new TokenGenerator(_model);
        var sampled = new GenerationOptions { MaxNewTokens = 7, Temperature = 1.5f, TopK = 20, TopP = 0.9f, Seed = 42 };
        int[][] first = generator.Generate(Prompts, sampled), again = generator.Generate(Prompts, sampled);
        Assert.Equal(first, again);
        int[][] other = generator.Generate(Prompts, sampled with { Seed = 43 });
        Assert.NotEqual(first, other);
        int[][] greedy = generator.Generate(Prompts, new GenerationOptions { MaxNewTokens = 7 });
        Assert.NotEqual(greedy, first); // a temperature of 1.5 over 20 tokens does not pick the top token 21 times in a row
        // Top-k 1 (and a tiny top-p) leave only the most probable token: sampling becomes greedy.
        Assert.Equal(greedy, generator.Generate(Prompts, sampled with { TopK = 1 }));
        Assert.Equal(greedy, generator.Generate(Prompts, sampled with { TopK = 0, TopP = 1e-6f }));
        // Top-k 3: every sampled token is among the reference's 3 most probable at its step.
        int[] prompt = Prompts[1];
        int[] tokens = generator.Generate([prompt], sampled with { TopK = 3, TopP = 1f, Seed = 5 })[0];
        var sequence = new List<int>(prompt);
        foreach (int token in tokens)
        {
            double[] logits = ReferenceLogits(sequence);
            int[] top = [.. Enumerable.Range(0, Vocab).OrderByDescending(v => logits[v]).Take(3)];
            Assert.Contains(token, top);
            sequence.Add(token);
        }
    }

    [Fact]
    public void TemperaturesNearZeroAreGreedy()
    {
        // Issue 30 item 7: logits × (1 / 1e-38) overflowed to ∞, ∞ − ∞ gave NaN, and sampling returned a wrong token. The
        // limit of a temperature going to 0 is greedy, and so must every tiny temperature be, with or without top-k and
        // with a penalty below float's normal range.
        var generator = new TokenGenerator(_model);
        var greedy = new GenerationOptions { MaxNewTokens = 6 };
        foreach (float penalty in new[] { 1f, 1.5f })
        {
            int[][] expected = generator.Generate(Prompts, greedy with { RepetitionPenalty = penalty });
            foreach (float temperature in new[] { 1e-38f, float.Epsilon })
            {
                foreach (int topK in new[] { 0, 1, 40 })
                {
                    for (int seed = 1; seed <= 3; seed++)
                    {
                        var options = greedy with { Temperature = temperature, TopK = topK, RepetitionPenalty = penalty, Seed = seed };
                        Assert.True(expected.Zip(generator.Generate(Prompts, options)).All(p => p.First.SequenceEqual(p.Second)),
                            $"T {temperature:R}, top-k {topK}, penalty {penalty}, seed {seed}: not the greedy continuation");
                    }
                }
            }
        }
    }

    [Fact]
    public void StopTokensEndSequencesWhichLeaveTheBatch()
    {
        var generator = new TokenGenerator(_model);
        int[][] full = generator.Generate(Prompts, new GenerationOptions { MaxNewTokens = 7 });
        int stop = full[1][2];
        int[][] stopped = generator.Generate(Prompts, new GenerationOptions { MaxNewTokens = 7, StopTokens = [stop] });
        for (int k = 0; k < Prompts.Length; k++)
        {
            int at = Array.IndexOf(full[k], stop);
            Assert.Equal(at < 0 ? full[k] : full[k][..at], stopped[k]);
        }
        Assert.True(stopped[1].Length == 2);
    }

    [Fact]
    public async Task StreamingYieldsTheSameTokensAndCancellationLeavesTheModelUsable()
    {
        var generator = new TokenGenerator(_model);
        var options = new GenerationOptions { MaxNewTokens = 6 };
        int[] expected = generator.Generate([Prompts[2]], options)[0];
        var streamed = new List<int>();
        await foreach (int token in generator.GenerateAsync(Prompts[2], options))
        {
            streamed.Add(token);
        }
        Assert.Equal(expected, streamed);

        using var cancellation = new CancellationTokenSource();
        var received = new List<int>();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (int token in generator.GenerateAsync(Prompts[2], options, cancellation.Token))
            {
                received.Add(token);
                if (received.Count == 2)
                {
                    cancellation.Cancel();
                }
            }
        });
        Assert.Equal(expected[..2], received); // cancelled before the third step
        Assert.Equal(expected, generator.Generate([Prompts[2]], options)[0]);
    }

    [Fact]
    public void StepsAllocateNothing()
    {
        var generator = new TokenGenerator(_model);
        var output = new int[12];
        var shortRun = new GenerationOptions { MaxNewTokens = 2, Temperature = 1f, TopP = 0.9f, RepetitionPenalty = 1.2f, Seed = 1 };
        var longRun = shortRun with { MaxNewTokens = 11 };
        // Sampling with a seed, repetition penalty and top-p: nothing per call, so nothing per step.
        Assert.Equal(0, AllocationProbe.SteadyStateBytes(() => generator.Generate(Prompts[1], output, shortRun)));
        Assert.Equal(0, AllocationProbe.SteadyStateBytes(() => generator.Generate(Prompts[1], output, longRun)));
    }

    [Fact]
    public void BadInputIsRefusedByName()
    {
        var generator = new TokenGenerator(_model);
        var options = new GenerationOptions { MaxNewTokens = 4 };
        Assert.Equal("prompts", Assert.Throws<ArgumentOutOfRangeException>(() => generator.Generate([new int[MaxSeqLen - 3]], options)).ParamName);
        Assert.Equal("prompts", Assert.Throws<ArgumentOutOfRangeException>(() => generator.Generate([[1, Vocab]], options)).ParamName);
        Assert.Equal("prompts", Assert.Throws<ArgumentOutOfRangeException>(() => generator.Generate([[]], options)).ParamName);
        Assert.Equal("Temperature", Assert.Throws<ArgumentOutOfRangeException>(() => generator.Generate(Prompts, options with { Temperature = -1 })).ParamName);
        Assert.Equal("TopP", Assert.Throws<ArgumentOutOfRangeException>(() => generator.Generate(Prompts, options with { TopP = 0 })).ParamName);
        Assert.Equal("TopP", Assert.Throws<ArgumentOutOfRangeException>(() => generator.Generate(Prompts, options with { TopP = 1.5f })).ParamName);
        Assert.Equal("TopK", Assert.Throws<ArgumentOutOfRangeException>(() => generator.Generate(Prompts, options with { TopK = -1 })).ParamName);
        Assert.Equal("RepetitionPenalty", Assert.Throws<ArgumentOutOfRangeException>(() => generator.Generate(Prompts, options with { RepetitionPenalty = 0 })).ParamName);
        Assert.Equal("MaxNewTokens", Assert.Throws<ArgumentOutOfRangeException>(() => generator.Generate(Prompts, options with { MaxNewTokens = 0 })).ParamName);
        var noRoom = Assert.Throws<ArgumentOutOfRangeException>(() => generator.Generate(Prompts, options with { MaxNewTokens = MaxSeqLen }));
        Assert.Equal("MaxNewTokens", noRoom.ParamName);
        Assert.Contains($"MaxSeqLen is {MaxSeqLen}", noRoom.Message);
        Assert.Equal("StopTokens", Assert.Throws<ArgumentOutOfRangeException>(() => generator.Generate(Prompts, options with { StopTokens = [Vocab] })).ParamName);
        Assert.Empty(generator.Generate([], options));
        // Still usable.
        Assert.Equal(4, generator.Generate(Prompts, options)[0].Length);
    }
}
