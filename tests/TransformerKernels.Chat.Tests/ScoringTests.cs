using TransformerKernels.Fortunes;

namespace TransformerKernels.Chat.Tests;

/// <summary>
/// <see cref="IPromptDecoder.Score"/> and <see cref="PromptScoring"/> on both fortune models, against the model's own
/// step-by-step logits: a prefill of the first token, then one cached step per later token — the path generation takes,
/// tested against PyTorch elsewhere (DecoderParity), and computed here with no code of the scoring path.
/// </summary>
public sealed class ScoringTests
{
    // Score runs all positions as GEMM rows of one prefill; the reference runs them one row per step. The kernels compute each
    // output row with the same sums in the same order whatever the row count, so the two agree bit for bit (measured on the
    // Vector512, Vector256 and scalar paths: DOTNET_EnableAVX512=0, DOTNET_EnableHWIntrinsic=0): any difference is a bug.
    private const double LogitTolerance = 0;

    // Log-probabilities are computed by the same double operations on identical logits; the perplexity's mean may sum in
    // another order than this test's (a few ulps).
    private const double PerplexityRelativeTolerance = 1e-12;

    public static TheoryData<string> Models => ["llama", "gpt2"];

    private static IPromptDecoder Load(string name) => name == "llama" ? FortuneFiles.LoadLlama(maxBatch: 1) : FortuneFiles.LoadGpt2(maxBatch: 1);

    private static int[][] Sequences()
    {
        FortuneTokenizer tokenizer = FortuneFiles.LoadTokenizer();
        string[] lines = File.ReadAllLines(Path.Combine(FortuneFiles.DefaultDirectory, FortuneFiles.HeldOutFileName));
        // Short, long (past 128 positions) and a two-token sequence.
        int[] longest = tokenizer.Encode(string.Join(' ', lines.Take(12)));
        return [tokenizer.Encode(lines[0]), tokenizer.Encode(lines[2]), longest[..Math.Min(longest.Length, 256)], tokenizer.Encode("A")];
    }

    /// <summary>Logits after the prefill of tokens[0] and after each step feeding tokens[1..] (row i predicts token i + 1).</summary>
    private static float[] StepLogits(IPromptDecoder model, int[] tokens)
    {
        int vocabulary = model.Vocabulary;
        float[] logits = new float[tokens.Length * vocabulary];
        model.Prefill(tokens.AsSpan(0, 1), [1], 0).CopyTo(logits);
        for (int i = 1; i < tokens.Length; i++)
        {
            model.Step([0], [tokens[i]], [i]).CopyTo(logits.AsSpan(i * vocabulary));
        }
        return logits;
    }

    // Compiles only because Prefill's and Step's spans are scoped: the logits returned never refer to the caller's spans,
    // so spans built on the spot (collection expressions on the stack) may be passed and the logits returned.
    private static Span<float> LastLogits(IPromptDecoder model, ReadOnlySpan<int> prompt) => model.Prefill(prompt, [prompt.Length], 0);

    private static Span<float> NextLogits(IPromptDecoder model, int token, int position) => model.Step([0], [token], [position]);

    [Theory]
    [MemberData(nameof(Models))]
    public void LogitsMayBeReturnedFromSpansMadeOnTheSpot(string name)
    {
        using IPromptDecoder model = Load(name);
        int[] tokens = Sequences()[0];
        float[] expected = StepLogits(model.CreateSession(1), tokens[..2]);
        Assert.Equal(expected.AsSpan(0, model.Vocabulary).ToArray(), LastLogits(model, tokens.AsSpan(0, 1)).ToArray());
        Assert.Equal(expected.AsSpan(model.Vocabulary).ToArray(), NextLogits(model, tokens[1], 1).ToArray());
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void ScoreGivesTheStepByStepLogitsOfEveryPosition(string name)
    {
        using IPromptDecoder model = Load(name);
        using IPromptDecoder steps = model.CreateSession(1);
        foreach (int[] tokens in Sequences())
        {
            float[] expected = StepLogits(steps, tokens);
            // One float more than needed: Score writes exactly tokens × vocabulary and leaves the rest alone.
            float[] scored = new float[expected.Length + 1];
            scored[^1] = 12345f;
            model.Score(tokens, scored);
            double worst = 0;
            int worstAt = -1;
            for (int i = 0; i < expected.Length; i++)
            {
                double difference = Math.Abs(expected[i] - scored[i]);
                if (difference > worst)
                {
                    (worst, worstAt) = (difference, i);
                }
            }
            Assert.True(worst <= LogitTolerance, $"{name}, {tokens.Length} tokens: logit {worstAt % model.Vocabulary} of position {worstAt / model.Vocabulary} differs by {worst:E2}");
            Assert.Equal(12345f, scored[^1]);
        }
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void PerplexityIsTheExponentOfTheMeanNegativeLogLikelihoodOfTheStepLogits(string name)
    {
        using IPromptDecoder model = Load(name);
        using IPromptDecoder steps = model.CreateSession(1);
        int vocabulary = model.Vocabulary;
        foreach (int[] tokens in Sequences().Where(t => t.Length >= 2))
        {
            // The reference: log-softmax of each step row in double, written out here without PromptScoring.
            float[] logits = StepLogits(steps, tokens);
            double negativeLogLikelihood = 0;
            double[] expectedLogProbabilities = new double[tokens.Length - 1];
            for (int i = 0; i + 1 < tokens.Length; i++)
            {
                ReadOnlySpan<float> row = logits.AsSpan(i * vocabulary, vocabulary);
                double max = double.NegativeInfinity, sum = 0;
                foreach (float v in row) max = Math.Max(max, v);
                foreach (float v in row) sum += Math.Exp(v - max);
                expectedLogProbabilities[i] = row[tokens[i + 1]] - max - Math.Log(sum);
                negativeLogLikelihood -= expectedLogProbabilities[i];
            }
            double expected = Math.Exp(negativeLogLikelihood / (tokens.Length - 1));

            double[] logProbabilities = new double[tokens.Length - 1];
            PromptScoring.TokenLogProbabilities(model, tokens, logProbabilities);
            for (int i = 0; i < logProbabilities.Length; i++)
            {
                Assert.True(Math.Abs(logProbabilities[i] - expectedLogProbabilities[i]) <= PerplexityRelativeTolerance * Math.Abs(expectedLogProbabilities[i]), $"{name}: log p of token {i + 1}: {logProbabilities[i]} vs {expectedLogProbabilities[i]}");
            }
            double perplexity = PromptScoring.Perplexity(model, tokens);
            Assert.True(Math.Abs(perplexity / expected - 1) <= PerplexityRelativeTolerance, $"{name}, {tokens.Length} tokens: perplexity {perplexity} vs {expected}");
            Assert.InRange(perplexity, 1, vocabulary);
        }
    }

    [Fact]
    public void BadScoringInputIsRefusedByName()
    {
        using IPromptDecoder model = Load("llama");
        int vocabulary = model.Vocabulary;
        Assert.Equal("tokens", Assert.Throws<ArgumentOutOfRangeException>(() => model.Score([], new float[vocabulary])).ParamName);
        Assert.Equal("tokens", Assert.Throws<ArgumentOutOfRangeException>(() => model.Score(new int[model.MaxSequenceLength + 1], new float[(model.MaxSequenceLength + 1) * vocabulary])).ParamName);
        Assert.Equal("logits", Assert.Throws<ArgumentException>(() => model.Score([1, 2, 3], new float[3 * vocabulary - 1])).ParamName);
        Assert.Equal("prompts", Assert.Throws<ArgumentOutOfRangeException>(() => model.Score([1, vocabulary], new float[2 * vocabulary])).ParamName);
        Assert.Equal("tokens", Assert.Throws<ArgumentOutOfRangeException>(() => PromptScoring.Perplexity(model, [1])).ParamName);
        Assert.Equal("logProbabilities", Assert.Throws<ArgumentException>(() => PromptScoring.TokenLogProbabilities(model, [1, 2, 3], new double[1])).ParamName);
    }
}
