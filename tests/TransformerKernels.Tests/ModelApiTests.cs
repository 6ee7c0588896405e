namespace TransformerKernels.Tests;

/// <summary>The model API: bad arguments are rejected by name with nothing written, and forward passes stop allocating after the first call.</summary>
public class ModelApiTests
{
    private static float[] Source => PyTorchParityTests.Tensor("transformer_post_relu.io.safetensors", "src");

    [Fact]
    public void RepeatedForwardPassesAllocateNothing()
    {
        using var model = FixtureTransformerPostRelu.Load(PyTorchParityTests.Fixture("transformer_post_relu.safetensors"), maxBatch: 2);
        float[] src = Source, tgt = PyTorchParityTests.Tensor("transformer_post_relu.io.safetensors", "tgt");
        var memory = new float[src.Length];
        var output = new float[tgt.Length];
        int[] lengths = [6, 4];
        void Forward()
        {
            model.EncodeEmbeddings(src, 2, 6, lengths, memory);
            model.DecodeEmbeddings(tgt, 2, 5, memory, 6, lengths, output);
        }
        Assert.Equal(0, AllocationProbe.SteadyStateBytes(Forward));
    }

    [Fact]
    public void BadArgumentsAreRejectedByNameAndNothingIsWritten()
    {
        using var model = FixtureTransformerPostRelu.Load(PyTorchParityTests.Fixture("transformer_post_relu.safetensors"), maxBatch: 2);
        float[] src = Source;
        var memory = new float[src.Length];
        Array.Fill(memory, 42f);
        Assert.Equal("source", Assert.Throws<ArgumentException>(() => model.EncodeEmbeddings(src.AsSpan(1), 2, 6, default, memory)).ParamName);
        Assert.Equal("memory", Assert.Throws<ArgumentException>(() => model.EncodeEmbeddings(src, 2, 6, default, memory.AsSpan(1))).ParamName);
        Assert.Equal("batch", Assert.Throws<ArgumentOutOfRangeException>(() => model.EncodeEmbeddings(src, 3, 4, default, memory)).ParamName);
        Assert.Equal("length", Assert.Throws<ArgumentOutOfRangeException>(() => model.EncodeEmbeddings(new float[17 * 32], 1, 17, default, new float[17 * 32])).ParamName);
        Assert.Equal("length", Assert.Throws<ArgumentOutOfRangeException>(() => model.EncodeEmbeddings([], 1, 0, default, memory)).ParamName);
        Assert.Equal("sourceLengths", Assert.Throws<ArgumentOutOfRangeException>(() => model.EncodeEmbeddings(src, 2, 6, [6, 7], memory)).ParamName);
        Assert.All(memory, v => Assert.Equal(42f, v));
    }

    [Fact]
    public void DisposedModelThrows()
    {
        var model = FixtureTransformerPostRelu.Load(PyTorchParityTests.Fixture("transformer_post_relu.safetensors"), maxBatch: 2);
        model.Dispose();
        Assert.Throws<ObjectDisposedException>(() => model.EncodeEmbeddings(Source, 2, 6, default, new float[Source.Length]));
    }
}

/// <summary>Non-finite inputs: documented behaviour is that they propagate to their own sequence's outputs only.</summary>
public class NonFiniteInputTests
{
    [Fact]
    public void NaNInOneSequenceStaysInThatSequence()
    {
        using var model = FixtureTransformerPostRelu.Load(PyTorchParityTests.Fixture("transformer_post_relu.safetensors"), maxBatch: 2);
        float[] src = PyTorchParityTests.Tensor("transformer_post_relu.io.safetensors", "src");
        var clean = new float[src.Length];
        model.EncodeEmbeddings(src, 2, 6, default, clean);
        src[3] = float.NaN;          // sequence 0
        src[40] = float.PositiveInfinity; // sequence 0, another position
        var output = new float[src.Length];
        model.EncodeEmbeddings(src, 2, 6, default, output);
        int half = src.Length / 2;
        Assert.Contains(output[..half], float.IsNaN);
        Assert.Equal(clean[half..], output[half..]);
    }
}
