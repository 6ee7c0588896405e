namespace TransformerKernels.Tests;

/// <summary>
/// A GPT-2-style model loaded from a Hugging Face GPT-2 checkpoint (Conv1D weights stored [in, out], transformer.* names,
/// tied output projection) against tools/fixtures/gpt2_reference.py, a plain PyTorch module written from the Hugging Face
/// definitions.
/// </summary>
public sealed class Gpt2ParityTests : IDisposable
{
    // Measured at most 1.5e-6 on the Avx512, Avx2 and scalar paths; 1e-5 keeps a margin of 6×.
    private const double Tolerance = 1e-5;
    private static string Directory => PyTorchParityTests.Fixture("gpt2_tiny_hf");

    private readonly FixtureGpt2 _model = FixtureGpt2.Load(Path.Combine(Directory, "model.safetensors"), WeightNaming.Gpt2, maxBatch: 3);
    private readonly SafeTensorsFile _io = SafeTensorsFile.Open(PyTorchParityTests.Fixture("gpt2_tiny.io.safetensors"));

    public void Dispose()
    {
        _io.Dispose();
        _model.Dispose();
    }

    [Fact]
    public void LogitsAtEveryPromptPositionMatchPyTorch() => DecoderParity.PromptLogits(_model, _io, Tolerance);

    [Fact]
    public void CachedGreedyStepsOfABatchMatchPyTorch() => DecoderParity.CachedGreedySteps(_model, _io, Tolerance);

    [Theory]
    [InlineData("n_head", "6")]
    [InlineData("n_embd", "64")]
    [InlineData("n_positions", "1024")]
    [InlineData("n_inner", "100")]
    [InlineData("activation_function", "\"relu\"")]
    public void AConfigThatDisagreesIsNamed(string field, string value)
    {
        var e = DecoderParity.ConfigMismatch(Directory, field, value, path => FixtureGpt2.Load(path, WeightNaming.Gpt2).Dispose());
        Assert.Equal(field, e.Field);
    }

    [Fact]
    public void AnUntiedOutputProjectionIsRefused()
    {
        string directory = System.IO.Directory.CreateTempSubdirectory("tk-gpt2").FullName;
        try
        {
            using SafeTensorsFile file = SafeTensorsFile.Open(Path.Combine(Directory, "model.safetensors"));
            var tensors = file.Tensors.Values.Select(t => (t.Name, t.Shape, file.ReadArray(t.Name))).ToList();
            float[] head = file.ReadArray("transformer.wte.weight");
            head[7] += 1f;
            string path = Path.Combine(directory, "model.safetensors");
            SafeTensorsWriter.Write(path, [.. tensors, ("lm_head.weight", [FixtureGpt2.DecoderVocab, FixtureGpt2.DModel], head)]);
            Assert.Equal("lm_head.weight", Assert.Throws<ModelWeightsException>(() => FixtureGpt2.Load(path, WeightNaming.Gpt2)).TensorName);
        }
        finally
        {
            System.IO.Directory.Delete(directory, recursive: true);
        }
    }
}
