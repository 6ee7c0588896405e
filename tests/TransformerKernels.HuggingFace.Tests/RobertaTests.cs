namespace TransformerKernels.HuggingFace.Tests;

/// <summary>
/// Data/roberta_tiny (RoBERTa names under <c>roberta.</c>, pad_token_id 1, an MLM head the encoder ignores) loaded with the
/// default naming by the declaration <typeparamref name="TModel"/> against its PyTorch reference: the last hidden state at
/// every position, one sequence at a time and all sequences packed into one call. Run through the explicit declaration
/// (Models.cs) and the config.json one (ConfigDeclaredModels.cs).
/// </summary>
public abstract class EncoderParityTests<TModel> where TModel : class, IEncoderModel<TModel>
{
    // The bound; hidden states are LayerNorm outputs of magnitude up to ~3. Measured: see the report (~1e-6).
    private const double Tolerance = 1e-4;
    private static readonly int D = TModel.Shape.DModel;

    private static TModel Load(int maxBatch) =>
        TModel.Load(Reference.Data("roberta_tiny"), WeightNaming.Auto, maxBatch, allowUnusedTensors: false, WeightPrecision.Fp32);

    [Fact]
    public void HiddenStatesAtEveryPositionMatchPyTorch()
    {
        using TModel model = Load(maxBatch: 1);
        using SafeTensorsFile io = Reference.Open("roberta_tiny");
        float[] expected = io.ReadArray("hidden");
        int row = 0;
        foreach (int[] ids in Reference.Sequences(io, "ids", "lengths"))
        {
            var hidden = new float[ids.Length * D];
            model.EncodePacked(ids, [ids.Length], hidden);
            Reference.AssertClose(expected.AsSpan(row * D, ids.Length * D), hidden, Tolerance, $"sequence of {ids.Length}");
            row += ids.Length;
        }
        Assert.Equal(expected.Length, row * D);
    }

    [Fact]
    public void APackedBatchMatchesPyTorchAtEveryPosition()
    {
        using SafeTensorsFile io = Reference.Open("roberta_tiny");
        int[][] sequences = Reference.Sequences(io, "ids", "lengths");
        using TModel model = Load(maxBatch: sequences.Length);
        float[] expected = io.ReadArray("hidden");
        var hidden = new float[expected.Length];
        model.EncodePacked([.. sequences.SelectMany(s => s)], [.. sequences.Select(s => s.Length)], hidden);
        Reference.AssertClose(expected, hidden, Tolerance, $"{sequences.Length} sequences packed");
    }
}

public sealed class RobertaParityTests : EncoderParityTests<TinyRoberta>;

public sealed class RobertaFromConfigParityTests : EncoderParityTests<TinyRobertaFromConfig>;

/// <summary>
/// Data/roberta_tiny through the explicit declaration's own API (a right-padded batch) and its config checks: fields that
/// disagree, the position offset, other namings.
/// </summary>
public sealed class RobertaTests
{
    // As in EncoderParityTests.
    private const double Tolerance = 1e-4;
    private const int D = TinyRoberta.DModel;

    [Fact]
    public void APaddedBatchMatchesPyTorchAtEveryRealPosition()
    {
        using var model = TinyRoberta.Load(Reference.Data("roberta_tiny"), maxBatch: 3);
        using SafeTensorsFile io = Reference.Open("roberta_tiny");
        float[] expected = io.ReadArray("hidden");
        int[][] sequences = Reference.Sequences(io, "ids", "lengths");
        int length = sequences.Max(s => s.Length);
        // Right-padded with RoBERTa's pad id; the padded rows are not compared.
        int[] ids = [.. sequences.SelectMany(s => s.Concat(Enumerable.Repeat(BertPadId, length - s.Length)))];
        var hidden = new float[sequences.Length * length * D];
        model.Encode(ids, sequences.Length, length, [.. sequences.Select(s => s.Length)], hidden);
        for (int k = 0, row = 0; k < sequences.Length; row += sequences[k].Length, k++)
        {
            Reference.AssertClose(expected.AsSpan(row * D, sequences[k].Length * D), hidden.AsSpan(k * length * D, sequences[k].Length * D), Tolerance, $"batch row {k}");
        }
    }

    private const int BertPadId = 1;

    [Fact]
    public void XlmRobertaIsReadWithTheSameNames()
    {
        using var copy = Reference.Copy("roberta_tiny", config => config["model_type"] = "xlm-roberta");
        using var model = TinyRoberta.Load(copy.Directory);
        using SafeTensorsFile io = Reference.Open("roberta_tiny");
        var hidden = new float[3 * D];
        model.Encode([0, 7, 2], hidden);
        Reference.AssertClose(io.ReadArray("hidden").AsSpan(0, 3 * D), hidden, Tolerance, "sequence of 3 as xlm-roberta");
    }

    [Fact]
    public void MaxPositionEmbeddingsMustCoverThePositionTableAfterTheOffset()
    {
        // 18 rows − 2 (pad_token_id 1 + 1) = 16 = PositionTableSize; 20 would mean 18 positions.
        using var copy = Reference.Copy("roberta_tiny", config => config["max_position_embeddings"] = 20);
        var e = Assert.Throws<ModelConfigurationException>(() => TinyRoberta.Load(copy.Directory).Dispose());
        Assert.Equal("max_position_embeddings", e.Field);
        Assert.Equal("PositionTableSize", e.Property);
        Assert.Contains("PositionTableSize", e.Message);
    }

    [Fact]
    public void APadTokenIdOtherThanTheTableSaysIsRefusedByThePositionTable()
    {
        // pad_token_id 0 → offset 1: the table would need 17 rows, the file has 18.
        using var copy = Reference.Copy("roberta_tiny", config => config["pad_token_id"] = 0);
        var e = Assert.Throws<ModelConfigurationException>(() => TinyRoberta.Load(copy.Directory).Dispose());
        Assert.Equal("max_position_embeddings", e.Field);
    }

    [Theory]
    [InlineData("hidden_size", "64", "DModel")]
    [InlineData("num_attention_heads", "8", "Heads")]
    [InlineData("num_hidden_layers", "3", "EncoderLayers")]
    [InlineData("intermediate_size", "65", "FfnDim")]
    [InlineData("vocab_size", "51", "Vocab")]
    [InlineData("type_vocab_size", "2", "TokenTypes")]
    [InlineData("layer_norm_eps", "1e-12", "LayerNormEpsilon")]
    [InlineData("hidden_act", "\"relu\"", "Activation")]
    public void AConfigThatDisagreesNamesTheFieldAndTheProperty(string field, string value, string property)
    {
        using var copy = Reference.Copy("roberta_tiny", config => config[field] = System.Text.Json.Nodes.JsonNode.Parse(value));
        var e = Assert.Throws<ModelConfigurationException>(() => TinyRoberta.Load(copy.Directory).Dispose());
        Assert.Equal(field, e.Field);
        Assert.Equal(property, e.Property);
        Assert.Contains(field, e.Message);
        Assert.Contains(property, e.Message);
    }

    [Fact]
    public void BertNamesOnARobertaCheckpointSayWhichNamingToUse()
    {
        // BERT's config check meets RoBERTa's offset table first (18 rows for 16 positions): the error says to use Roberta.
        var e = Assert.Throws<ModelConfigurationException>(() => TinyRoberta.Load(Reference.Data("roberta_tiny"), WeightNaming.Bert).Dispose());
        Assert.Contains("WeightNaming.Roberta", e.Message);
        Assert.Contains("model_type \"roberta\"", e.Message);
    }

    [Fact]
    public void BertNamesWithoutAConfigFindNoRobertaTensors()
    {
        using var copy = Reference.Copy("roberta_tiny");
        File.Delete(copy.ConfigPath);
        // Without config.json: Auto means PyTorch names, which are not there; explicit Roberta works (pad_token_id 1 by default).
        Assert.Throws<ModelWeightsException>(() => TinyRoberta.Load(copy.Directory).Dispose());
        using var model = TinyRoberta.Load(copy.Directory, WeightNaming.Roberta);
        using SafeTensorsFile io = Reference.Open("roberta_tiny");
        var hidden = new float[3 * D];
        model.Encode([0, 7, 2], hidden);
        Reference.AssertClose(io.ReadArray("hidden").AsSpan(0, 3 * D), hidden, Tolerance, "sequence of 3, no config.json");
    }
}
