namespace TransformerKernels.Tests;

/// <summary>
/// The declared models against PyTorch nn.TransformerEncoder / nn.Transformer outputs committed by
/// tools/fixtures/make_fixtures.py. Tolerance 5e-6 max abs error on LayerNorm-scaled outputs (order 1): the largest error
/// measured on the three kernel paths is 1.4e-6 (the post-norm decoder), a margin of 3.6×. A LayerNorm ε of 1e-5 where
/// the fixture declares 1e-6 fails here. Padded positions are compared only
/// where PyTorch defines them: its nested-tensor encoder path writes zeros there.
/// </summary>
public class PyTorchParityTests
{
    private const double Tolerance = 5e-6;

    internal static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", name);

    internal static float[] Tensor(string file, string name)
    {
        using SafeTensorsFile io = SafeTensorsFile.Open(Fixture(file));
        return io.ReadArray(name);
    }

    private static void AssertRealTokens(float[] expected, float[] actual, int batch, int length, int d, int[] lengths, string variant)
    {
        for (int b = 0; b < batch; b++)
        {
            int count = lengths[b] * d, start = b * length * d;
            TestData.AssertClose(expected[start..(start + count)], actual.AsSpan(start, count), Tolerance, $"{variant}, sequence {b}");
        }
    }

    [Fact]
    public void PostNormReluEncoderWithPaddingMatchesPyTorch()
    {
        using var model = FixtureEncoderPostRelu.Load(Fixture("encoder_post_relu.safetensors"), maxBatch: 2);
        float[] src = Tensor("encoder_post_relu.io.safetensors", "src");
        int[] lengths = Tensor("encoder_post_relu.io.safetensors", "src_lengths").Select(v => (int)v).ToArray();
        var memory = new float[src.Length];
        model.EncodeEmbeddings(src, 2, 7, lengths, memory);
        AssertRealTokens(Tensor("encoder_post_relu.io.safetensors", "expected"), memory, 2, 7, 32, lengths, "post-norm ReLU encoder");
    }

    [Fact]
    public void PreNormGeluEncoderWithHeadDim12MatchesPyTorch()
    {
        using var model = FixtureEncoderPreGelu.Load(Fixture("encoder_pre_gelu.safetensors"));
        float[] src = Tensor("encoder_pre_gelu.io.safetensors", "src");
        var memory = new float[src.Length];
        model.EncodeEmbeddings(src, 1, 11, default, memory);
        TestData.AssertClose(Tensor("encoder_pre_gelu.io.safetensors", "expected"), memory, Tolerance, "pre-norm GELU encoder");
    }

    [Theory]
    [InlineData("transformer_post_relu", 2, 6, 5)]
    [InlineData("transformer_pre_gelu", 1, 9, 7)]
    public void FullTransformerMatchesPyTorch(string name, int batch, int sourceLength, int targetLength)
    {
        string io = name + ".io.safetensors";
        float[] src = Tensor(io, "src"), tgt = Tensor(io, "tgt"), memory = Tensor(io, "memory"), expected = Tensor(io, "expected");
        int[] lengths = Tensor(io, "src_lengths").Select(v => (int)v).ToArray();
        var ourMemory = new float[memory.Length];
        var output = new float[expected.Length];
        if (name.Contains("post"))
        {
            using var model = FixtureTransformerPostRelu.Load(Fixture(name + ".safetensors"), maxBatch: batch);
            model.EncodeEmbeddings(src, batch, sourceLength, lengths, ourMemory);
            // The decoder reads our own encoder output: the whole model, end to end.
            model.DecodeEmbeddings(tgt, batch, targetLength, ourMemory, sourceLength, lengths, output);
            AssertRealTokens(memory, ourMemory, batch, sourceLength, 32, lengths, $"{name} encoder");
        }
        else
        {
            using var model = FixtureTransformerPreGelu.Load(Fixture(name + ".safetensors"), maxBatch: batch);
            model.EncodeEmbeddings(src, batch, sourceLength, lengths, ourMemory);
            model.DecodeEmbeddings(tgt, batch, targetLength, ourMemory, sourceLength, lengths, output);
            AssertRealTokens(memory, ourMemory, batch, sourceLength, 40, lengths, $"{name} encoder");
        }
        TestData.AssertClose(expected, output, Tolerance, $"{name} decoder");
    }

    [Fact]
    public void DecoderOnlyStacksMatchPyTorch()
    {
        // EncoderLayers = 0: self-attention under the causal mask and the FFN, no cross-attention — PyTorch's causal
        // nn.TransformerEncoder, loaded from its own state_dict names.
        foreach (string name in new[] { "decoder_only_pre_gelu", "decoder_only_post_relu" })
        {
            float[] tgt = Tensor(name + ".io.safetensors", "tgt"), expected = Tensor(name + ".io.safetensors", "expected");
            var output = new float[expected.Length];
            if (name.Contains("pre"))
            {
                using var model = FixtureDecoderOnlyPreGelu.Load(Fixture(name + ".safetensors"), maxBatch: 2);
                model.DecodeEmbeddings(tgt, 2, 9, output);
            }
            else
            {
                using var model = FixtureDecoderOnlyPostRelu.Load(Fixture(name + ".safetensors"));
                model.DecodeEmbeddings(tgt, 1, 12, output);
            }
            TestData.AssertClose(expected, output, Tolerance, $"{name} decoder-only stack");
        }
    }

    [Fact]
    public void RightPaddedTargetsNeedNoPaddingMask()
    {
        // The README's claim: under the causal mask, rows appended after the real target change none of the real rows.
        using var model = FixtureTransformerPostRelu.Load(Fixture("transformer_post_relu.safetensors"), maxBatch: 2);
        string io = "transformer_post_relu.io.safetensors";
        float[] tgt = Tensor(io, "tgt"), memory = Tensor(io, "memory");
        int[] lengths = Tensor(io, "src_lengths").Select(v => (int)v).ToArray();
        const int d = 32, batch = 2, real = 5, padded = 9;
        var exact = new float[batch * real * d];
        model.DecodeEmbeddings(tgt, batch, real, memory, memoryLength: 6, lengths, exact);
        var paddedTarget = TestData.Uniform(batch * padded * d, seed: 77, scale: 3f); // garbage in the padded rows
        for (int b = 0; b < batch; b++)
        {
            tgt.AsSpan(b * real * d, real * d).CopyTo(paddedTarget.AsSpan(b * padded * d));
        }
        var output = new float[batch * padded * d];
        model.DecodeEmbeddings(paddedTarget, batch, padded, memory, memoryLength: 6, lengths, output);
        for (int b = 0; b < batch; b++)
        {
            TestData.AssertClose(exact[(b * real * d)..((b + 1) * real * d)], output.AsSpan(b * padded * d, real * d), 1e-6, $"sequence {b}, real rows");
        }
    }
}
