namespace TransformerKernels.HuggingFace.Tests;

/// <summary>
/// A Llama-family directory (Qwen2 with q/k/v biases in BF16, Mistral in two shards, Llama with rope_scaling llama3 in F16)
/// loaded with the default naming (Auto, from config.json's model_type) by the declaration <typeparamref name="TModel"/>
/// against its PyTorch reference: logits at every prompt position, the logits of every cached greedy step of a batch, and
/// the greedy tokens. Each directory is run through its explicit declaration (Models.cs) and its config.json one
/// (ConfigDeclaredModels.cs).
/// </summary>
/// <param name="fixture">The directory under Data/ and the name of its reference.</param>
public abstract class DecoderParityTests<TModel>(string fixture) where TModel : class, IDecoderModel<TModel>
{
    // The bound. Logits here are of magnitude up to ~5 (Qwen2 ~1); float32 on both sides, our rotary angles
    // tabulated in double, PyTorch's in float32: the measured errors are in the report (about 1e-6).
    private const double Tolerance = 1e-4;

    private static TModel Load(string fixture, int maxBatch) =>
        TModel.Load(Reference.Data(fixture), WeightNaming.Auto, maxBatch, allowUnusedTensors: false, WeightPrecision.Fp32);

    [Fact]
    public void LogitsAtEveryPromptPositionMatchPyTorch()
    {
        using TModel model = Load(fixture, maxBatch: 1);
        using SafeTensorsFile io = Reference.Open(fixture);
        Reference.PromptLogits(model, io, Tolerance);
    }

    [Fact]
    public void CachedGreedyStepsMatchPyTorch()
    {
        using TModel model = Load(fixture, maxBatch: 3);
        using SafeTensorsFile io = Reference.Open(fixture);
        Reference.CachedGreedySteps(model, io, Tolerance);
    }
}

public sealed class Qwen2ParityTests() : DecoderParityTests<TinyQwen2>("qwen2_tiny");

public sealed class Qwen2FromConfigParityTests() : DecoderParityTests<TinyQwen2FromConfig>("qwen2_tiny");

public sealed class MistralParityTests() : DecoderParityTests<TinyMistral>("mistral_tiny");

public sealed class MistralFromConfigParityTests() : DecoderParityTests<TinyMistralFromConfig>("mistral_tiny");

public sealed class Llama3ScaledParityTests() : DecoderParityTests<TinyLlama3>("llama3_scaled_tiny");

public sealed class Llama3ScaledFromConfigParityTests() : DecoderParityTests<TinyLlama3FromConfig>("llama3_scaled_tiny");

/// <summary>What the Qwen2 declaration generates for its q/k/v biases.</summary>
public sealed class DecoderFamilyTests
{
    [Fact]
    public void QkvBiasGivesOnlyTheQueryKeyValueGemmABias()
    {
        Assert.True(TinyQwen2.Shape.QkvBias);
        Assert.False(TinyQwen2.Shape.Bias);
        // The fused Q·K·V GEMM of [32 → 32 + 2·16] carries the bias; every other GEMM of the model is bias-free.
        string[] gemms = [.. typeof(TinyQwen2).GetNestedType("Kernels")!.GetNestedTypes().Select(t => t.Name).Where(n => n.StartsWith("Gemm", StringComparison.Ordinal))];
        Assert.Equal(["Gemm32x64Bias"], gemms.Where(n => n.EndsWith("Bias", StringComparison.Ordinal)));
        Assert.True(gemms.Length > 1);
    }
}
