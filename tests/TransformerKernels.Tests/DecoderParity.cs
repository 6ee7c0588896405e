namespace TransformerKernels.Tests;

/// <summary>
/// Checks a decoder-only model against a PyTorch fixture written by tools/fixtures/*_reference.py: logits at every prompt
/// position (prefilling each prefix), and the logits of every greedy step of the prompts as one batch with the cache,
/// plus the continuations <see cref="TokenGenerator"/> produces.
/// </summary>
internal static class DecoderParity
{
    private static int[] Ints(SafeTensorsFile io, string name) => [.. io.ReadArray(name).Select(v => (int)v)];

    public static int[][] Prompts(SafeTensorsFile io)
    {
        int[] ids = Ints(io, "prompts"), lengths = Ints(io, "prompt_lengths");
        var prompts = new int[lengths.Length][];
        for (int k = 0, offset = 0; k < lengths.Length; offset += lengths[k], k++)
        {
            prompts[k] = ids[offset..(offset + lengths[k])];
        }
        return prompts;
    }

    public static void PromptLogits(IPromptDecoder model, SafeTensorsFile io, double tolerance)
    {
        int vocab = model.Vocabulary;
        float[] expected = io.ReadArray("prompt_logits");
        int row = 0;
        foreach (int[] prompt in Prompts(io))
        {
            for (int length = 1; length <= prompt.Length; length++, row++)
            {
                float[] logits = model.Prefill(prompt[..length], [length], 0).ToArray();
                TestData.AssertClose(expected[(row * vocab)..((row + 1) * vocab)], logits, tolerance, $"prompt of {prompt.Length}, position {length - 1}");
            }
        }
    }

    public static void CachedGreedySteps(IPromptDecoder model, SafeTensorsFile io, double tolerance)
    {
        int vocab = model.Vocabulary;
        int[][] prompts = Prompts(io);
        int[] continuations = Ints(io, "continuations");
        float[] stepLogits = io.ReadArray("step_logits");
        int steps = continuations.Length / prompts.Length;
        // The whole batch prefilled in one pass, then stepped together with the cache.
        float[] logits = model.Prefill([.. prompts.SelectMany(p => p)], [.. prompts.Select(p => p.Length)], 0).ToArray();
        int[] slots = [.. Enumerable.Range(0, prompts.Length)];
        for (int step = 0; step < steps; step++)
        {
            var tokens = new int[prompts.Length];
            var positions = new int[prompts.Length];
            for (int k = 0; k < prompts.Length; k++)
            {
                int row = k * steps + step;
                TestData.AssertClose(stepLogits[(row * vocab)..((row + 1) * vocab)], logits.AsSpan(k * vocab, vocab), tolerance, $"prompt {k}, step {step}");
                tokens[k] = continuations[row];
                positions[k] = prompts[k].Length + step;
            }
            if (step < steps - 1)
            {
                logits = model.Step(slots, tokens, positions).ToArray();
            }
        }
        int[][] generated = new TokenGenerator(model).Generate(prompts, new GenerationOptions { MaxNewTokens = steps });
        for (int k = 0; k < prompts.Length; k++)
        {
            Assert.Equal(continuations[(k * steps)..((k + 1) * steps)], generated[k]);
        }
    }

    /// <summary>
    /// Copies a Hugging Face checkpoint directory with one config.json field set to <paramref name="json"/>, loads it with
    /// <paramref name="load"/> and returns the configuration error it must throw.
    /// </summary>
    public static ModelConfigurationException ConfigMismatch(string checkpointDirectory, string field, string json, Action<string> load)
    {
        string directory = Directory.CreateTempSubdirectory("tk-config").FullName;
        try
        {
            File.Copy(Path.Combine(checkpointDirectory, "model.safetensors"), Path.Combine(directory, "model.safetensors"));
            var config = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(checkpointDirectory, "config.json")))!.AsObject();
            config[field] = System.Text.Json.Nodes.JsonNode.Parse(json);
            File.WriteAllText(Path.Combine(directory, "config.json"), config.ToJsonString());
            return Assert.Throws<ModelConfigurationException>(() => load(Path.Combine(directory, "model.safetensors")));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
