using TransformerKernels.ChineseEnglish;

namespace TransformerKernels.Tests;

/// <summary>
/// The seed's example end to end on the trained weights of src/TransformerKernels.ChineseEnglish: text in, text out through the C# runtime,
/// and the decoder's logits against PyTorch's for one teacher-forced sentence.
/// </summary>
public sealed class TranslationTests : IDisposable
{
    private static readonly string ModelDirectory = Path.Combine(AppContext.BaseDirectory, "model");
    private readonly ChineseEnglishTranslator _model = ChineseEnglishTranslator.Load(Path.Combine(ModelDirectory, "translator.safetensors"));
    private readonly Vocabulary _vocabulary = Vocabulary.Load(ModelDirectory);

    public void Dispose() => _model.Dispose();

    [Theory]
    [InlineData("我有一只猫", "I have a cat")]
    [InlineData("她喜欢两条鱼", "She likes two fish")]
    [InlineData("我们想要三本书", "We want three books")]
    [InlineData("他不需要一把新伞", "He does not need a new umbrella")]
    [InlineData("老师看见四只大象", "The teacher sees four elephants")]
    public void TranslatesSentences(string chinese, string english)
    {
        var translator = new SentenceTranslator(_model, _vocabulary);
        Assert.True(translator.TryParse(chinese, out int[] ids, out string? problem), problem);
        Assert.Equal(english, translator.Translate(ids));
        Assert.Equal(english, translator.Translate(ids, beam: 4));
        Assert.Equal(english, translator.TranslateStepByStep(ids, null, null, chinese));
    }

    [Fact]
    public void HeldOutCombinationsTranslateCorrectly()
    {
        // The first 100 held-out pairs: (verb, noun) combinations never seen in training.
        var translator = new SentenceTranslator(_model, _vocabulary);
        string[][] pairs = File.ReadAllLines(Path.Combine(ModelDirectory, "heldout.tsv")).Take(100).Select(l => l.Split('\t')).ToArray();
        int correct = pairs.Count(p => translator.TryParse(p[0], out int[] ids, out _) && translator.Translate(ids) == Vocabulary.SentenceCase(p[1]));
        Assert.True(correct >= 99, $"{correct}/100 held-out sentences translated exactly on {KernelPaths.Active}");
    }

    [Fact]
    public void DecoderLogitsMatchPyTorch()
    {
        // Logits are unnormalized (magnitudes up to ~20). Tolerance 2e-5 absolute: the largest error measured on the three
        // kernel paths is 2.9e-6 (step 1), a margin of 7×.
        string fixture = Path.Combine(AppContext.BaseDirectory, "Fixtures", "translate_logits.safetensors");
        using SafeTensorsFile file = SafeTensorsFile.Open(fixture);
        int[] source = file.ReadArray("source").Select(v => (int)v).ToArray();
        int[] target = file.ReadArray("target").Select(v => (int)v).ToArray();
        float[] expected = file.ReadArray("logits");
        _model.StartDecoding(source);
        int vocab = ChineseEnglishTranslator.DecoderVocab;
        for (int position = 0; position < target.Length; position++)
        {
            float[] logits = _model.Step(0, target[position], position).ToArray();
            TestData.AssertClose(expected[(position * vocab)..((position + 1) * vocab)], logits, 2e-5, $"logits at step {position}");
        }
    }

    [Fact]
    public void DecoderLogitsMatchPyTorchForTheLongestSourceOverEveryPosition()
    {
        // MaxSeqLen = 32 source tokens and 32 decoding steps (teacher-forced with random targets, so no end token stops it):
        // the cache's last row, the attention over a full-length memory, the last sinusoidal position. Tolerance 1e-4: the
        // random (off-distribution) tokens make the errors larger than on a real sentence — measured 2.7e-5 (scalar path),
        // 1.8e-5 (Avx512), 1.3e-5 (Avx2) on logits of magnitude up to 9.5 — a margin of 3.7×.
        using SafeTensorsFile file = SafeTensorsFile.Open(Path.Combine(AppContext.BaseDirectory, "Fixtures", "translate_long.safetensors"));
        int[] source = file.ReadArray("source").Select(v => (int)v).ToArray();
        int[] target = file.ReadArray("target").Select(v => (int)v).ToArray();
        float[] expected = file.ReadArray("logits");
        Assert.Equal(ChineseEnglishTranslator.MaxSeqLen, source.Length);
        Assert.Equal(ChineseEnglishTranslator.MaxSeqLen, target.Length);
        _model.StartDecoding(source);
        int vocab = ChineseEnglishTranslator.DecoderVocab;
        for (int position = 0; position < target.Length; position++)
        {
            float[] logits = _model.Step(0, target[position], position).ToArray();
            TestData.AssertClose(expected[(position * vocab)..((position + 1) * vocab)], logits, 1e-4, $"32-token source, logits at step {position}");
        }
    }

    [Fact]
    public void GreedyTranslationAllocatesNothingAfterTheFirstCall()
    {
        _vocabulary.TryEncode("我有一只猫", out int[] ids, out _);
        var output = new int[32];
        Assert.Equal(0, AllocationProbe.SteadyStateBytes(() => _model.Translate(ids, output, Vocabulary.Start, Vocabulary.End)));
    }

    [Fact]
    public void UntranslatableInputIsExplained()
    {
        var translator = new SentenceTranslator(_model, _vocabulary);
        Assert.False(translator.TryParse("我有一只龙", out _, out string? unknown));
        Assert.Contains("'龙'", unknown);
        Assert.False(translator.TryParse("  ", out _, out string? empty));
        Assert.Contains("empty", empty);
        Assert.False(translator.TryParse(string.Concat(Enumerable.Repeat("我有一只猫", 7)), out _, out string? tooLong));
        Assert.Contains("at most 32", tooLong);
        var output = new int[8];
        Assert.Equal("source", Assert.Throws<ArgumentOutOfRangeException>(() => _model.Translate([5, 999], output, 1, 2)).ParamName);
        Assert.Equal("source", Assert.Throws<ArgumentOutOfRangeException>(() => _model.Translate([], output, 1, 2)).ParamName);
        Assert.All(output, v => Assert.Equal(0, v));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(BeamSearch.MaxWidth + 1)]
    [InlineData(100_000)]
    [InlineData(int.MaxValue)]
    public void BeamWidthsOutsideTheDocumentedRangeAreRefusedByName(int beamWidth)
    {
        // Before the bound, 100 000 beams allocated 2 × 100 000 decoder caches (22.7 GB) and int.MaxValue overflowed 2·width.
        _vocabulary.TryEncode("我有一只猫", out int[] ids, out _);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => _model.Translate(ids, new int[8], Vocabulary.Start, Vocabulary.End, beamWidth));
        Assert.Equal("beamWidth", error.ParamName);
        Assert.Contains(BeamSearch.MaxWidth.ToString(System.Globalization.CultureInfo.InvariantCulture), error.Message);
        Assert.Equal("slots", Assert.Throws<ArgumentOutOfRangeException>(() => _model.StartDecoding(ids, 2 * BeamSearch.MaxWidth + 1)).ParamName);
        Assert.Equal("slot", Assert.Throws<ArgumentOutOfRangeException>(() => _model.Step(2 * BeamSearch.MaxWidth, Vocabulary.Start, 0)).ParamName);
        Assert.Equal("slot", Assert.Throws<ArgumentOutOfRangeException>(() => _model.Step(-1, Vocabulary.Start, 0)).ParamName);
        Assert.Equal("positions", Assert.Throws<ArgumentOutOfRangeException>(() => _model.CopySlot(0, 1, ChineseEnglishTranslator.MaxSeqLen + 1)).ParamName);
        // The widest beam still works.
        var target = new int[8];
        int length = _model.Translate(ids, target, Vocabulary.Start, Vocabulary.End, BeamSearch.MaxWidth);
        Assert.Equal("I have a cat", _vocabulary.Decode(target.AsSpan(0, length)));
    }
}
