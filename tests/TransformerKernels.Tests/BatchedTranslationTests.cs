using System.Text.Json;
using TransformerKernels.ChineseEnglish;

namespace TransformerKernels.Tests;

/// <summary>
/// Batched decoding on the trained translator: <see cref="ChineseEnglishTranslator.TranslateBatch"/> must give exactly what
/// one-at-a-time <see cref="ChineseEnglishTranslator.Translate"/> gives (greedy and beam search, across chunk boundaries,
/// sources of 1 and MaxSeqLen tokens), the PyTorch beam-search fixture's beams when its cases run as batches, and the
/// single-row logits when many slots step at once; with no allocation once warm.
/// </summary>
public sealed class BatchedTranslationTests : IDisposable
{
    private static readonly string ModelDirectory = Path.Combine(AppContext.BaseDirectory, "model");
    private const int MaxSeqLen = ChineseEnglishTranslator.MaxSeqLen;
    private readonly ChineseEnglishTranslator _model = ChineseEnglishTranslator.Load(Path.Combine(ModelDirectory, TranslatorFiles.WeightsFileName), maxBatch: 8);

    public void Dispose() => _model.Dispose();

    /// <summary>200 held-out sentences, plus a one-token source and two full-length ones of random source ids.</summary>
    private static int[][] Sources()
    {
        var vocabulary = Vocabulary.Load(ModelDirectory);
        var random = new Random(7);
        int[][] heldOut = [.. File.ReadAllLines(Path.Combine(ModelDirectory, TranslatorFiles.HeldOutFileName)).Take(200)
            .Select(l => vocabulary.TryEncode(l.Split('\t')[0], out int[] ids, out _) ? ids : throw new InvalidDataException(l))];
        int[] Random(int length) => [.. Enumerable.Range(0, length).Select(_ => random.Next(ChineseEnglishTranslator.EncoderVocab))];
        return [heldOut[0], Random(1), .. heldOut[1..100], Random(MaxSeqLen), .. heldOut[100..], Random(MaxSeqLen)];
    }

    [Theory]
    [InlineData(1, 8)]
    [InlineData(4, 8)]
    [InlineData(1, 64)]
    [InlineData(3, 64)]
    public void BatchesEqualOneAtATime(int beam, int maxBatch)
    {
        using ChineseEnglishTranslator model = maxBatch == 8 ? _model.CreateSession(8) : _model.CreateSession(maxBatch);
        int[][] sources = Sources();
        var targets = new int[sources.Length * MaxSeqLen];
        var lengths = new int[sources.Length];
        model.TranslateBatch([.. sources.SelectMany(s => s)], [.. sources.Select(s => s.Length)], targets, lengths, Vocabulary.Start, Vocabulary.End, beam);

        var single = new int[MaxSeqLen];
        int differences = 0, unfinished = 0;
        for (int k = 0; k < sources.Length; k++)
        {
            int length = model.Translate(sources[k], single, Vocabulary.Start, Vocabulary.End, beam);
            unfinished += length == MaxSeqLen ? 1 : 0;
            if (length != lengths[k] || !single.AsSpan(0, length).SequenceEqual(targets.AsSpan(k * MaxSeqLen, lengths[k])))
            {
                differences++;
            }
        }
        Assert.True(differences == 0, $"{differences} of {sources.Length} batched translations differ from one-at-a-time ones (beam {beam}, maxBatch {maxBatch}, {KernelPaths.Active})");
        Assert.True(lengths.Distinct().Count() > 3, "the sentences should end at different steps, so some leave the batch early");
    }

    public sealed record Case(int[] Source, int Width, float LengthPenalty, int MaxLength, int[] Beam, double Score, int[] Greedy, string Words);

    [Fact]
    public void BeamSearchFixtureCasesRunAsBatchesMatchPyTorch()
    {
        using JsonDocument document = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "beam_search.json")));
        Case[] cases = document.RootElement.GetProperty("cases").Deserialize<Case[]>(new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower })!;
        int groups = 0;
        foreach (var group in cases.GroupBy(c => (c.Width, c.LengthPenalty, c.MaxLength)).Where(g => g.Count() > 1))
        {
            Case[] batch = [.. group];
            int limit = group.Key.MaxLength;
            var targets = new int[batch.Length * limit];
            var lengths = new int[batch.Length];
            _model.TranslateBatch([.. batch.SelectMany(c => c.Source)], [.. batch.Select(c => c.Source.Length)], targets, lengths,
                Vocabulary.Start, Vocabulary.End, group.Key.Width, group.Key.LengthPenalty, limit);
            for (int k = 0; k < batch.Length; k++)
            {
                int[] actual = targets[(k * limit)..(k * limit + lengths[k])];
                Assert.True(batch[k].Beam.SequenceEqual(actual), $"\"{batch[k].Words}\" (width {group.Key.Width}, penalty {group.Key.LengthPenalty}) in a batch of {batch.Length}: [{string.Join(", ", actual)}], PyTorch [{string.Join(", ", batch[k].Beam)}]");
            }
            groups++;
        }
        Assert.True(groups >= 3, $"only {groups} groups of fixture cases share their options");
    }

    [Fact]
    public void ManySlotsSteppedAtOnceGiveEachSlotsLogits()
    {
        int[] source = Sources()[3];
        int vocab = ChineseEnglishTranslator.DecoderVocab;
        // Five hypotheses of one source with different histories, as beams have.
        int[][] histories = [[Vocabulary.Start, 5, 9, 11], [Vocabulary.Start, 7, 7, 3], [Vocabulary.Start, 5, 9, 12], [Vocabulary.Start, 20, 1, 2], [Vocabulary.Start, 4, 8, 15]];
        var expected = new float[histories.Length][];
        for (int k = 0; k < histories.Length; k++)
        {
            _model.StartDecoding(source);
            for (int position = 0; position < histories[k].Length; position++)
            {
                expected[k] = _model.Step(0, histories[k][position], position).ToArray();
            }
        }
        // Together: the five in five slots (in a shuffled order) stepped as one batch per position.
        int[] slots = [4, 0, 2, 1, 3];
        _model.StartDecoding(source, histories.Length);
        float[] logits = [];
        for (int position = 0; position < histories[0].Length; position++)
        {
            int[] tokens = [.. histories.Select(h => h[position])];
            logits = _model.Step(slots, tokens, Enumerable.Repeat(position, slots.Length).ToArray()).ToArray();
        }
        for (int k = 0; k < histories.Length; k++)
        {
            // The same kernels on the same rows: measured identical; 1e-6 allows only rounding-order differences.
            TestData.AssertClose(expected[k], logits[(k * vocab)..((k + 1) * vocab)], 1e-6, $"hypothesis {k} in slot {slots[k]}");
        }
    }

    [Fact]
    public void BatchesAllocateNothingOnceWarm()
    {
        int[][] sources = Sources()[..20];
        int[] packed = [.. sources.SelectMany(s => s)], lengths = [.. sources.Select(s => s.Length)];
        var targets = new int[sources.Length * MaxSeqLen];
        var targetLengths = new int[sources.Length];
        foreach (int beam in new[] { 1, 4 })
        {
            Assert.Equal(0, AllocationProbe.SteadyStateBytes(() => _model.TranslateBatch(packed, lengths, targets, targetLengths, Vocabulary.Start, Vocabulary.End, beam)));
        }
        var single = new int[MaxSeqLen];
        Assert.Equal(0, AllocationProbe.SteadyStateBytes(() => _model.Translate(sources[0], single, Vocabulary.Start, Vocabulary.End, beamWidth: 4)));
    }

    [Fact]
    public void BadBatchesAreRefusedByName()
    {
        var targets = new int[2 * MaxSeqLen];
        var lengths = new int[2];
        // An empty batch is nothing to do.
        _model.TranslateBatch([], [], targets, lengths, Vocabulary.Start, Vocabulary.End);
        Assert.Equal("sources", Assert.Throws<ArgumentException>(() => _model.TranslateBatch([1, 2, 3], [1, 1], targets, lengths, Vocabulary.Start, Vocabulary.End)).ParamName);
        Assert.Equal("sourceLengths", Assert.Throws<ArgumentOutOfRangeException>(() => _model.TranslateBatch([1, 2], [2, 0], targets, lengths, Vocabulary.Start, Vocabulary.End)).ParamName);
        Assert.Equal("sourceLengths", Assert.Throws<ArgumentOutOfRangeException>(() => _model.TranslateBatch(new int[MaxSeqLen + 1], [MaxSeqLen + 1], targets, lengths, Vocabulary.Start, Vocabulary.End)).ParamName);
        Assert.Equal("sources", Assert.Throws<ArgumentOutOfRangeException>(() => _model.TranslateBatch([1, 9999], [1, 1], targets, lengths, Vocabulary.Start, Vocabulary.End)).ParamName);
        Assert.Equal("targets", Assert.Throws<ArgumentException>(() => _model.TranslateBatch([1, 2], [1, 1], new int[MaxSeqLen], lengths, Vocabulary.Start, Vocabulary.End)).ParamName);
        Assert.Equal("targetLengths", Assert.Throws<ArgumentException>(() => _model.TranslateBatch([1, 2], [1, 1], targets, new int[1], Vocabulary.Start, Vocabulary.End)).ParamName);
        Assert.Equal("beamWidth", Assert.Throws<ArgumentOutOfRangeException>(() => _model.TranslateBatch([1, 2], [1, 1], targets, lengths, Vocabulary.Start, Vocabulary.End, beamWidth: BeamSearch.MaxWidth + 1)).ParamName);
        // Steps: one entry per row, distinct slots.
        _model.StartDecoding([1, 2], 2);
        Assert.Equal("tokens", Assert.Throws<ArgumentException>(() => _model.Step([0, 1], [1], [0, 0])).ParamName);
        Assert.Equal("caches", Assert.Throws<ArgumentException>(() => _model.Step([0, 0], [1, 1], [0, 0])).ParamName);
        Assert.Equal("slots", Assert.Throws<ArgumentOutOfRangeException>(() => _model.Step(new int[ModelRunState.MaxSlots + 1], new int[ModelRunState.MaxSlots + 1], new int[ModelRunState.MaxSlots + 1])).ParamName);
        // The model is still usable afterwards, and a batch gives what a single call gives.
        var single = new int[MaxSeqLen];
        int length = _model.Translate([1, 2], single, Vocabulary.Start, Vocabulary.End);
        _model.TranslateBatch([1, 2, 1, 2], [2, 2], targets, lengths, Vocabulary.Start, Vocabulary.End);
        Assert.Equal([length, length], lengths);
    }
}
