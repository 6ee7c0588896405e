using TransformerKernels.ChineseEnglish;

namespace TransformerKernels.Tests;

/// <summary>The trained translator with BF16 and int8 weights: same translations, held-out accuracy, no allocation, smaller weights.</summary>
public sealed class LowPrecisionTranslationTests
{
    private static readonly string ModelDirectory = Path.Combine(AppContext.BaseDirectory, "model");
    private static readonly string Checkpoint = Path.Combine(ModelDirectory, "translator.safetensors");
    private static readonly string[] SelfTestSentences = { "我有一只猫", "她喜欢两条鱼", "我们想要三本书", "他不需要一把新伞", "老师看见四只大象" };

    public static TheoryData<WeightPrecision> LowPrecisions() => new() { WeightPrecision.Bf16, WeightPrecision.Int8 };

    [Theory]
    [MemberData(nameof(LowPrecisions))]
    public void TranslatesLikeFp32(WeightPrecision precision)
    {
        var vocabulary = Vocabulary.Load(ModelDirectory);
        using var fp32 = ChineseEnglishTranslator.Load(Checkpoint);
        using var low = ChineseEnglishTranslator.Load(Checkpoint, precision: precision);
        Assert.Equal(precision, low.Weights.Precision);
        var reference = new SentenceTranslator(fp32, vocabulary);
        var translator = new SentenceTranslator(low, vocabulary);
        foreach (string sentence in SelfTestSentences)
        {
            Assert.True(translator.TryParse(sentence, out int[] ids, out _));
            Assert.Equal(reference.Translate(ids), translator.Translate(ids));
            Assert.Equal(reference.Translate(ids, beam: 4), translator.Translate(ids, beam: 4));
        }
    }

    [Theory]
    [MemberData(nameof(LowPrecisions))]
    public void HeldOutExactMatchStaysAbove99Percent(WeightPrecision precision)
    {
        using var model = ChineseEnglishTranslator.Load(Checkpoint, precision: precision);
        var translator = new SentenceTranslator(model, Vocabulary.Load(ModelDirectory));
        string[][] pairs = File.ReadAllLines(Path.Combine(ModelDirectory, "heldout.tsv")).Where(l => l.Contains('\t')).Select(l => l.Split('\t')).ToArray();
        int correct = pairs.Count(p => translator.TryParse(p[0], out int[] ids, out _) && translator.Translate(ids) == Vocabulary.SentenceCase(p[1]));
        Assert.True(correct >= 0.99 * pairs.Length, $"{precision} on {KernelPaths.Active} / int8 {Int8Paths.Active}: {correct}/{pairs.Length} held-out sentences exact");
    }

    [Theory]
    [MemberData(nameof(LowPrecisions))]
    public void StepLogitsStayCloseToFp32(WeightPrecision precision)
    {
        // Max |Δlogit| over six greedy steps, logits of magnitude up to ~20. Measured on Zen 4: BF16 0.0085, int8 0.076
        // (Avx512BW, 7-bit weights) / 0.050 (Scalar, 8-bit weights); bounds 0.03 and 0.25 (≈ 3×). A wrong scale or offset
        // anywhere moves logits by whole units.
        double bound = precision == WeightPrecision.Bf16 ? 0.03 : 0.25;
        using var fp32 = ChineseEnglishTranslator.Load(Checkpoint);
        using var low = ChineseEnglishTranslator.Load(Checkpoint, precision: precision);
        int[] source = Vocabulary.Load(ModelDirectory).TryEncode("老师看见四只大象", out int[] ids, out _) ? ids : throw new InvalidOperationException();
        fp32.StartDecoding(source);
        low.StartDecoding(source);
        double worst = 0;
        int token = Vocabulary.Start;
        for (int position = 0; position < 6; position++)
        {
            float[] expected = fp32.Step(0, token, position).ToArray();
            float[] actual = low.Step(0, token, position).ToArray();
            worst = Math.Max(worst, TestData.MaxAbsError(expected, actual, $"{precision} step {position}"));
            token = Array.IndexOf(expected, expected.Max());
        }
        Assert.True(worst <= bound, $"{precision} on {KernelPaths.Active} / int8 {Int8Paths.Active}: max |Δlogit| {worst:F4} > {bound}");
    }

    [Theory]
    [MemberData(nameof(LowPrecisions))]
    public void GreedyTranslationAllocatesNothingAfterTheFirstCall(WeightPrecision precision)
    {
        using var model = ChineseEnglishTranslator.Load(Checkpoint, precision: precision);
        Vocabulary.Load(ModelDirectory).TryEncode("我有一只猫", out int[] ids, out _);
        var output = new int[32];
        Assert.Equal(0, AllocationProbe.SteadyStateBytes(() => model.Translate(ids, output, Vocabulary.Start, Vocabulary.End)));
    }

    [Fact]
    public void WeightBytesShrink()
    {
        using var fp32 = ChineseEnglishTranslator.Load(Checkpoint);
        using var bf16 = ChineseEnglishTranslator.Load(Checkpoint, precision: WeightPrecision.Bf16);
        using var int8 = ChineseEnglishTranslator.Load(Checkpoint, precision: WeightPrecision.Int8);
        Assert.Equal(fp32.Weights.LinearWeightBytes / 2, bf16.Weights.LinearWeightBytes);
        Assert.InRange(int8.Weights.LinearWeightBytes, fp32.Weights.LinearWeightBytes / 4, fp32.Weights.LinearWeightBytes * 3 / 10);
    }
}
