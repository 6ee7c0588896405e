using TransformerKernels.Tests;

namespace TransformerKernels.MiniLM.Tests;

/// <summary>
/// Packed batches: sequences of different lengths back to back in one forward pass give what each gives alone (within
/// 1e-6 per element: the same instructions run on the same rows), in input order, without allocating; the embedder's
/// chunking by token budget honours cancellation between passes and reports progress.
/// </summary>
[Collection(nameof(MiniLmCollection))]
public sealed class PackedBatchTests(MiniLmFixture fixture)
{
    private static int[] RandomIds(int length, int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, length).Select(_ => random.Next(1000, 30000))];
    }

    [Fact]
    public void PackedSequencesEqualEachSequenceAlone()
    {
        int[] lengths = [1, AllMiniLmL6V2.MaxSeqLen, 7, 33, 2, 128, 1];
        int[][] sequences = [.. lengths.Select((length, i) => RandomIds(length, i))];
        int[] ids = [.. sequences.SelectMany(s => s)];
        var packed = new float[ids.Length * SentenceEmbedder.Dimensions];
        AllMiniLmL6V2 model = fixture.Embedder.Model;
        model.EncodePacked(ids, lengths, packed);
        int first = 0;
        foreach (int[] sequence in sequences)
        {
            var alone = new float[sequence.Length * SentenceEmbedder.Dimensions];
            model.Encode(sequence, alone);
            double max = alone.Select((v, i) => Math.Abs(v - packed[first * SentenceEmbedder.Dimensions + i])).Max();
            Assert.True(max <= 1e-6, $"sequence of {sequence.Length} tokens at row {first}: max difference {max:E2} on {KernelPaths.Active}");
            first += sequence.Length;
        }
    }

    [Fact]
    public void EmbeddingsOfManyTextsComeInInputOrderAndEqualOneAtATime()
    {
        string[] texts = [.. OnnxRuntimeParityTests.Sentences, .. OnnxRuntimeParityTests.Sentences.Reverse().Select(s => s.ToUpperInvariant() + " again")];
        var embedder = fixture.Embedder;
        float[][] alone = [.. texts.Select(t => embedder.Embed([t])[0])];
        int budget = embedder.TokenBudget;
        try
        {
            foreach (int tokens in new[] { embedder.Capacity, AllMiniLmL6V2.MaxSeqLen })
            {
                embedder.TokenBudget = tokens;
                var reports = new List<int>();
                float[][] packed = embedder.Embed(texts, CancellationToken.None, new SynchronousProgress(reports));
                for (int i = 0; i < texts.Length; i++)
                {
                    double max = alone[i].Select((v, j) => Math.Abs(v - packed[i][j])).Max();
                    Assert.True(max <= 1e-6, $"text {i} with a budget of {tokens} tokens: max difference {max:E2}");
                }
                Assert.Equal(texts.Length, reports[^1]);
                Assert.True(reports.SequenceEqual(reports.Order()) && reports.Distinct().Count() == reports.Count, "progress only grows");
                if (tokens == AllMiniLmL6V2.MaxSeqLen)
                {
                    Assert.True(reports.Count > 3, $"a small budget makes several passes ({reports.Count})");
                }
            }
        }
        finally
        {
            embedder.TokenBudget = budget;
        }
    }

    [Fact]
    public void CancellationStopsBetweenPassesAndLeavesTheEmbedderUsable()
    {
        var embedder = fixture.Embedder;
        string[] texts = [.. Enumerable.Range(0, 40).Select(i => $"sentence number {i} about something else entirely")];
        int budget = embedder.TokenBudget;
        embedder.TokenBudget = AllMiniLmL6V2.MaxSeqLen;
        try
        {
            using var cancel = new CancellationTokenSource();
            var reports = new List<int>();
            var progress = new SynchronousProgress(reports, _ => cancel.Cancel());
            Assert.Throws<OperationCanceledException>(() => embedder.Embed(texts, cancel.Token, progress));
            Assert.Single(reports); // cancelled after the first pass, before the second
            Assert.Equal(embedder.Embed(["still works"])[0], fixture.Embedder.Embed(["still works"])[0]);
        }
        finally
        {
            embedder.TokenBudget = budget;
        }
    }

    [Fact]
    public void PackedForwardAllocatesNothing()
    {
        int[] lengths = [3, 17, 1, 40];
        int[] ids = RandomIds(lengths.Sum(), 99);
        var hidden = new float[ids.Length * SentenceEmbedder.Dimensions];
        Assert.Equal(0, AllocationProbe.SteadyStateBytes(() => fixture.Embedder.Model.EncodePacked(ids, lengths, hidden)));
    }

    [Fact]
    public void BadPackedArgumentsAreRefusedByNameAndNothingIsWritten()
    {
        AllMiniLmL6V2 model = fixture.Embedder.Model;
        var hidden = new float[4 * SentenceEmbedder.Dimensions];
        Assert.Equal("lengths", Assert.Throws<ArgumentOutOfRangeException>(() => model.EncodePacked([1, 2], [], hidden)).ParamName);
        Assert.Equal("lengths", Assert.Throws<ArgumentOutOfRangeException>(() => model.EncodePacked([1, 2], [2, 0], hidden)).ParamName);
        Assert.Equal("lengths", Assert.Throws<ArgumentOutOfRangeException>(() => model.EncodePacked([1], [AllMiniLmL6V2.MaxSeqLen + 1], hidden)).ParamName);
        int[] tooMany = [.. Enumerable.Repeat(AllMiniLmL6V2.MaxSeqLen, fixture.Embedder.Capacity / AllMiniLmL6V2.MaxSeqLen + 1)];
        Assert.Equal("lengths", Assert.Throws<ArgumentOutOfRangeException>(() => model.EncodePacked(new int[tooMany.Sum()], tooMany, new float[tooMany.Sum() * 384])).ParamName);
        Assert.Equal("ids", Assert.Throws<ArgumentException>(() => model.EncodePacked([1, 2, 3], [2], hidden)).ParamName);
        Assert.Equal("hidden", Assert.Throws<ArgumentException>(() => model.EncodePacked([1, 2, 3, 4, 5], [5], hidden)).ParamName);
        Assert.Equal("ids", Assert.Throws<ArgumentOutOfRangeException>(() => model.EncodePacked([1, 99999], [2], hidden)).ParamName);
        Assert.All(hidden, v => Assert.Equal(0f, v));
    }

    /// <summary>Progress that reports on the calling thread (Progress&lt;T&gt; posts to the thread pool).</summary>
    private sealed class SynchronousProgress(List<int> reports, Action<int>? then = null) : IProgress<int>
    {
        public void Report(int value)
        {
            reports.Add(value);
            then?.Invoke(value);
        }
    }
}
