using Microsoft.CodeAnalysis;

namespace TransformerKernels.Generators.Tests;

/// <summary>Each diagnostic fires, alone, at the attribute, with a message that says what to change; no code is generated.</summary>
public class DiagnosticTests
{
    private const string Valid = "DModel = 64, Heads = 4, EncoderLayers = 1, FfnDim = 128, MaxSeqLen = 16";

    public static TheoryData<string, string, string, string> Cases() => new()
    {
        // id, attribute arguments, class declaration, a phrase the message must contain
        { "TK0001", Valid, "public class Model;", "declare it 'partial'" },
        { "TK0002", Valid, "public partial class Model<T>;", "without type parameters" },
        { "TK0003", "DModel = 0, Heads = 4, EncoderLayers = 1, FfnDim = 128, MaxSeqLen = 16", "public partial class Model;", "set DModel to a positive number" },
        { "TK0003", "DModel = 64, Heads = 4, EncoderLayers = -1, DecoderLayers = 1, FfnDim = 128, MaxSeqLen = 16", "public partial class Model;", "EncoderLayers is -1" },
        { "TK0004", "DModel = 100, Heads = 3, EncoderLayers = 1, FfnDim = 128, MaxSeqLen = 16", "public partial class Model;", "e.g. DModel = 102" },
        { "TK0005", "DModel = 1024, Heads = 2, EncoderLayers = 1, FfnDim = 128, MaxSeqLen = 16", "public partial class Model;", "16 of AVX-512's 32 registers" },
        { "TK0006", "DModel = 64, Heads = 4, EncoderLayers = 1, FfnDim = 128, MaxSeqLen = 100000", "public partial class Model;", "grow linearly with it), so lower it to at most 8192" },
        { "TK0007", "DModel = 64, Heads = 4, EncoderLayers = 1, DecoderLayers = 1, FfnDim = 128, MaxSeqLen = 16, SourceVocab = 10", "public partial class Model;", "TargetVocab is missing" },
        { "TK0007", "DModel = 64, Heads = 4, EncoderLayers = 1, DecoderLayers = 1, FfnDim = 128, MaxSeqLen = 16, Vocab = 10", "public partial class Model;", "replace Vocab with SourceVocab and TargetVocab" },
        { "TK0007", "DModel = 64, Heads = 4, EncoderLayers = 1, FfnDim = 128, MaxSeqLen = 16, Positions = PositionEncoding.Learned", "public partial class Model;", "set Vocab" },
        { "TK0008", "DModel = 64, Heads = 4, FfnDim = 128, MaxSeqLen = 16", "public partial class Model;", "declare at least one encoder or decoder block" },
        { "TK0009", "DModel = 63, Heads = 7, EncoderLayers = 1, FfnDim = 128, MaxSeqLen = 16", "public partial class Model;", "use an even DModel" },
        { "TK0010", Valid + ", LayerNormEpsilon = 0", "public partial class Model;", "PyTorch uses 1e-5" },
        { "TK0011", "DModel = 64, Heads = 4, EncoderLayers = 1, FfnDim = 100000, MaxSeqLen = 16", "public partial class Model;", "FfnDim = 100000 exceeds the supported 32768" },
        { "TK0013", Valid + ", Activation = (Activation)7", "public partial class Model;", "use one of Relu, Gelu, GeluTanh, SwiGlu" },
        { "TK0022", Valid + ", Precisions = 0", "public partial class Model;", "a model needs kernels for at least one precision" },
        { "TK0022", Valid + ", Precisions = ModelPrecisions.Int8 | (ModelPrecisions)8", "public partial class Model;", "only the bits of ModelPrecisions.Fp32 (1), Bf16 (2) and Int8 (4)" },
        { "TK0014", Valid + ", Positions = PositionEncoding.Rotary", "public partial class Model;", "decoder-only models (EncoderLayers = 0)" },
        { "TK0015", "DModel = 64, Heads = 4, DecoderLayers = 1, FfnDim = 128, MaxSeqLen = 16, KvHeads = 3", "public partial class Model;", "KvHeads = 3 must divide Heads = 4" },
        { "TK0015", "DModel = 64, Heads = 4, DecoderLayers = 1, FfnDim = 128, MaxSeqLen = 16, KvHeads = 8", "public partial class Model;", "KvHeads = 8 must divide Heads = 4" },
        { "TK0015", Valid + ", KvHeads = 2", "public partial class Model;", "decoder-only models (EncoderLayers = 0)" },
        { "TK0014", "DModel = 64, Heads = 4, DecoderLayers = 1, FfnDim = 128, MaxSeqLen = 16, Positions = PositionEncoding.Rotary, RotaryDimensions = 7", "public partial class Model;", "RotaryDimensions = 7 must be even and 0..16" },
        { "TK0014", "DModel = 64, Heads = 4, DecoderLayers = 1, FfnDim = 128, MaxSeqLen = 16, Positions = PositionEncoding.Rotary, RotaryDimensions = 32", "public partial class Model;", "RotaryDimensions = 32 must be even and 0..16" },
        { "TK0014", "DModel = 64, Heads = 4, DecoderLayers = 1, FfnDim = 128, MaxSeqLen = 16, Positions = PositionEncoding.Rotary, RotaryTheta = 0.5", "public partial class Model;", "RotaryTheta = 0.5 must be a finite number above 1" },
        { "TK0013", "DModel = 64, Heads = 4, DecoderLayers = 1, FfnDim = 128, MaxSeqLen = 16, Positions = PositionEncoding.Rotary, RopeScaling = (RopeScaling)5", "public partial class Model;", "use one of None, Linear, Llama3" },
        { "TK0014", Valid + ", RopeScaling = RopeScaling.Linear, RopeScalingFactor = 2", "public partial class Model;", "Positions is not Rotary" },
        { "TK0014", "DModel = 64, Heads = 4, DecoderLayers = 1, FfnDim = 128, MaxSeqLen = 16, Positions = PositionEncoding.Rotary, RopeScaling = RopeScaling.Linear, RopeScalingFactor = 0.5", "public partial class Model;", "RopeScalingFactor = 0.5 must be a finite number of at least 1" },
        { "TK0014", "DModel = 64, Heads = 4, DecoderLayers = 1, FfnDim = 128, MaxSeqLen = 16, Positions = PositionEncoding.Rotary, RopeScaling = RopeScaling.Llama3, RopeScalingFactor = 8, RopeLowFrequencyFactor = 4, RopeHighFrequencyFactor = 1", "public partial class Model;", "must be finite with 0 < low < high" },
        { "TK0014", "DModel = 64, Heads = 4, DecoderLayers = 1, FfnDim = 128, MaxSeqLen = 16, Positions = PositionEncoding.Rotary, RopeScaling = RopeScaling.Llama3, RopeScalingFactor = 8, RopeOriginalMaxPositions = 0", "public partial class Model;", "RopeOriginalMaxPositions = 0 must be positive" },
        { "TK0014", "DModel = 64, Heads = 4, DecoderLayers = 1, FfnDim = 128, MaxSeqLen = 16, Positions = PositionEncoding.Rotary, RopeScalingFactor = 8", "public partial class Model;", "RopeScalingFactor is set but RopeScaling is None" },
        { "TK0014", "DModel = 64, Heads = 4, DecoderLayers = 1, FfnDim = 128, MaxSeqLen = 16, Positions = PositionEncoding.Rotary, RopeScaling = RopeScaling.Linear, RopeScalingFactor = 4, RopeOriginalMaxPositions = 16", "public partial class Model;", "RopeOriginalMaxPositions belongs to RopeScaling = Llama3" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void FiresAloneAtTheAttributeAndGeneratesNothing(string id, string arguments, string declaration, string phrase)
    {
        string source = GeneratorHarness.Model(arguments, declaration);
        var (diagnostics, _, run) = GeneratorHarness.Run(source);
        Diagnostic diagnostic = Assert.Single(diagnostics);
        Assert.Equal(id, diagnostic.Id);
        Assert.Equal(DiagnosticSeverity.Error, diagnostic.Severity);
        Assert.Contains(phrase, diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
        int attributeStart = source.IndexOf("TransformerModel(", StringComparison.Ordinal);
        Assert.Equal(attributeStart, diagnostic.Location.SourceSpan.Start);
        Assert.Empty(run.GeneratedTrees);
    }

    [Fact]
    public void NestedClassIsReported()
    {
        string source = """
            using TransformerKernels;
            namespace User;
            public partial class Outer
            {
                [TransformerModel(DModel = 64, Heads = 4, EncoderLayers = 1, FfnDim = 128, MaxSeqLen = 16)]
                public partial class Model;
            }
            """;
        var (diagnostics, _, _) = GeneratorHarness.Run(source);
        Assert.Equal("TK0002", Assert.Single(diagnostics).Id);
    }

    [Fact]
    public void UnsafeCodeMustBeEnabled()
    {
        string source = GeneratorHarness.Model(Valid);
        var (diagnostics, _, run) = GeneratorHarness.Run(source, allowUnsafe: false);
        Diagnostic diagnostic = Assert.Single(diagnostics);
        Assert.Equal("TK0012", diagnostic.Id);
        Assert.Equal(source.IndexOf("TransformerModel(", StringComparison.Ordinal), diagnostic.Location.SourceSpan.Start);
        Assert.Contains("AllowUnsafeBlocks", diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Empty(run.GeneratedTrees);
    }

    [Fact]
    public void ValidModelHasNoDiagnostics() => Assert.Empty(GeneratorHarness.Run(GeneratorHarness.Model(Valid)).Generator);

    [Fact]
    public void EveryIdIsTrackedInTheReleaseFile()
    {
        string root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "Generated.sln")))
        {
            root = Path.GetDirectoryName(root)!;
        }
        string unshipped = File.ReadAllText(Path.Combine(root, "generators", "TransformerKernels.Generators", "AnalyzerReleases.Unshipped.md"));
        foreach (string id in Cases().Select(row => (string)row[0]).Append("TK0012").Distinct())
        {
            Assert.Contains(id + " |", unshipped);
        }
    }
}
