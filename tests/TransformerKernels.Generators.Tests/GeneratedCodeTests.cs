using Microsoft.CodeAnalysis;

namespace TransformerKernels.Generators.Tests;

/// <summary>For valid shapes, the generated source compiles with no warnings and says what it is.</summary>
public class GeneratedCodeTests
{
    public static TheoryData<string> Shapes() => new()
    {
        "DModel = 512, Heads = 8, EncoderLayers = 6, DecoderLayers = 6, FfnDim = 2048, MaxSeqLen = 128, SourceVocab = 8000, TargetVocab = 8000",
        "DModel = 384, Heads = 12, EncoderLayers = 6, FfnDim = 1536, MaxSeqLen = 128, Vocab = 30522, TokenTypes = 2, PositionTableSize = 512, Positions = PositionEncoding.Learned, Activation = Activation.Gelu, LayerNormEpsilon = 1e-12",
        "DModel = 200, Heads = 5, EncoderLayers = 1, DecoderLayers = 1, FfnDim = 600, MaxSeqLen = 37, Norm = NormPlacement.Pre, Activation = Activation.GeluTanh",
        "DModel = 8, Heads = 1, DecoderLayers = 2, FfnDim = 3, MaxSeqLen = 1, Vocab = 5",
        "DModel = 1024, Heads = 16, EncoderLayers = 1, FfnDim = 4096, MaxSeqLen = 8192",
        "DModel = 264, Heads = 6, DecoderLayers = 2, FfnDim = 700, MaxSeqLen = 64, Vocab = 1000, Norm = NormPlacement.RmsNorm, Activation = Activation.SwiGlu, Positions = PositionEncoding.Rotary, RotaryTheta = 500000, RotaryDimensions = 32, KvHeads = 2",
        "DModel = 96, Heads = 4, DecoderLayers = 1, EncoderLayers = 1, FfnDim = 200, MaxSeqLen = 16, SourceVocab = 50, TargetVocab = 60, Activation = Activation.Gelu, Bias = false",
        "DModel = 64, Heads = 4, KvHeads = 2, DecoderLayers = 2, FfnDim = 96, MaxSeqLen = 24, Vocab = 61, Norm = NormPlacement.RmsNorm, Activation = Activation.SwiGlu, Positions = PositionEncoding.Rotary, Bias = false, QkvBias = true, RopeScaling = RopeScaling.Llama3, RopeScalingFactor = 8, RopeOriginalMaxPositions = 16",
        "DModel = 64, Heads = 4, DecoderLayers = 1, FfnDim = 96, MaxSeqLen = 24, Vocab = 61, Norm = NormPlacement.RmsNorm, Activation = Activation.SwiGlu, Positions = PositionEncoding.Rotary, RopeScaling = RopeScaling.Linear, RopeScalingFactor = 2.5",
    };

    [Fact]
    public void QkvBiasGivesTheQueryKeyValueGemmAloneABias()
    {
        // Qwen2: Bias = false, QkvBias = true. The Q·K·V GEMM [64 → 64 + 2·32] may share its key (K, N, activation) with the
        // output projection to a vocabulary of 128; it must stay a GEMM of its own, with the bias, and the other one without.
        var (_, _, run) = GeneratorHarness.Run(GeneratorHarness.Model(
            "DModel = 64, Heads = 4, KvHeads = 2, DecoderLayers = 1, FfnDim = 96, MaxSeqLen = 16, Vocab = 128, Norm = NormPlacement.RmsNorm, Activation = Activation.SwiGlu, Positions = PositionEncoding.Rotary, Bias = false, QkvBias = true"));
        var files = run.GeneratedTrees.ToDictionary(t => Path.GetFileName(t.FilePath), t => t.GetText().ToString());
        // The model's Kernels.Gemm64x128Bias is the assembly's biased Gemm64x128, its Kernels.Gemm64x128 the bias-free one.
        const string shared = "TransformerKernels.Gemms.UserModels.";
        Assert.Contains("g->Bias", files[shared + "Gemm64x128.g.cs"]);
        Assert.DoesNotContain("g->Bias", files[shared + "Gemm64x128NoBias.g.cs"]);
        Assert.All(files.Where(f => f.Key.StartsWith(shared, StringComparison.Ordinal) && f.Key != shared + "Gemm64x128.g.cs"), f => Assert.DoesNotContain("g->Bias", f.Value));
        string gemms = files["User.Model.Gemms.g.cs"];
        Assert.Contains("class Gemm64x128Bias", gemms);
        Assert.Contains("=> global::TransformerKernels.Gemms.UserModels.Gemm64x128.Run(", gemms);
        Assert.Contains("=> global::TransformerKernels.Gemms.UserModels.Gemm64x128NoBias.Run(", gemms);
        string blocks = files["User.Model.Blocks.g.cs"];
        Assert.Contains("Gemm64x128Bias.Run(s.Normed, rows, weights.SelfAttention.QueryKeyValue", blocks);
        Assert.Contains("QkvBias: true", files["User.Model.Shape.g.cs"]);
    }

    [Fact]
    public void ScaledRotaryTablesComeFromTheRuntimeFormula()
    {
        var (_, _, run) = GeneratorHarness.Run(GeneratorHarness.Model(
            "DModel = 64, Heads = 4, DecoderLayers = 1, FfnDim = 96, MaxSeqLen = 16, Vocab = 50, Norm = NormPlacement.RmsNorm, Activation = Activation.SwiGlu, Positions = PositionEncoding.Rotary, RopeScaling = RopeScaling.Llama3, RopeScalingFactor = 8, RopeOriginalMaxPositions = 16"));
        string all = string.Concat(run.GeneratedTrees.Select(t => t.GetText().ToString()));
        Assert.Contains("global::TransformerKernels.RotaryFrequencies.Compute(Shape.RotaryTheta, Dimensions, Shape.RopeScaling", all);
        Assert.Contains("RopeScaling: global::TransformerKernels.RopeScaling.Llama3, RopeScalingFactor: 8.0, RopeLowFrequencyFactor: 1.0,", all);
        Assert.Contains("RopeOriginalMaxPositions: 16", all);
        Assert.DoesNotContain("Math.Pow", all);
    }

    [Fact]
    public void WithoutBiasNoGemmReadsOne()
    {
        static string Gemms(string arguments) => string.Concat(GeneratorHarness.Run(GeneratorHarness.Model(arguments)).Run.GeneratedTrees
            .Where(t => t.FilePath.Contains("Gemm", StringComparison.Ordinal)).Select(t => t.GetText().ToString()));
        const string shape = "DModel = 64, Heads = 4, DecoderLayers = 1, FfnDim = 96, MaxSeqLen = 16, Vocab = 50, Activation = Activation.GeluTanh";
        Assert.Contains("g->Bias", Gemms(shape));
        string withoutBias = Gemms(shape + ", Bias = false");
        Assert.NotEmpty(withoutBias);
        Assert.DoesNotContain("g->Bias", withoutBias);
        Assert.DoesNotContain("bias0", withoutBias);
    }

    [Fact]
    public void SwiGluRunsInTheGateAndUpGemmsEpilogue()
    {
        // FfnDim 100: 13 groups of 8 hidden units → one GEMM of 208 columns writing 104 floats per hidden row.
        var (_, _, run) = GeneratorHarness.Run(GeneratorHarness.Model(
            "DModel = 64, Heads = 4, DecoderLayers = 1, FfnDim = 100, MaxSeqLen = 16, Vocab = 50, Norm = NormPlacement.RmsNorm, Activation = Activation.SwiGlu"));
        var files = run.GeneratedTrees.ToDictionary(t => Path.GetFileName(t.FilePath), t => t.GetText().ToString());
        string up = files["TransformerKernels.Gemms.UserModels.Gemm64x208SwiGluLdc104.g.cs"];
        Assert.Contains("global::TransformerKernels.VectorMath.Silu(gate) * up", up); // the 32-column Avx512 tiles
        Assert.Contains("global::TransformerKernels.VectorMath.Silu(Vector256.Load(sums)) * Vector256.Load(sums + 8)", up); // AVX2 and int8 tiles
        Assert.Contains("column / 2", up);
        Assert.Contains("public const int FfnHiddenStride = 104;", files["User.Model.Shape.g.cs"]);
        string blocks = files["User.Model.Blocks.g.cs"];
        Assert.DoesNotContain("SwiGlu.Run", blocks); // no pass between the FFN GEMMs
        Assert.Contains("Gemm100x64Lda104.Run(s.Hidden", blocks);
    }

    [Theory]
    [InlineData("DModel = 64, Heads = 4, EncoderLayers = 1, DecoderLayers = 1, FfnDim = 96, MaxSeqLen = 16, SourceVocab = 50, TargetVocab = 50", 29_344L, 29_344L + 16_640L + 128L)]
    [InlineData("DModel = 64, Heads = 4, KvHeads = 2, DecoderLayers = 1, FfnDim = 96, MaxSeqLen = 16, Vocab = 50, Norm = NormPlacement.RmsNorm, Activation = Activation.SwiGlu, Positions = PositionEncoding.Rotary, Bias = false", 0L, 30_848L)]
    public void ParameterCountsAreWhatACheckpointStores(string arguments, long encoderLayer, long decoderLayer)
    {
        // Counted by hand: d = 64, FFN 96. Encoder: QKV 64·192 + 192, out 64·64 + 64, FFN 64·96 + 96 + 96·64 + 64, two
        // LayerNorms 2·128 = 29,344; a decoder adds cross-attention 4·(64·64 + 64) and a third LayerNorm. Llama-style: QKV
        // 64·(64 + 2·32), out 64·64, gate and up 64·192, down 96·64, two RMSNorm scales 2·64 = 30,848, no biases.
        var (_, _, run) = GeneratorHarness.Run(GeneratorHarness.Model(arguments));
        string shape = run.GeneratedTrees.Single(t => t.FilePath.EndsWith("Shape.g.cs", StringComparison.Ordinal)).GetText().ToString();
        if (encoderLayer > 0)
        {
            Assert.Contains($"public const long ParametersPerEncoderLayer = {encoderLayer}L;", shape);
        }
        Assert.Contains($"public const long ParametersPerDecoderLayer = {decoderLayer}L;", shape);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void GeneratedSourceCompilesWithoutWarnings(string arguments)
    {
        var (generator, compilation, run) = GeneratorHarness.Run(GeneratorHarness.Model(arguments));
        Assert.Empty(generator);
        // Documentation is checked too (consumers often build with GenerateDocumentationFile); the user's own
        // undocumented class declaration is not ours to judge.
        Assert.Empty(compilation.Where(d => d.Severity >= DiagnosticSeverity.Warning && d.Location.SourceTree?.FilePath != "Models.cs"));
        Assert.NotEmpty(run.GeneratedTrees);
    }

    [Fact]
    public void OutputIsMarkedGeneratedAndNamesTheArchitectureSteps()
    {
        var (_, _, run) = GeneratorHarness.Run(GeneratorHarness.Model("DModel = 64, Heads = 4, EncoderLayers = 1, FfnDim = 128, MaxSeqLen = 16"));
        var files = run.GeneratedTrees.ToDictionary(t => Path.GetFileName(t.FilePath), t => t.GetText().ToString());
        Assert.All(files.Values, text => Assert.StartsWith("// <auto-generated/>", text.TrimStart('\uFEFF')));
        Assert.Contains("User.Model.Shape.g.cs", files.Keys);
        string shape = files["User.Model.Shape.g.cs"];
        Assert.Contains("public const int HeadDim = 16;", shape);
        Assert.Contains("public const int QkvSize = 3072;", shape);
        Assert.Contains("Step 3: softmax", files["User.Model.Attention.g.cs"]);
        Assert.Contains("Add &amp; Norm", files["User.Model.AddNorm.g.cs"]);
        Assert.Contains("Used by: self-attention Q·K·V projection.", files["User.Model.Gemms.g.cs"]);
        Assert.Contains("Used by: FFN first linear + activation.", files["User.Model.Gemms.g.cs"]);
    }

    [Fact]
    public void LinearLayersOfTheSameShapeShareOneGemm()
    {
        // d = 64, FFN = 192 = 3·d with ReLU: the QKV GEMM (no activation) and FFN-up (ReLU) stay separate,
        // while the cross-attention query projection shares the d×d GEMM with the output projection.
        var (_, _, run) = GeneratorHarness.Run(GeneratorHarness.Model("DModel = 64, Heads = 4, EncoderLayers = 1, DecoderLayers = 1, FfnDim = 192, MaxSeqLen = 16"));
        string[] names = run.GeneratedTrees.Select(t => Path.GetFileName(t.FilePath)).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(
            ["TransformerKernels.Gemms.UserModels.Gemm192x64.g.cs", "TransformerKernels.Gemms.UserModels.Gemm64x128.g.cs",
             "TransformerKernels.Gemms.UserModels.Gemm64x192.g.cs", "TransformerKernels.Gemms.UserModels.Gemm64x192Relu.g.cs", "TransformerKernels.Gemms.UserModels.Gemm64x64.g.cs",
             "User.Model.AddNorm.g.cs", "User.Model.Attention.g.cs", "User.Model.Blocks.g.cs", "User.Model.Gemms.g.cs", "User.Model.Model.g.cs", "User.Model.Shape.g.cs"],
            names);
    }
}
