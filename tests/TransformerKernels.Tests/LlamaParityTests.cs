namespace TransformerKernels.Tests;

/// <summary>
/// A Llama-style decoder-only model (RMSNorm, rotary positions, SwiGLU, grouped-query attention) against tools/fixtures/llama_reference.py, a plain
/// PyTorch module written from the Hugging Face definitions: logits at every prompt position, the logits of every greedy
/// step, and the greedy continuations of a batch of prompts of different lengths.
/// </summary>
public sealed class LlamaParityTests : IDisposable
{
    // Logits of magnitude up to ~6 against PyTorch's float32 (whose rotary angles are float32 too; ours are tabulated in
    // double): measured at most 1.9e-6 on the Avx512, Avx2 and scalar paths; 1e-5 keeps a margin of 5× (the bound: 1e-4).
    private const double Tolerance = 1e-5;
    private const int Vocab = FixtureLlama.DecoderVocab;

    private readonly FixtureLlama _model = FixtureLlama.Load(PyTorchParityTests.Fixture("llama_tiny.safetensors"), maxBatch: 3);
    private readonly SafeTensorsFile _io = SafeTensorsFile.Open(PyTorchParityTests.Fixture("llama_tiny.io.safetensors"));

    public void Dispose()
    {
        _io.Dispose();
        _model.Dispose();
    }

    private int[][] Prompts() => DecoderParity.Prompts(_io);

    [Fact]
    public void LogitsAtEveryPromptPositionMatchPyTorch() => DecoderParity.PromptLogits(_model, _io, Tolerance);

    [Fact]
    public void CachedGreedyStepsOfABatchMatchPyTorch() => DecoderParity.CachedGreedySteps(_model, _io, Tolerance);

    private static string HuggingFaceDirectory => PyTorchParityTests.Fixture("llama_tiny_hf");

    [Fact]
    public void HuggingFaceLlamaCheckpointGivesTheSameModel()
    {
        using var hf = FixtureLlama.Load(Path.Combine(HuggingFaceDirectory, "model.safetensors"), WeightNaming.Llama, maxBatch: 3);
        int[][] prompts = Prompts();
        int[] ids = [.. prompts.SelectMany(p => p)], lengths = [.. prompts.Select(p => p.Length)];
        float[] expected = _model.Prefill(ids, lengths).ToArray();
        Assert.Equal(expected, hf.Prefill(ids, lengths).ToArray()); // the same weights, packed the same way
    }

    [Fact]
    public void WithoutBiasTheCheckpointGivesTheSameLogits()
    {
        // The checkpoint has no biases: the model that adds zeros and the one that adds nothing agree exactly.
        using var withoutBias = FixtureLlamaWithoutBias.Load(Path.Combine(HuggingFaceDirectory, "model.safetensors"), WeightNaming.Llama, maxBatch: 3);
        Assert.False(FixtureLlamaWithoutBias.Shape.Bias);
        int[][] prompts = Prompts();
        int[] ids = [.. prompts.SelectMany(p => p)], lengths = [.. prompts.Select(p => p.Length)];
        Assert.Equal(_model.Prefill(ids, lengths).ToArray(), withoutBias.Prefill(ids, lengths).ToArray());
    }

    [Fact]
    public void WithoutBiasABiasTensorHasNoPlace()
    {
        // llama_tiny.safetensors (our PyTorch names) stores the biases the Bias = true loader expects, as zeros.
        var e = Assert.Throws<ModelWeightsException>(() => FixtureLlamaWithoutBias.Load(PyTorchParityTests.Fixture("llama_tiny.safetensors")).Dispose());
        Assert.Contains("bias", e.TensorName);
    }

    [Fact]
    public void TiedEmbeddingsServeAsTheOutputProjection()
    {
        string directory = Directory.CreateTempSubdirectory("tk-llama").FullName;
        try
        {
            using SafeTensorsFile file = SafeTensorsFile.Open(Path.Combine(HuggingFaceDirectory, "model.safetensors"));
            var tensors = file.Tensors.Values.Where(t => t.Name != "lm_head.weight").Select(t => (t.Name, t.Shape, file.ReadArray(t.Name))).ToList();
            string tied = Path.Combine(directory, "tied.safetensors"), explicitHead = Path.Combine(directory, "explicit.safetensors");
            SafeTensorsWriter.Write(tied, tensors);
            SafeTensorsWriter.Write(explicitHead, [.. tensors, ("lm_head.weight", [Vocab, FixtureLlama.DModel], file.ReadArray("model.embed_tokens.weight"))]);
            using var a = FixtureLlama.Load(tied, WeightNaming.Llama);
            using var b = FixtureLlama.Load(explicitHead, WeightNaming.Llama);
            Assert.Equal(b.Prefill([3, 14, 15], [3]).ToArray(), a.Prefill([3, 14, 15], [3]).ToArray());
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Theory]
    [InlineData("num_key_value_heads", "4")]
    [InlineData("hidden_size", "128")]
    [InlineData("intermediate_size", "97")]
    [InlineData("vocab_size", "62")]
    [InlineData("num_hidden_layers", "3")]
    [InlineData("rope_theta", "500000.0")]
    [InlineData("rms_norm_eps", "1e-05")]
    [InlineData("hidden_act", "\"gelu\"")]
    [InlineData("max_position_embeddings", "16")]
    public void AConfigThatDisagreesIsNamed(string field, string value)
    {
        var e = DecoderParity.ConfigMismatch(HuggingFaceDirectory, field, value, path => FixtureLlama.Load(path, WeightNaming.Llama).Dispose());
        Assert.Equal(field, e.Field);
        Assert.Contains(field, e.Message);
    }

    [Fact]
    public void LlamaNamesNeedALlamaDeclaration()
    {
        var e = Assert.Throws<ArgumentException>(() => FixtureLanguageModelLoad());
        Assert.Contains("Norm = RmsNorm", e.Message);

        static void FixtureLanguageModelLoad() => FixtureDecoderOnlyPreGelu.Load(Path.Combine(HuggingFaceDirectory, "model.safetensors"), WeightNaming.Llama).Dispose();
    }
}
