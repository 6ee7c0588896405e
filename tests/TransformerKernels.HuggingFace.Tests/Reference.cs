namespace TransformerKernels.HuggingFace.Tests;

/// <summary>The directories under Data/ and their PyTorch references (tools/fixtures/hf_families.py), and how to compare with them.</summary>
internal static class Reference
{
    public static string Data(string name) => Path.Combine(AppContext.BaseDirectory, "Data", name);

    public static SafeTensorsFile Open(string name) => SafeTensorsFile.Open(Data(name + ".reference.safetensors"));

    public static int[] Ints(SafeTensorsFile io, string name) => [.. io.ReadArray(name).Select(v => (int)v)];

    /// <summary>Splits the concatenated sequences of <paramref name="idsName"/> by <paramref name="lengthsName"/>.</summary>
    public static int[][] Sequences(SafeTensorsFile io, string idsName, string lengthsName)
    {
        int[] ids = Ints(io, idsName), lengths = Ints(io, lengthsName);
        var sequences = new int[lengths.Length][];
        for (int k = 0, offset = 0; k < lengths.Length; offset += lengths[k], k++)
        {
            sequences[k] = ids[offset..(offset + lengths[k])];
        }
        return sequences;
    }

    /// <summary>The largest absolute difference; fails at the first NaN or a length mismatch, naming <paramref name="what"/>.</summary>
    public static void AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, double tolerance, string what)
    {
        Assert.True(expected.Length == actual.Length, $"{what}: {actual.Length} values, expected {expected.Length}");
        double error = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.False(float.IsNaN(actual[i]), $"{what}: NaN at {i}");
            error = Math.Max(error, Math.Abs(expected[i] - actual[i]));
        }
        if (Environment.GetEnvironmentVariable("TK_TEST_ERROR_LOG") is { Length: > 0 } log)
        {
            lock (typeof(Reference))
            {
                File.AppendAllText(log, FormattableString.Invariant($"{KernelPaths.Active}\t{error:E3}\t{what}\n"));
            }
        }
        Assert.True(error <= tolerance, $"{what} on {KernelPaths.Active}: max abs error {error:E3} > {tolerance:E1}");
    }

    /// <summary>Logits at every prompt position (each prefix prefilled on its own) against the reference's prompt_logits.</summary>
    public static void PromptLogits(IPromptDecoder model, SafeTensorsFile io, double tolerance)
    {
        int vocab = model.Vocabulary;
        float[] expected = io.ReadArray("prompt_logits");
        int row = 0;
        foreach (int[] prompt in Sequences(io, "prompts", "prompt_lengths"))
        {
            for (int length = 1; length <= prompt.Length; length++, row++)
            {
                AssertClose(expected.AsSpan(row * vocab, vocab), model.Prefill(prompt[..length], [length], 0), tolerance, $"prompt of {prompt.Length}, position {length - 1}");
            }
        }
        Assert.Equal(expected.Length, row * vocab);
    }

    /// <summary>
    /// The prompts prefilled as one batch, then stepped together with the cache: the logits of every step against the
    /// reference (which recomputed the whole sequence each time), and greedy continuations token for token.
    /// </summary>
    public static void CachedGreedySteps(IPromptDecoder model, SafeTensorsFile io, double tolerance)
    {
        int vocab = model.Vocabulary;
        int[][] prompts = Sequences(io, "prompts", "prompt_lengths");
        int[] continuations = Ints(io, "continuations");
        float[] stepLogits = io.ReadArray("step_logits");
        int steps = continuations.Length / prompts.Length;
        float[] logits = model.Prefill([.. prompts.SelectMany(p => p)], [.. prompts.Select(p => p.Length)], 0).ToArray();
        int[] slots = [.. Enumerable.Range(0, prompts.Length)];
        for (int step = 0; step < steps; step++)
        {
            var tokens = new int[prompts.Length];
            var positions = new int[prompts.Length];
            for (int k = 0; k < prompts.Length; k++)
            {
                int row = k * steps + step;
                AssertClose(stepLogits.AsSpan(row * vocab, vocab), logits.AsSpan(k * vocab, vocab), tolerance, $"prompt {k}, step {step}");
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

    /// <summary>A copy of a Data/ directory in a temporary one, with config.json edited by <paramref name="edit"/>; deleted on dispose.</summary>
    public static TemporaryCopy Copy(string name, Action<System.Text.Json.Nodes.JsonObject>? edit = null) => new(Data(name), edit);
}

/// <summary>A temporary copy of a checkpoint directory (see <see cref="Reference.Copy"/>).</summary>
internal sealed class TemporaryCopy : IDisposable
{
    public TemporaryCopy(string source, Action<System.Text.Json.Nodes.JsonObject>? edit)
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("tk-hf").FullName;
        foreach (string file in System.IO.Directory.GetFiles(source))
        {
            File.Copy(file, Path.Combine(Directory, Path.GetFileName(file)));
        }
        if (edit is not null)
        {
            EditConfig(edit);
        }
    }

    public string Directory { get; }

    public string ConfigPath => Path.Combine(Directory, "config.json");

    public void EditConfig(Action<System.Text.Json.Nodes.JsonObject> edit)
    {
        var config = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(ConfigPath))!.AsObject();
        edit(config);
        File.WriteAllText(ConfigPath, config.ToJsonString());
    }

    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);
}
