namespace TransformerKernels.Generators.Tests;

/// <summary>
/// The comments and constants the generator writes describe the declared variant: a reader of a Llama-style model's files
/// must not be told about LayerNorm, biases or BERT positions it does not have, nor of sizes it does not use.
/// </summary>
public class GeneratedTextTests
{
    private const string Bert = "DModel = 384, Heads = 12, EncoderLayers = 2, FfnDim = 1536, MaxSeqLen = 128, Vocab = 30522, TokenTypes = 2, PositionTableSize = 512, Positions = PositionEncoding.Learned, Activation = Activation.Gelu, LayerNormEpsilon = 1e-12";
    private const string Llama = "DModel = 256, Heads = 8, KvHeads = 2, DecoderLayers = 2, FfnDim = 512, MaxSeqLen = 256, Vocab = 1000, Norm = NormPlacement.RmsNorm, Activation = Activation.SwiGlu, Positions = PositionEncoding.Rotary, Bias = false";
    private const string Gpt2 = "DModel = 128, Heads = 4, DecoderLayers = 2, FfnDim = 512, MaxSeqLen = 64, PositionTableSize = 64, Vocab = 500, Norm = NormPlacement.Pre, Activation = Activation.GeluTanh, Positions = PositionEncoding.Learned";
    private const string Translator = "DModel = 512, Heads = 8, EncoderLayers = 6, DecoderLayers = 6, FfnDim = 2048, MaxSeqLen = 128, SourceVocab = 8000, TargetVocab = 8000";

    private static Dictionary<string, string> Files(string arguments) =>
        GeneratorHarness.Run(GeneratorHarness.Model(arguments)).Run.GeneratedTrees.ToDictionary(t => Path.GetFileName(t.FilePath), t => t.GetText().ToString());

    [Fact]
    public void RmsNormModelsSayRmsNormAndNoBias()
    {
        var files = Files(Llama);
        string shape = files["User.Model.Shape.g.cs"], blocks = files["User.Model.Blocks.g.cs"];
        Assert.Contains("RMSNorm over 256", shape);
        Assert.Contains("ε of every RMSNorm", shape);
        Assert.DoesNotContain("LayerNorm", shape.Replace("LayerNormEpsilon", "")); // the constant keeps the attribute property's name
        Assert.DoesNotContain("LayerNorm(", blocks);
        Assert.Contains("(SiLU(y·W_gateᵀ) ⊙ y·W_upᵀ)·W_downᵀ", blocks);
        Assert.DoesNotContain("+ b1", blocks);
        Assert.DoesNotContain("+ b2", blocks);
        // Rotary positions are applied inside attention: the embedding adds none.
        string model = files["User.Model.Model.g.cs"];
        Assert.DoesNotContain("position row", model);
        Assert.DoesNotContain("BERT", model);
    }

    [Fact]
    public void QkvSizeIsTheFusedProjectionsTrueWidth()
    {
        // 8 heads of 32, 2 key/value heads: Q·K·V is 256 + 2·64 = 384 wide, not 3·256.
        Assert.Contains("public const int QkvSize = 98304;", Files(Llama)["User.Model.Shape.g.cs"]);
        Assert.Contains("public const int QkvSize = 196608;", Files(Translator)["User.Model.Shape.g.cs"]);
    }

    [Theory]
    [InlineData(Bert)]
    [InlineData(Llama)]
    [InlineData(Gpt2)]
    [InlineData(Translator)]
    public void NoSizeOfARemovedBufferAndNoDeadTailLoop(string arguments)
    {
        var files = Files(arguments);
        Assert.DoesNotContain("ScoresSize", files["User.Model.Shape.g.cs"]);
        Assert.DoesNotContain("KeysTransposedSize", files["User.Model.Shape.g.cs"]);
        // Widths that are whole vectors (384, 256, 128, 512) have no scalar tail: a tail loop would start at Width.
        Assert.DoesNotContain("i < Width; i++) {", files["User.Model.AddNorm.g.cs"].Replace("for (int i = 0; i < Width; i++) {", ""));
    }

    [Fact]
    public void LayerNormModelsNameTheirPlacement()
    {
        string bert = Files(Bert)["User.Model.Shape.g.cs"];
        Assert.Contains("LayerNorm(residual + sub-layer)", bert);
        Assert.Contains("ε of every LayerNorm", bert);
        string gpt2 = Files(Gpt2)["User.Model.Shape.g.cs"];
        Assert.Contains("then LayerNorm over 128", gpt2);
        string gpt2Blocks = Files(Gpt2)["User.Model.Blocks.g.cs"];
        Assert.Contains("GeluTanh(y·W1ᵀ + b1)·W2ᵀ + b2", gpt2Blocks);
        Assert.Contains("the learned position row", Files(Bert)["User.Model.Model.g.cs"]);
        Assert.Contains("the sinusoidal position row", Files(Translator)["User.Model.Model.g.cs"]);
    }
}
