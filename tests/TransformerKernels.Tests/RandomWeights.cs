using TransformerKernels.Oracle;
using OracleEncoder = TransformerKernels.Oracle.EncoderLayerWeights;
using OracleDecoder = TransformerKernels.Oracle.DecoderLayerWeights;

namespace TransformerKernels.Tests;

/// <summary>Random block weights scaled like PyTorch's initialization, in the oracle's form and packed for the kernels.</summary>
internal static class RandomWeights
{
    public static AttentionWeights Attention(int d, int seed) => new(
        TestData.Uniform(3 * d * d, seed, 1f / MathF.Sqrt(d)), TestData.Uniform(3 * d, seed + 1, 0.1f),
        TestData.Uniform(d * d, seed + 2, 1f / MathF.Sqrt(d)), TestData.Uniform(d, seed + 3, 0.1f));

    public static NormWeights Norm(int d, int seed) =>
        new(TestData.Uniform(d, seed, 0.2f).Select(v => 1f + v).ToArray(), TestData.Uniform(d, seed + 1, 0.1f));

    public static FfnWeights Ffn(int d, int f, int seed, int up = 0) => new(
        TestData.Uniform((up == 0 ? f : up) * d, seed, 1f / MathF.Sqrt(d)), TestData.Uniform(up == 0 ? f : up, seed + 1, 0.1f),
        TestData.Uniform(d * f, seed + 2, 1f / MathF.Sqrt(f)), TestData.Uniform(d, seed + 3, 0.1f));

    public static OracleEncoder Encoder(ModelShape shape, int seed) => new(
        Attention(shape.DModel, seed), Norm(shape.DModel, seed + 10), Ffn(shape.DModel, shape.FfnDim, seed + 20, shape.FfnUpWidth), Norm(shape.DModel, seed + 30));

    public static OracleDecoder Decoder(ModelShape shape, int seed) => new(
        Attention(shape.DModel, seed), Norm(shape.DModel, seed + 10), Attention(shape.DModel, seed + 20), Norm(shape.DModel, seed + 30),
        Ffn(shape.DModel, shape.FfnDim, seed + 40, shape.FfnUpWidth), Norm(shape.DModel, seed + 50));

    public static TransformerKernels.EncoderLayerWeights Pack(OracleEncoder w, ModelShape shape) => new(
        new SelfAttentionWeights(w.SelfAttention.InProj, w.SelfAttention.InProjBias, w.SelfAttention.OutProj, w.SelfAttention.OutProjBias, shape.DModel),
        Pack(w.Norm1, shape), Pack(w.Ffn, shape), Pack(w.Norm2, shape));

    public static TransformerKernels.DecoderLayerWeights Pack(OracleDecoder w, ModelShape shape) => new(
        new SelfAttentionWeights(w.SelfAttention.InProj, w.SelfAttention.InProjBias, w.SelfAttention.OutProj, w.SelfAttention.OutProjBias, shape.DModel),
        Pack(w.Norm1, shape),
        new CrossAttentionWeights(w.CrossAttention.InProj, w.CrossAttention.InProjBias, w.CrossAttention.OutProj, w.CrossAttention.OutProjBias, shape.DModel),
        Pack(w.Norm2, shape), Pack(w.Ffn, shape), Pack(w.Norm3, shape));

    private static LayerNormWeights Pack(NormWeights n, ModelShape shape) => new(n.Gamma, n.Beta, shape.DModel);

    private static FeedForwardWeights Pack(FfnWeights f, ModelShape shape) => new(f.Linear1, f.Bias1, f.Linear2, f.Bias2, shape.DModel, shape.FfnDim, gated: shape.Activation == Activation.SwiGlu);
}
