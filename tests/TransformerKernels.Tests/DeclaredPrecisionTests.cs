namespace TransformerKernels.Tests;

/// <summary>FixtureTransformerPostRelu's shape generated for FP32 weights only: its GEMM specs equal that model's, so both run the same shared classes.</summary>
[TransformerModel(DModel = 32, Heads = 4, EncoderLayers = 2, DecoderLayers = 2, FfnDim = 64, MaxSeqLen = 16, Positions = PositionEncoding.None,
                  Precisions = ModelPrecisions.Fp32)]
public partial class Fp32OnlyTransformer;

/// <summary>An int8-only encoder of a shape no other model of this assembly has: its GEMM classes hold int8 kernels alone.</summary>
[TransformerModel(DModel = 40, Heads = 2, EncoderLayers = 1, FfnDim = 24, MaxSeqLen = 8, Positions = PositionEncoding.None,
                  Precisions = ModelPrecisions.Int8)]
public partial class Int8OnlyEncoder;

/// <summary><c>Precisions</c> on [TransformerModel]: what is not declared is not generated, and asking for it is a typed error.</summary>
public class DeclaredPrecisionTests
{
    private static readonly string Checkpoint = PyTorchParityTests.Fixture("transformer_post_relu.safetensors");

    [Theory]
    [InlineData(WeightPrecision.Bf16)]
    [InlineData(WeightPrecision.Int8)]
    public void LoadingInAPrecisionNotDeclaredThrowsBeforeReadingTheFile(WeightPrecision precision)
    {
        var e = Assert.Throws<PrecisionNotGeneratedException>(() => Fp32OnlyTransformer.Load("/no/such/checkpoint.safetensors", precision: precision));
        Assert.Equal(precision, e.Precision);
        Assert.Equal(ModelPrecisions.Fp32, e.Generated);
        Assert.Equal(nameof(Fp32OnlyTransformer), e.Target);
        Assert.Contains("Precisions", e.Message, StringComparison.Ordinal);
        Assert.Contains($"ModelPrecisions.Fp32 | ModelPrecisions.{precision}", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CreatingOverWeightsOfAnUndeclaredPrecisionThrows()
    {
        // Same ModelShape (Precisions is the model's, not the shape's), so only the precision check stands in the way.
        using TransformerWeights weights = TransformerWeights.Load(Checkpoint, FixtureTransformerPostRelu.Shape, WeightPrecision.Int8);
        var e = Assert.Throws<PrecisionNotGeneratedException>(() => new Fp32OnlyTransformer(weights));
        Assert.Equal(WeightPrecision.Int8, e.Precision);
    }

    [Fact]
    public void TheDeclaredPrecisionComputesWhatTheFullModelComputes()
    {
        using var full = FixtureTransformerPostRelu.Load(Checkpoint, maxBatch: 2);
        using var fp32 = Fp32OnlyTransformer.Load(Checkpoint, maxBatch: 2);
        float[] src = PyTorchParityTests.Tensor("transformer_post_relu.io.safetensors", "src");
        var expected = new float[src.Length];
        var actual = new float[src.Length];
        full.EncodeEmbeddings(src, 2, 6, [6, 4], expected);
        fp32.EncodeEmbeddings(src, 2, 6, [6, 4], actual);
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void AnInt8OnlyModelRefusesFp32ByDefault()
    {
        var e = Assert.Throws<PrecisionNotGeneratedException>(() => Int8OnlyEncoder.Load("/no/such/checkpoint.safetensors"));
        Assert.Equal(WeightPrecision.Fp32, e.Precision);
        Assert.Equal(ModelPrecisions.Int8, Int8OnlyEncoder.Precisions);
    }

    [Theory]
    [InlineData(WeightPrecision.Fp32)]
    [InlineData(WeightPrecision.Bf16)]
    public unsafe void AGemmGeneratedWithoutAPrecisionThrowsForItsWeights(WeightPrecision precision)
    {
        // The last line of defence: a layer converted after the model was created reaches a GEMM that has no kernels for it.
        // The FFN's first GEMM (40 → 24, ReLU) is Int8OnlyEncoder's alone; its 40 × 40 one is shared with a model of all precisions.
        using PackedLinear packed = PackedLinear.Pack(TestData.Uniform(24 * 40, 7, 0.1f), new float[24], 24, 40);
        packed.ConvertTo(precision, "up");
        var a = new float[40];
        var c = new float[24];
        fixed (float* pa = a, pc = c)
        {
            float* input = pa, output = pc;
            var e = Assert.Throws<PrecisionNotGeneratedException>(() => Int8OnlyEncoder.Kernels.Gemm40x24Relu.Run(input, 1, packed, null, output));
            Assert.Equal(precision, e.Precision);
            Assert.Equal(ModelPrecisions.Int8, e.Generated);
        }
    }

    [Fact]
    public unsafe void TheInt8OnlyGemmRunsInt8Weights()
    {
        using PackedLinear packed = PackedLinear.Pack(TestData.Uniform(24 * 40, 7, 0.1f), new float[24], 24, 40);
        packed.ConvertTo(WeightPrecision.Int8, "up");
        float[] a = TestData.Uniform(40, 8, 1f);
        var c = new float[24];
        fixed (float* pa = a, pc = c)
        {
            Int8OnlyEncoder.Kernels.Gemm40x24Relu.Run(pa, 1, packed, null, pc);
        }
        Assert.Contains(c, value => value > 0);
        Assert.All(c, value => Assert.True(value >= 0, "ReLU output"));
    }
}
