using TransformerKernels.Fortunes;

namespace TransformerKernels.Samples.Tests;

/// <summary>
/// The library's continuous batch on the fortune model, in process: generations started at different steps (each prefilled
/// into a free slot while others decode) give what each gives alone through <see cref="TokenGenerator"/>.
/// </summary>
public sealed class ContinuousBatchTests
{
    [Fact]
    public void StaggeredStartsGiveEachGenerationsSequentialTokens()
    {
        using FortuneLlama model = FortuneFiles.LoadLlama(maxBatch: 1);
        FortuneTokenizer tokenizer = FortuneFiles.LoadTokenizer();
        using var generator = new TokenGenerator(model);
        var options = new GenerationOptions { MaxNewTokens = 40, StopTokens = [tokenizer.EndOfSentence] };
        int[] prompt = tokenizer.Encode("A man is known by");
        var output = new int[40];
        int[] expected = output[..generator.Generate(prompt, output, options)];
        using var batch = new ContinuousBatch(model, 4);
        var started = new List<int>();
        for (int step = 0; step < 200 && (started.Count < 4 || batch.ActiveSlots > 0); step++)
        {
            // Two at once (prefilled one after the other before the same step), then two more a few steps later.
            while (started.Count < 4 && step % 5 == 0 && started.Count < 2 * (step / 5 + 1))
            {
                started.Add(batch.Start(prompt, options));
            }
            batch.Step();
            foreach (int slot in started.Where(s => s >= 0 && batch.State(s) is SlotState.Stopped or SlotState.ReachedMaxTokens).ToArray())
            {
                Assert.True(expected.SequenceEqual(batch.Generated(slot).ToArray()),
                    $"slot {slot}: [{string.Join(", ", batch.Generated(slot).ToArray())}]\nalone: [{string.Join(", ", expected)}]");
                batch.Free(slot);
                started[started.IndexOf(slot)] = -1;
            }
        }
    }
}
