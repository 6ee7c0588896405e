using TransformerKernels;
using TransformerKernels.Fortunes;

namespace Generate;

/// <summary>
/// <c>generate --self-test</c>: the tokenizer and both models against what python-sentencepiece and PyTorch produced from
/// the same files (model/reference.json), then the batch and the streaming paths against one-at-a-time greedy decoding.
/// </summary>
internal static class SelfTest
{
    public static int Run(string directory, FortuneTokenizer tokenizer, WeightPrecision precision)
    {
        var reference = FortuneReference.Load(directory);
        int failures = 0;
        foreach (TokenizedText text in reference.Texts)
        {
            int[] ids = tokenizer.Encode(text.Text, beginningOfSentence: false);
            failures += Report(ids.SequenceEqual(text.Ids), $"tokenizer: {Quote(text.Text)} → {ids.Length} ids", $"python-sentencepiece gives [{string.Join(", ", text.Ids)}], we give [{string.Join(", ", ids)}]");
        }
        using (FortuneLlama llama = FortuneFiles.LoadLlama(directory, precision, maxBatch: reference.Continuations.Count))
        {
            failures += Model("llama", llama, tokenizer, reference, c => (c.Llama, c.LlamaText), precision);
        }
        using (FortuneGpt2 gpt2 = FortuneFiles.LoadGpt2(directory, precision, maxBatch: reference.Continuations.Count))
        {
            failures += Model("gpt2", gpt2, tokenizer, reference, c => (c.Gpt2, c.Gpt2Text), precision);
        }
        string where = $"{KernelPaths.Active}, weights {Precisions.Describe(precision)}";
        Console.WriteLine(failures == 0 ? $"self-test passed on {where}" : $"self-test: {failures} mismatches on {where}");
        return failures == 0 ? 0 : TransformerKernels.Samples.CommandErrors.Failure;
    }

    private static int Model(string name, IPromptDecoder model, FortuneTokenizer tokenizer, FortuneReference reference,
                             Func<GreedyContinuation, (int[] Ids, string Text)> expected, WeightPrecision precision)
    {
        var generator = new TokenGenerator(model);
        var greedy = new GenerationOptions { MaxNewTokens = 40, StopTokens = [tokenizer.EndOfSentence] };
        int failures = 0;
        int[][] prompts = [.. reference.Continuations.Select(c => tokenizer.Encode(c.Prompt))];
        var single = new List<int[]>();
        foreach ((GreedyContinuation c, int[] ids) in reference.Continuations.Zip(prompts))
        {
            failures += Report(ids.SequenceEqual(c.PromptIds), $"{name}: prompt {Quote(c.Prompt)} tokenized as PyTorch's fixture", "");
            var output = new int[greedy.MaxNewTokens];
            int[] continuation = output[..generator.Generate(ids, output, greedy)];
            single.Add(continuation);
            (int[] expectedIds, string expectedText) = expected(c);
            string text = tokenizer.Decode([.. ids, .. continuation]);
            if (precision == WeightPrecision.Fp32)
            {
                failures += Report(continuation.SequenceEqual(expectedIds) && text == expectedText, $"{name}: {Quote(text)}",
                                   $"PyTorch continues with {Quote(expectedText)}");
            }
            else
            {
                // Rounded weights may pick another token once two are nearly tied; report how far the continuation follows PyTorch's.
                int agree = continuation.Zip(expectedIds).TakeWhile(pair => pair.First == pair.Second).Count();
                Console.WriteLine($"info {name}: {Quote(text)} (first {agree} of {expectedIds.Length} tokens as PyTorch's FP32)");
            }
        }
        // All prompts as one batch, and the streaming API: both must give what one-at-a-time greedy decoding gave.
        int[][] batch = generator.Generate(prompts, greedy);
        int differ = batch.Where((ids, k) => !ids.SequenceEqual(single[k])).Count();
        failures += Report(differ == 0, $"{name}: {batch.Length} prompts of different lengths as one batch", $"{differ} continuations differ");
        int[] streamed = generator.GenerateAsync(prompts[^1], greedy).ToBlockingEnumerable().ToArray();
        failures += Report(streamed.SequenceEqual(single[^1]), $"{name}: streamed as generated", "the stream differs");
        return failures;
    }

    private static int Report(bool ok, string what, string problem)
    {
        Console.WriteLine(ok ? $"ok   {what}" : $"FAIL {what}: {problem}");
        return ok ? 0 : 1;
    }

    private static string Quote(string text) => "\"" + text.Replace("\n", "\\n").Replace("\t", "\\t") + "\"";
}
