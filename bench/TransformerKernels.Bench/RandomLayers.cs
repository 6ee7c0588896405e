namespace TransformerKernels.Bench;

/// <summary>Random weights of PyTorch's initialization scale for benchmark layers.</summary>
internal static class RandomLayers
{
    public static EncoderLayerWeights Encoder(ModelShape shape, int seed)
    {
        var random = new Random(seed);
        int d = shape.DModel, f = shape.FfnDim;
        float[] U(int n, float scale) => Enumerable.Range(0, n).Select(_ => (float)((random.NextDouble() * 2 - 1) * scale)).ToArray();
        float[] Ones(int n) => Enumerable.Repeat(1f, n).ToArray();
        return new EncoderLayerWeights(
            new SelfAttentionWeights(U(3 * d * d, 1 / MathF.Sqrt(d)), U(3 * d, 0.1f), U(d * d, 1 / MathF.Sqrt(d)), U(d, 0.1f), d),
            new LayerNormWeights(Ones(d), new float[d], d),
            new FeedForwardWeights(U(f * d, 1 / MathF.Sqrt(d)), U(f, 0.1f), U(d * f, 1 / MathF.Sqrt(f)), U(d, 0.1f), d, f),
            new LayerNormWeights(Ones(d), new float[d], d));
    }
}
