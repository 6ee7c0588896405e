using Microsoft.CodeAnalysis;
using TransformerKernels.Generators.Config;
using TransformerKernels.Generators.Diagnostics;
using TransformerKernels.Generators.Model;

namespace TransformerKernels.Generators.Tests;

/// <summary>
/// The config.json of each supported public model yields the same generated code as the attribute written out by hand from
/// that model's published architecture (model cards and papers), and the values the parser does not read yet (rotary
/// scaling, Qwen2's q/k/v biases) come out of the mapping as the file says.
/// </summary>
public class ConfigMappingTests
{
    private const string ProjectDirectory = "/project/";

    public static TheoryData<string, string> PublicModels() => new()
    {
        // model directory under Configs/, the attribute declaring the same shape by hand
        { "bge-small-en-v1.5", "DModel = 384, Heads = 12, EncoderLayers = 12, FfnDim = 1536, MaxSeqLen = 512, Vocab = 30522, TokenTypes = 2, PositionTableSize = 512, Positions = PositionEncoding.Learned, Activation = Activation.Gelu, LayerNormEpsilon = 1e-12" },
        { "all-MiniLM-L6-v2", "DModel = 384, Heads = 12, EncoderLayers = 6, FfnDim = 1536, MaxSeqLen = 512, Vocab = 30522, TokenTypes = 2, PositionTableSize = 512, Positions = PositionEncoding.Learned, Activation = Activation.Gelu, LayerNormEpsilon = 1e-12" },
        // RoBERTa's 514 position rows lose the two below padding_idx + 1 = 2: 512 usable positions.
        { "roberta-base", "DModel = 768, Heads = 12, EncoderLayers = 12, FfnDim = 3072, MaxSeqLen = 512, Vocab = 50265, TokenTypes = 1, PositionTableSize = 512, Positions = PositionEncoding.Learned, Activation = Activation.Gelu, LayerNormEpsilon = 1e-5" },
        { "xlm-roberta-base", "DModel = 768, Heads = 12, EncoderLayers = 12, FfnDim = 3072, MaxSeqLen = 512, Vocab = 250002, TokenTypes = 1, PositionTableSize = 512, Positions = PositionEncoding.Learned, Activation = Activation.Gelu, LayerNormEpsilon = 1e-5" },
        // Decoders default to MaxSeqLen = min(max_position_embeddings, 2048).
        { "Llama-3.2-1B", "DModel = 2048, Heads = 32, KvHeads = 8, DecoderLayers = 16, FfnDim = 8192, MaxSeqLen = 2048, Vocab = 128256, Norm = NormPlacement.RmsNorm, Activation = Activation.SwiGlu, Positions = PositionEncoding.Rotary, RotaryTheta = 500000, LayerNormEpsilon = 1e-5, Bias = false, RopeScaling = RopeScaling.Llama3, RopeScalingFactor = 32, RopeLowFrequencyFactor = 1, RopeHighFrequencyFactor = 4, RopeOriginalMaxPositions = 8192" },
        { "Mistral-7B-v0.1", "DModel = 4096, Heads = 32, KvHeads = 8, DecoderLayers = 32, FfnDim = 14336, MaxSeqLen = 2048, Vocab = 32000, Norm = NormPlacement.RmsNorm, Activation = Activation.SwiGlu, Positions = PositionEncoding.Rotary, RotaryTheta = 10000, LayerNormEpsilon = 1e-5, Bias = false" },
        { "Qwen2-0.5B", "DModel = 896, Heads = 14, KvHeads = 2, DecoderLayers = 24, FfnDim = 4864, MaxSeqLen = 2048, Vocab = 151936, Norm = NormPlacement.RmsNorm, Activation = Activation.SwiGlu, Positions = PositionEncoding.Rotary, RotaryTheta = 1000000, LayerNormEpsilon = 1e-6, Bias = false, QkvBias = true" },
        { "gpt2", "DModel = 768, Heads = 12, DecoderLayers = 12, FfnDim = 3072, MaxSeqLen = 1024, Vocab = 50257, PositionTableSize = 1024, Positions = PositionEncoding.Learned, Norm = NormPlacement.Pre, Activation = Activation.GeluTanh, LayerNormEpsilon = 1e-5" },
    };

    internal static AdditionalText ConfigFile(string model) =>
        new InMemoryAdditionalText($"{ProjectDirectory}models/{model}/config.json", GeneratorHarness.ConfigText(model));

    [Theory]
    [MemberData(nameof(PublicModels))]
    public void ConfigGeneratesWhatTheHandWrittenShapeGenerates(string model, string handWritten)
    {
        var (diagnostics, _, fromConfig) = GeneratorHarness.Run(GeneratorHarness.Model($"Config = \"models/{model}/config.json\""),
            additionalFiles: [ConfigFile(model)], projectDirectory: ProjectDirectory);
        Assert.Empty(diagnostics);
        var (expectedDiagnostics, _, expected) = GeneratorHarness.Run(GeneratorHarness.Model(handWritten));
        Assert.Empty(expectedDiagnostics);

        Dictionary<string, string> actualFiles = GeneratorHarness.Files(fromConfig), expectedFiles = GeneratorHarness.Files(expected);
        Assert.Equal(expectedFiles.Keys.Order(), actualFiles.Keys.Order());
        foreach ((string name, string text) in expectedFiles)
        {
            Assert.True(text == actualFiles[name], $"{model}: {name} differs from the hand-written declaration's");
        }
    }

    [Fact]
    public void Llama32CarriesItsLlama3RotaryScaling()
    {
        Dictionary<string, object?> args = Merge("Llama-3.2-1B");
        Assert.Equal(2, args["RopeScaling"]); // RopeScaling.Llama3
        Assert.Equal(32.0, args["RopeScalingFactor"]);
        Assert.Equal(1.0, args["RopeLowFrequencyFactor"]);
        Assert.Equal(4.0, args["RopeHighFrequencyFactor"]);
        Assert.Equal(8192, args["RopeOriginalMaxPositions"]);
        Assert.Equal(false, args["QkvBias"]);
    }

    [Fact]
    public void Qwen2HasQkvBiasesOnly()
    {
        Dictionary<string, object?> args = Merge("Qwen2-0.5B");
        Assert.Equal(true, args["QkvBias"]);
        Assert.Equal(false, args["Bias"]);
        Assert.Equal(0, args["RopeScaling"]);
    }

    [Theory]
    [InlineData("""{"rope_type": "linear", "factor": 4.0}""", 1, 4.0)]
    [InlineData("""{"type": "linear", "factor": 2.5}""", 1, 2.5)]
    [InlineData("null", 0, 1.0)]
    public void LinearRotaryScalingIsRead(string ropeScaling, int expectedKind, double expectedFactor)
    {
        string text = GeneratorHarness.ConfigText("Mistral-7B-v0.1").Replace("\"rope_theta\"", $"\"rope_scaling\": {ropeScaling},\n  \"rope_theta\"", StringComparison.Ordinal);
        Dictionary<string, object?> args = Merge(text: text);
        Assert.Equal(expectedKind, args["RopeScaling"]);
        // Without scaling no factor is set: the parser refuses a scaling parameter its scaling never reads.
        Assert.Equal(expectedFactor, args.TryGetValue("RopeScalingFactor", out object? factor) ? factor : 1.0);
    }

    [Fact]
    public void ExplicitMaxSeqLenBelowThePositionsIsKept()
    {
        Dictionary<string, object?> args = Merge("Llama-3.2-1B", new() { ["MaxSeqLen"] = 512 });
        Assert.Equal(512, args["MaxSeqLen"]);
        Assert.Equal(2048, Merge("Llama-3.2-1B")["MaxSeqLen"]);
        Assert.Equal(1024, Merge("gpt2")["MaxSeqLen"]);
    }

    [Fact]
    public void ModelTypeComesFromArchitecturesWhenAbsent()
    {
        string text = GeneratorHarness.ConfigText("all-MiniLM-L6-v2").Replace("\"model_type\": \"bert\",", "", StringComparison.Ordinal);
        Assert.DoesNotContain("model_type", text, StringComparison.Ordinal);
        Dictionary<string, object?> args = Merge(text: text);
        Assert.Equal(6, args["EncoderLayers"]);
    }

    private static Dictionary<string, object?> Merge(string? model = null, Dictionary<string, object?>? written = null, string? text = null)
    {
        var args = written ?? [];
        var diagnostics = new List<DiagnosticInfo>();
        var lookup = new ConfigLookup("config.json", new Model.ConfigFile("/project/config.json", text ?? GeneratorHarness.ConfigText(model!)), null);
        bool merged = TransformerModelGenerator.MergeConfig(lookup, args, null, diagnostics);
        Assert.True(merged, string.Join("; ", diagnostics.Select(d => d.ToDiagnostic().GetMessage(System.Globalization.CultureInfo.InvariantCulture))));
        return args;
    }
}
