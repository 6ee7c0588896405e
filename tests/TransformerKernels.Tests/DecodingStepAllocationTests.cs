using TransformerKernels.Fortunes;

namespace TransformerKernels.Tests;

/// <summary>
/// Issue 25's target "0 B allocated per decoding step per session once warm", measured on the trained fortune Llama: a
/// session's single-row step, a batched step of four slots, and a continuous batch's step over four running generations
/// (greedy and seeded sampling side by side), each counted on the calling thread and the kernel pool's workers, on one
/// kernel thread and on two (the pool's workers then run part of every step).
/// </summary>
public sealed class DecodingStepAllocationTests : IDisposable
{
    private const int Slots = 4;
    private readonly FortuneLlama _model = FortuneFiles.LoadLlama(maxBatch: 1);
    private readonly int[][] _prompts;

    public DecodingStepAllocationTests()
    {
        FortuneTokenizer tokenizer = FortuneFiles.LoadTokenizer();
        _prompts = [.. new[] { "Life", "A man is known by the company he", "The", "Never" }.Select(text => tokenizer.Encode(text))];
    }

    public void Dispose() => _model.Dispose();

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void ASessionsSingleRowStepAllocatesNothing(int threads)
    {
        using KernelThreads.ThreadCountScope scope = KernelThreads.UseThreadCount(threads);
        using FortuneLlama session = _model.CreateSession(maxBatch: 1);
        int[] prompt = _prompts[1];
        session.Prefill(prompt, [prompt.Length], 0);
        int[] slot = [0], token = [prompt[^1]], position = [prompt.Length];
        // The same step again and again: it rewrites the cache row at that position, so every call does a step's full work.
        Assert.Equal(0, AllocationProbe.SteadyStateBytes(() => session.Step(slot, token, position)));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void ABatchedStepOfFourSlotsAllocatesNothing(int threads)
    {
        using KernelThreads.ThreadCountScope scope = KernelThreads.UseThreadCount(threads);
        using FortuneLlama session = _model.CreateSession(maxBatch: Slots);
        session.Prefill([.. _prompts.SelectMany(p => p)], [.. _prompts.Select(p => p.Length)], 0);
        int[] slots = [.. Enumerable.Range(0, Slots)], tokens = [.. _prompts.Select(p => p[^1])], positions = [.. _prompts.Select(p => p.Length)];
        Assert.Equal(0, AllocationProbe.SteadyStateBytes(() => session.Step(slots, tokens, positions)));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void AContinuousBatchStepOfFourGenerationsAllocatesNothing(int threads)
    {
        using KernelThreads.ThreadCountScope scope = KernelThreads.UseThreadCount(threads);
        using var batch = new ContinuousBatch(_model, Slots);
        GenerationOptions greedy = new() { MaxNewTokens = 24 };
        GenerationOptions sampled = new() { MaxNewTokens = 24, Temperature = 0.8f, TopK = 40, TopP = 0.9f, RepetitionPenalty = 1.2f, Seed = 7 };
        // Only Step is counted; a finished generation is replaced (prefill and all) outside the count, so every counted
        // step advances four running slots.
        void RestartFinished()
        {
            for (int slot = 0; slot < Slots; slot++)
            {
                if (batch.State(slot) != SlotState.Running)
                {
                    batch.Free(slot);
                    batch.Start(_prompts[slot], slot % 2 == 0 ? greedy : sampled);
                }
            }
        }
        int rows = 0;
        Assert.Equal(0, AllocationProbe.SteadyStateBytes(() => rows = batch.Step(), RestartFinished));
        Assert.Equal(Slots, rows);
    }
}
