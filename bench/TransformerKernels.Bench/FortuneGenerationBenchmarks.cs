using BenchmarkDotNet.Attributes;
using TransformerKernels.Fortunes;

namespace TransformerKernels.Bench;

/// <summary>
/// Greedy generation with the trained Llama-style fortune model, the workload bench/pytorch_bench.py times on PyTorch eager
/// (its <c>fortune_llama_tokens_s</c> case: the reference module with its own key/value cache): the prompt
/// <see cref="Prompt"/> prefilled, then <see cref="NewTokens"/> tokens one step each, threads matched.
/// </summary>
public class FortuneGenerationBenchmarks
{
    /// <summary>The prompt both sides continue (after the beginning-of-sentence marker).</summary>
    public const string Prompt = "A man is known by the company he";

    /// <summary>Tokens generated per call (no stop token: both sides do the same number of steps).</summary>
    public const int NewTokens = 128;

    [Params(1, 2)]
    public int Threads { get; set; }

    private FortuneLlama _model = null!;
    private TokenGenerator _generator = null!;
    private int[] _prompt = [];
    private readonly int[] _output = new int[NewTokens];
    private readonly GenerationOptions _greedy = new() { MaxNewTokens = NewTokens };

    [GlobalSetup]
    public void Setup()
    {
        KernelThreads.ThreadCount = Threads;
        _model = FortuneFiles.LoadLlama(maxBatch: 1);
        _generator = new TokenGenerator(_model);
        _prompt = FortuneFiles.LoadTokenizer().Encode(Prompt);
    }

    [GlobalCleanup]
    public void Cleanup() => _model.Dispose();

    /// <summary>Prefill the prompt, then 128 greedy steps with the cache.</summary>
    [Benchmark]
    public int GreedyGeneration() => _generator.Generate(_prompt, _output, _greedy);
}
