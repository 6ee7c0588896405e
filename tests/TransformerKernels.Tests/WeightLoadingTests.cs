namespace TransformerKernels.Tests;

/// <summary>Checkpoints that do not fit the declared shape fail with the tensor's name, the expected and the actual shape.</summary>
public class WeightLoadingTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("tk-weights").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static List<(string Name, long[] Shape, float[] Data)> FixtureTensors()
    {
        using SafeTensorsFile file = SafeTensorsFile.Open(PyTorchParityTests.Fixture("encoder_post_relu.safetensors"));
        return file.Tensors.Values.Select(t => (t.Name, t.Shape, file.ReadArray(t.Name))).ToList();
    }

    private string Write(IEnumerable<(string, long[], float[])> tensors)
    {
        string path = Path.Combine(_directory, Guid.NewGuid() + ".safetensors");
        SafeTensorsWriter.Write(path, tensors);
        return path;
    }

    [Fact]
    public void MissingTensorIsNamed()
    {
        string path = Write(FixtureTensors().Where(t => t.Name != "layers.1.linear2.weight"));
        var e = Assert.Throws<ModelWeightsException>(() => FixtureEncoderPostRelu.Load(path));
        Assert.Equal("layers.1.linear2.weight", e.TensorName);
        Assert.Equal("[32, 64]", e.Expected);
        Assert.Equal("missing", e.Actual);
        Assert.Contains("layers.1.linear2.weight", e.Message);
    }

    [Fact]
    public void MisShapedTensorIsNamedWithBothShapes()
    {
        var tensors = FixtureTensors().Select(t => t.Name == "layers.0.linear1.weight" ? (t.Name, new long[] { 32, 64 }, t.Data) : t);
        var e = Assert.Throws<ModelWeightsException>(() => FixtureEncoderPostRelu.Load(Write(tensors)));
        Assert.Equal("layers.0.linear1.weight", e.TensorName);
        Assert.Equal("[64, 32]", e.Expected);
        Assert.Equal("[32, 64]", e.Actual);
    }

    [Fact]
    public void ExtraTensorIsRejectedUnlessAllowed()
    {
        string path = Write(FixtureTensors().Append(("layers.2.linear1.weight", new long[] { 64, 32 }, new float[64 * 32])));
        var e = Assert.Throws<ModelWeightsException>(() => FixtureEncoderPostRelu.Load(path));
        Assert.Equal("layers.2.linear1.weight", e.TensorName);
        Assert.Contains("allowUnusedTensors", e.Message);
        using var model = FixtureEncoderPostRelu.Load(path, allowUnusedTensors: true);
    }

    [Fact]
    public void WeightsOfAnotherShapeAreRefused()
    {
        using var weights = TransformerWeights.Load(PyTorchParityTests.Fixture("encoder_post_relu.safetensors"), FixtureEncoderPostRelu.Shape);
        var e = Assert.Throws<ArgumentException>(() => new FixtureEncoderPreGelu(weights));
        Assert.Equal("weights", e.ParamName);
    }

    [Fact]
    public void HalfAndBFloat16AreWidenedOnLoad()
    {
        float[] values = [1.5f, -2.25f, 0.099975586f, 65504f];
        string path = Path.Combine(_directory, "half.safetensors");
        // Header by hand: one F16 tensor and one BF16 tensor.
        byte[] f16 = values.SelectMany(v => BitConverter.GetBytes((Half)v)).ToArray();
        byte[] bf16 = values.SelectMany(v => BitConverter.GetBytes((ushort)(BitConverter.SingleToInt32Bits(v) >> 16))).ToArray();
        string header = $"{{\"h\":{{\"dtype\":\"F16\",\"shape\":[4],\"data_offsets\":[0,8]}},\"b\":{{\"dtype\":\"BF16\",\"shape\":[2,2],\"data_offsets\":[8,16]}}}}";
        File.WriteAllBytes(path, [.. BitConverter.GetBytes((ulong)header.Length), .. System.Text.Encoding.ASCII.GetBytes(header), .. f16, .. bf16]);
        using SafeTensorsFile file = SafeTensorsFile.Open(path);
        Assert.Equal(values.Select(v => (float)(Half)v), file.ReadArray("h"));
        Assert.Equal(values.Select(v => BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(v) & unchecked((int)0xFFFF0000))), file.ReadArray("b"));
    }
}

/// <summary>Prepacked checkpoints: saved in the kernels' layout, mapped back without packing, with identical results.</summary>
public sealed class PackedCheckpointTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("tk-packed").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Theory]
    [InlineData(WeightPrecision.Fp32)]
    [InlineData(WeightPrecision.Bf16)]
    [InlineData(WeightPrecision.Int8)]
    public void RoundTripGivesBitIdenticalOutputs(WeightPrecision precision)
    {
        string path = Path.Combine(_directory, $"packed-{precision}.safetensors");
        long bytes;
        (float[] Memory, float[] Output) expected;
        using (var model = FixtureTransformerPostRelu.Load(PyTorchParityTests.Fixture("transformer_post_relu.safetensors"), maxBatch: 2, precision: precision))
        {
            expected = Forward(model);
            PackedCheckpoint.Save(model.Weights, path);
            bytes = model.Weights.LinearWeightBytes;
        }
        using var packed = new FixtureTransformerPostRelu(PackedCheckpoint.Load(path, FixtureTransformerPostRelu.Shape), maxBatch: 2);
        Assert.Equal(precision, packed.Weights.Precision);
        Assert.Equal(bytes, packed.Weights.LinearWeightBytes);
        (float[] memory, float[] output) = Forward(packed);
        Assert.Equal(expected.Memory, memory);
        Assert.Equal(expected.Output, output);
        if (precision != WeightPrecision.Fp32)
        {
            Assert.Throws<InvalidOperationException>(() => packed.Weights.ConvertTo(precision == WeightPrecision.Int8 ? WeightPrecision.Bf16 : WeightPrecision.Int8));
        }
    }

    /// <summary>The fixture's encoder and decoder on its PyTorch inputs (batch 2, source lengths 6 and 4).</summary>
    private static (float[] Memory, float[] Output) Forward(FixtureTransformerPostRelu model)
    {
        float[] src = PyTorchParityTests.Tensor("transformer_post_relu.io.safetensors", "src");
        float[] tgt = PyTorchParityTests.Tensor("transformer_post_relu.io.safetensors", "tgt");
        var memory = new float[src.Length];
        var output = new float[tgt.Length];
        model.EncodeEmbeddings(src, 2, 6, [6, 4], memory);
        model.DecodeEmbeddings(tgt, 2, 5, memory, 6, [6, 4], output);
        return (memory, output);
    }

    [Fact]
    public void AnInt8CheckpointForOtherWeightLevelsIsRefused()
    {
        string path = Path.Combine(_directory, "int8.safetensors");
        using (var weights = TransformerWeights.Load(PyTorchParityTests.Fixture("encoder_post_relu.safetensors"), FixtureEncoderPostRelu.Shape, WeightPrecision.Int8))
        {
            PackedCheckpoint.Save(weights, path);
        }
        // Same length, other levels: 8-bit weights would saturate the 7-bit-weight kernels, 7-bit ones waste precision on VNNI.
        string levels = Int8Paths.WeightLevels.ToString(System.Globalization.CultureInfo.InvariantCulture);
        string other = levels == "63" ? "99" : "100";
        byte[] file = File.ReadAllBytes(path);
        byte[] from = System.Text.Encoding.ASCII.GetBytes($"\"int8_weight_levels\":\"{levels}\""), to = System.Text.Encoding.ASCII.GetBytes($"\"int8_weight_levels\":\"{other}\"");
        int at = file.AsSpan().IndexOf(from);
        Assert.True(at > 0, "levels recorded in the metadata");
        to.CopyTo(file, at);
        File.WriteAllBytes(path, file);
        var e = Assert.Throws<ModelWeightsException>(() => PackedCheckpoint.Load(path, FixtureEncoderPostRelu.Shape));
        Assert.Equal("__metadata__.int8_weight_levels", e.TensorName);
    }

    [Fact]
    public void APackedCheckpointOfAnotherShapeIsRefused()
    {
        string path = Path.Combine(_directory, "other.safetensors");
        using (var weights = TransformerWeights.Load(PyTorchParityTests.Fixture("encoder_post_relu.safetensors"), FixtureEncoderPostRelu.Shape))
        {
            PackedCheckpoint.Save(weights, path);
        }
        var e = Assert.Throws<ModelWeightsException>(() => PackedCheckpoint.Load(path, FixtureEncoderPreGelu.Shape));
        Assert.Equal("__metadata__.shape", e.TensorName);
        var plain = Assert.Throws<ModelWeightsException>(() => PackedCheckpoint.Load(PyTorchParityTests.Fixture("encoder_post_relu.safetensors"), FixtureEncoderPostRelu.Shape));
        Assert.Equal("__metadata__.format", plain.TensorName);
    }
}
