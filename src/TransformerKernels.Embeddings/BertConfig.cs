using System.Globalization;
using System.Text.Json;

namespace TransformerKernels.Embeddings;

/// <summary>
/// A BERT <c>config.json</c> checked against the declared model, so a directory of another shape is refused by field instead
/// of failing on a tensor shape or, worse, loading (a different ε or activation would load and compute something else).
/// </summary>
internal static class BertConfig
{
    public const string FileName = "config.json";

    /// <summary>Reads and checks <c>config.json</c> in <paramref name="directory"/>; returns its root for further fields.</summary>
    /// <exception cref="ModelFileException">The file is missing or damaged.</exception>
    /// <exception cref="UnsupportedModelException">It is not a BERT model (model_type, position_embedding_type).</exception>
    /// <exception cref="ModelConfigurationException">A field disagrees with <paramref name="shape"/>.</exception>
    public static JsonElement Check(string directory, ModelShape shape)
    {
        string path = Path.Combine(directory, FileName);
        JsonElement root = JsonFile.Object(path, JsonFile.Read(path));
        string? type = JsonFile.String(path, root, "model_type");
        if (type is not null && type != "bert")
        {
            throw new UnsupportedModelException(path, "model_type", $"is '{type}'; this loader reads BERT checkpoints (model_type \"bert\").");
        }
        if (JsonFile.String(path, root, "position_embedding_type") is { } positions && positions != "absolute")
        {
            throw new UnsupportedModelException(path, "position_embedding_type", $"is '{positions}'; only absolute (learned) positions are supported.");
        }
        Require(path, root, "hidden_size", shape.DModel);
        Require(path, root, "num_hidden_layers", shape.EncoderLayers);
        Require(path, root, "num_attention_heads", shape.Heads);
        Require(path, root, "intermediate_size", shape.FfnDim);
        Require(path, root, "vocab_size", shape.EncoderVocab);
        Require(path, root, "max_position_embeddings", shape.PositionTableSize);
        Require(path, root, "type_vocab_size", shape.TokenTypes);
        string activation = JsonFile.String(path, root, "hidden_act") ?? "gelu";
        if (activation != "gelu" || shape.Activation != Activation.Gelu)
        {
            throw new ModelConfigurationException(path, "hidden_act", $"{shape.Activation} (gelu, the erf form, is what BERT's \"gelu\" means)", activation);
        }
        if (root.TryGetProperty("layer_norm_eps", out JsonElement eps) && eps.ValueKind == JsonValueKind.Number
            && Math.Abs(eps.GetDouble() - shape.LayerNormEpsilon) > 1e-3 * eps.GetDouble())
        {
            throw new ModelConfigurationException(path, "layer_norm_eps", shape.LayerNormEpsilon.ToString("R", CultureInfo.InvariantCulture), eps.GetRawText());
        }
        if (shape.Positions != PositionEncoding.Learned || shape.Norm != NormPlacement.Post || shape.DecoderLayers != 0)
        {
            throw new ModelConfigurationException(path, "model_type", "BERT (learned positions, post-norm, encoder only)", $"a declaration with {shape.Positions} positions, {shape.Norm}, {shape.DecoderLayers} decoder layers");
        }
        return root;
    }

    private static void Require(string path, JsonElement root, string field, int expected)
    {
        if (JsonFile.Integer(path, root, field) is { } actual && actual != expected)
        {
            throw new ModelConfigurationException(path, field, expected.ToString(CultureInfo.InvariantCulture), actual.ToString(CultureInfo.InvariantCulture));
        }
    }
}
