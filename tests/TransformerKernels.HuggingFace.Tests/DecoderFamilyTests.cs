namespace TransformerKernels.HuggingFace.Tests;

/// <summary>
/// The Llama-family directories (Qwen2 with q/k/v biases in BF16, Mistral in two shards, Llama with rope_scaling llama3 in
/// F16) loaded with the default naming (Auto, from config.json's model_type) against their PyTorch references: logits at
/// every prompt position, the logits of every cached greedy step of a batch, and the greedy tokens.
/// </summary>
public sealed class DecoderFamilyTests
{
    // The bound. Logits here are of magnitude up to ~5 (Qwen2 ~1); float32 on both sides, our rotary angles
    // tabulated in double, PyTorch's in float32: the measured errors are in the report (about 1e-6).
    private const double Tolerance = 1e-4;

    [Fact]
    public void Qwen2LogitsAtEveryPromptPositionMatchPyTorch()
    {
        using var model = TinyQwen2.Load(Reference.Data("qwen2_tiny"));
        using SafeTensorsFile io = Reference.Open("qwen2_tiny");
        Reference.PromptLogits(model, io, Tolerance);
    }

    [Fact]
    public void Qwen2CachedGreedyStepsMatchPyTorch()
    {
        using var model = TinyQwen2.Load(Reference.Data("qwen2_tiny"), maxBatch: 3);
        using SafeTensorsFile io = Reference.Open("qwen2_tiny");
        Reference.CachedGreedySteps(model, io, Tolerance);
    }

    [Fact]
    public void MistralLogitsAtEveryPromptPositionMatchPyTorch()
    {
        using var model = TinyMistral.Load(Reference.Data("mistral_tiny"));
        using SafeTensorsFile io = Reference.Open("mistral_tiny");
        Reference.PromptLogits(model, io, Tolerance);
    }

    [Fact]
    public void MistralCachedGreedyStepsMatchPyTorch()
    {
        using var model = TinyMistral.Load(Reference.Data("mistral_tiny"), maxBatch: 3);
        using SafeTensorsFile io = Reference.Open("mistral_tiny");
        Reference.CachedGreedySteps(model, io, Tolerance);
    }

    [Fact]
    public void Llama3ScaledLogitsAtEveryPromptPositionMatchPyTorch()
    {
        using var model = TinyLlama3.Load(Reference.Data("llama3_scaled_tiny"));
        using SafeTensorsFile io = Reference.Open("llama3_scaled_tiny");
        Reference.PromptLogits(model, io, Tolerance);
    }

    [Fact]
    public void Llama3ScaledCachedGreedyStepsMatchPyTorch()
    {
        using var model = TinyLlama3.Load(Reference.Data("llama3_scaled_tiny"), maxBatch: 3);
        using SafeTensorsFile io = Reference.Open("llama3_scaled_tiny");
        Reference.CachedGreedySteps(model, io, Tolerance);
    }

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
