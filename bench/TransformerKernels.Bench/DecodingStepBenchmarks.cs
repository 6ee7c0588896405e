using BenchmarkDotNet.Attributes;
using TransformerKernels.Fortunes;

namespace TransformerKernels.Bench;

/// <summary>
/// One decoding step of the trained fortune Llama, warm: a session's single-row step, and a continuous batch's step over
/// <see cref="Slots"/> running generations (greedy and seeded sampling side by side, as the chat server batches them) —
/// time and managed bytes per step (issue 25's "0 B allocated per decoding step per session once warm"; the exact zero is
/// asserted by tests/TransformerKernels.Tests/DecodingStepAllocationTests.cs, which does not count BenchmarkDotNet's own).
/// </summary>
[MemoryDiagnoser]
public class DecodingStepBenchmarks
{
    /// <summary>Generations sharing each continuous-batch step.</summary>
    public const int Slots = 4;

    [Params(1, 2)]
    public int Threads { get; set; }

    private FortuneLlama _model = null!;
    private FortuneLlama _session = null!;
    private ContinuousBatch _batch = null!;
    private int[][] _prompts = [];
    private readonly int[] _slot = [0], _token = new int[1], _position = new int[1];
    private readonly GenerationOptions _greedy = new() { MaxNewTokens = 64 };
    private readonly GenerationOptions _sampled = new() { MaxNewTokens = 64, Temperature = 0.8f, TopK = 40, TopP = 0.9f, RepetitionPenalty = 1.2f, Seed = 7 };

    [GlobalSetup]
    public void Setup()
    {
        KernelThreads.ThreadCount = Threads;
        _model = FortuneFiles.LoadLlama(maxBatch: 1);
        FortuneTokenizer tokenizer = FortuneFiles.LoadTokenizer();
        _prompts = [.. new[] { "Life", FortuneGenerationBenchmarks.Prompt, "The", "Never" }.Select(text => tokenizer.Encode(text))];
        _session = _model.CreateSession(maxBatch: 1);
        int[] prompt = _prompts[1];
        _session.Prefill(prompt, [prompt.Length], 0);
        _token[0] = prompt[^1];
        _position[0] = prompt.Length;
        _batch = new ContinuousBatch(_model, Slots);
    }

    /// <summary>Every generation restarted before each iteration, so that each of its steps advances all slots (64 tokens outlast an iteration).</summary>
    [IterationSetup(Target = nameof(ContinuousBatchStep))]
    public void RestartGenerations()
    {
        for (int slot = 0; slot < Slots; slot++)
        {
            _batch.Free(slot);
            _batch.Start(_prompts[slot], slot % 2 == 0 ? _greedy : _sampled);
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _batch.Dispose();
        _session.Dispose();
        _model.Dispose();
    }

    /// <summary>The same step again (it rewrites the cache row at that position): a full step's work each time.</summary>
    [Benchmark]
    public float SessionStep() => _session.Step(_slot, _token, _position)[0];

    /// <summary>One batched step of four generations, each then picking its next token.</summary>
    [Benchmark]
    public int ContinuousBatchStep() => _batch.Step();
}
