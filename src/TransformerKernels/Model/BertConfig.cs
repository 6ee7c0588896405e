using System.Globalization;
using System.Text.Json;

namespace TransformerKernels;

/// <summary>
/// Checks a Hugging Face BERT-family <c>config.json</c> (<c>bert</c>, <c>roberta</c>, <c>xlm-roberta</c>) against a declared
/// encoder, field by field, and reads the position offset RoBERTa's table carries.
/// </summary>
internal static class BertConfig
{
    /// <summary>RoBERTa's default <c>pad_token_id</c>: its position table starts at row pad_token_id + 1 = 2.</summary>
    public const int RobertaDefaultPadTokenId = 1;

    /// <summary>
    /// Checks the config.json beside <paramref name="weightsPath"/>, when there is one, and returns the rows the position
    /// table has before position 0: 0 for BERT, pad_token_id + 1 for RoBERTa (2 without a config.json).
    /// </summary>
    /// <exception cref="ModelConfigurationException">A field disagrees with the declaration.</exception>
    public static int CheckBeside(string weightsPath, ModelShape shape, bool roberta)
    {
        int defaultOffset = roberta ? RobertaDefaultPadTokenId + 1 : 0;
        return ConfigJson.ReadBeside<int?>(weightsPath, (path, root) => Check(path, root, shape, roberta)) ?? defaultOffset;
    }

    private static int Check(string path, JsonElement root, ModelShape shape, bool roberta)
    {
        // RoBERTa numbers positions from pad_token_id + 1 (create_position_ids_from_input_ids): rows 0…pad_token_id are never used.
        int offset = roberta ? ConfigJson.Int(path, root, "pad_token_id", RobertaDefaultPadTokenId) + 1 : 0;
        ConfigJson.Require(path, root, "hidden_size", shape.DModel, "DModel");
        ConfigJson.Require(path, root, "num_attention_heads", shape.Heads, "Heads");
        ConfigJson.Require(path, root, "num_hidden_layers", shape.EncoderLayers, "EncoderLayers");
        ConfigJson.Require(path, root, "intermediate_size", shape.FfnDim, "FfnDim");
        ConfigJson.Require(path, root, "vocab_size", shape.EncoderVocab, "Vocab");
        ConfigJson.Require(path, root, "type_vocab_size", shape.TokenTypes, "TokenTypes");
        if (root.TryGetProperty("max_position_embeddings", out _))
        {
            int table = ConfigJson.Int(path, root, "max_position_embeddings", 0);
            if (table - offset != shape.PositionTableSize)
            {
                string expected = offset == 0
                    ? $"PositionTableSize = {shape.PositionTableSize}"
                    : $"PositionTableSize = {shape.PositionTableSize} (max_position_embeddings − {offset}: RoBERTa's first {offset} rows, up to pad_token_id, are no positions)";
                throw new ModelConfigurationException(path, "max_position_embeddings", expected, table.ToString(CultureInfo.InvariantCulture), "PositionTableSize");
            }
        }
        ConfigJson.RequireClose(path, root, "layer_norm_eps", shape.LayerNormEpsilon, 1e-3, "LayerNormEpsilon");
        if (ConfigJson.String(path, root, "hidden_act") is { } act)
        {
            Activation? activation = act switch
            {
                "gelu" => Activation.Gelu,
                "gelu_new" or "gelu_pytorch_tanh" => Activation.GeluTanh,
                "relu" => Activation.Relu,
                _ => null,
            };
            if (activation != shape.Activation)
            {
                throw new ModelConfigurationException(path, "hidden_act", $"Activation = {shape.Activation}", $"\"{act}\"", "Activation");
            }
        }
        if (ConfigJson.String(path, root, "position_embedding_type") is { } positions && positions != "absolute")
        {
            throw new ModelConfigurationException(path, "position_embedding_type", "\"absolute\" (Positions = Learned)", $"\"{positions}\"", "Positions");
        }
        return offset;
    }
}
