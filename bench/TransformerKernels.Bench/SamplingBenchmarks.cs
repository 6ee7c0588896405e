using BenchmarkDotNet.Attributes;

namespace TransformerKernels.Bench;

/// <summary>
/// One sampling step (repetition penalty 1.1 over a 64-token history, temperature 1, then the mode's filter and a draw)
/// at vocabularies of 2k, 32k and 150k: <see cref="TokenSampler"/> (selection, no sort) against
/// <see cref="SortingSampler"/>, the sort-based sampler it replaced, as the baseline of the same run. Each call picks from
/// <see cref="Steps"/> different rows of logits drawn from N(0, 3²): the probability mass of such a row sits on its tokens
/// near 3σ, and a nucleus of 0.9 holds about 4% of the vocabulary — flatter than a trained model's typical step, so not a
/// flattering case for top-p. The baseline's time includes copying the row, which it modifies in place.
/// </summary>
public class SamplingBenchmarks
{
    /// <summary>Picks per call, each from its own row.</summary>
    public const int Steps = 8;

    [Params(2_000, 32_000, 150_000)]
    public int Vocabulary { get; set; }

    [Params("temperature", "top-k 50", "top-p 0.9", "top-k 50 + top-p 0.9")]
    public string Mode { get; set; } = "";

    private float[][] _rows = [];
    private float[] _scratch = [];
    private int[] _history = [];
    private GenerationOptions _options = new();
    private TokenSampler _sampler = null!;
    private SortingSampler _baseline = null!;
    private SamplingRandom _random;

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(29);
        double Normal() => Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
        _rows = [.. Enumerable.Range(0, Steps).Select(_ => Enumerable.Range(0, Vocabulary).Select(_ => (float)(3 * Normal())).ToArray())];
        _history = [.. Enumerable.Range(0, 64).Select(_ => random.Next(Vocabulary))];
        _scratch = new float[Vocabulary];
        _options = new GenerationOptions
        {
            Temperature = 1f,
            RepetitionPenalty = 1.1f,
            TopK = Mode.Contains("top-k", StringComparison.Ordinal) ? 50 : 0,
            TopP = Mode.Contains("top-p", StringComparison.Ordinal) ? 0.9f : 1f,
        };
        _sampler = new TokenSampler(Vocabulary);
        _baseline = new SortingSampler(Vocabulary);
        _random = new SamplingRandom(1);
        // BenchmarkDotNet's few warm-up calls leave these methods in tier-0 code (a first run read 25 ns per token for a
        // top-k pass over 2k tokens): call both past the call-count threshold, pausing for the background JIT, as the
        // tests' AllocationProbe does. Not in quick mode, a smoke run where tier-0 times do not matter.
        for (int round = 0; round < (Program.Quick ? 0 : 3); round++)
        {
            for (int call = 0; call < 8; call++)
            {
                Sorting();
                Selection();
            }
            Thread.Sleep(250);
        }
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Steps)]
    public int Sorting()
    {
        int sum = 0;
        foreach (float[] row in _rows)
        {
            row.CopyTo(_scratch, 0);
            sum += _baseline.Pick(_scratch, _history, _options, ref _random);
        }
        return sum;
    }

    [Benchmark(OperationsPerInvoke = Steps)]
    public int Selection()
    {
        int sum = 0;
        foreach (float[] row in _rows)
        {
            sum += _sampler.Pick(row, _history, _options, ref _random);
        }
        return sum;
    }
}
