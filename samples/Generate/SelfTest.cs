using TransformerKernels;
using TransformerKernels.Fortunes;

namespace Generate;

/// <summary>
/// <c>generate --self-test</c>: the tokenizer and both models against what python-sentencepiece and PyTorch produced from
/// the same files (model/reference.json; the logits after a prefill and a few cached steps, model/self-test-logits.safetensors),
/// then the batch and the streaming paths against one-at-a-time greedy decoding.
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
        ReferenceLogits llamaLogits = ReferenceLogits.Load(directory, "llama"), gpt2Logits = ReferenceLogits.Load(directory, "gpt2");
        int batch = Math.Max(reference.Continuations.Count, llamaLogits.Prompts.Length);
        using (FortuneLlama llama = FortuneFiles.LoadLlama(directory, precision, maxBatch: batch))
        {
            failures += Logits("llama", llama, llamaLogits, precision);
            failures += Model("llama", llama, tokenizer, reference, c => (c.Llama, c.LlamaText), precision);
        }
        using (FortuneGpt2 gpt2 = FortuneFiles.LoadGpt2(directory, precision, maxBatch: batch))
        {
            failures += Logits("gpt2", gpt2, gpt2Logits, precision);
            failures += Model("gpt2", gpt2, tokenizer, reference, c => (c.Gpt2, c.Gpt2Text), precision);
        }
        string where = $"{KernelPaths.Active}, weights {Precisions.Describe(precision)}";
        Console.WriteLine(failures == 0 ? $"self-test passed on {where}" : $"self-test: {failures} mismatches on {where}");
        return failures == 0 ? 0 : TransformerKernels.Samples.CommandErrors.Failure;
    }

    private static int Model(string name, IPromptDecoder model, FortuneTokenizer tokenizer, FortuneReference reference,
                             Func<GreedyContinuation, (int[] Ids, string Text)> expected, WeightPrecision precision)
    {
        using var generator = new TokenGenerator(model);
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

    /// <summary>
    /// Largest difference to PyTorch's logits that each precision may show (the logits are of order 10). FP32: the unit
    /// tests' bound (the largest difference seen on any kernel path is 1.05e-5; 7.6e-6 here on Avx512); a rotary θ 5% off
    /// gives 0.03, so FP32's self-test catches it. BF16 and int8 round the weights (int8 the activations too): measured on
    /// Zen 4, Avx512 and Avx512BW, 0.016 (BF16) and 0.124 (int8, 7-bit weights) for the Llama model, so their bounds (0.05,
    /// 0.3) catch a wrong position, cache slot or tile — errors of whole units — but not a few percent of θ.
    /// </summary>
    private static double Tolerance(WeightPrecision precision) => precision switch
    {
        WeightPrecision.Fp32 => 5e-5,
        WeightPrecision.Bf16 => 0.05,
        _ => 0.3,
    };

    /// <summary>The logits after prefilling the reference prompts as one batch, then after each cached greedy step, against PyTorch's.</summary>
    private static int Logits(string name, IPromptDecoder model, ReferenceLogits reference, WeightPrecision precision)
    {
        int vocabulary = model.Vocabulary, prompts = reference.Prompts.Length;
        float[] logits = model.Prefill([.. reference.Prompts.SelectMany(p => p)], [.. reference.Prompts.Select(p => p.Length)], 0).ToArray();
        int[] slots = [.. Enumerable.Range(0, prompts)], tokens = new int[prompts], positions = new int[prompts];
        double worst = 0;
        for (int step = 0; step < reference.Steps; step++)
        {
            for (int k = 0; k < prompts; k++)
            {
                ReadOnlySpan<float> expected = reference.Logits.AsSpan((k * reference.Steps + step) * vocabulary, vocabulary);
                for (int v = 0; v < vocabulary; v++)
                {
                    // NaN never compares below the bound: it counts as the largest difference.
                    double difference = Math.Abs(logits[k * vocabulary + v] - (double)expected[v]);
                    worst = double.IsNaN(difference) ? double.PositiveInfinity : Math.Max(worst, difference);
                }
                tokens[k] = reference.Continuations[k][step];
                positions[k] = reference.Prompts[k].Length + step;
            }
            if (step < reference.Steps - 1)
            {
                logits = model.Step(slots, tokens, positions).ToArray();
            }
        }
        double tolerance = Tolerance(precision);
        return Report(worst <= tolerance, $"{name}: logits after {prompts} prompts and {reference.Steps - 1} cached steps within {tolerance:G2} of PyTorch's (largest difference {worst:G3})",
                      "beyond the bound");
    }

    private static int Report(bool ok, string what, string problem)
    {
        Console.WriteLine(ok ? $"ok   {what}" : $"FAIL {what}: {problem}");
        return ok ? 0 : 1;
    }

    private static string Quote(string text) => "\"" + text.Replace("\n", "\\n").Replace("\t", "\\t") + "\"";
}
