using System.Globalization;
using System.Text.Json;

namespace TransformerKernels;

/// <summary>Checks a Hugging Face Llama-family <c>config.json</c> against a declared shape, field by field.</summary>
internal static class LlamaConfig
{
    /// <summary>Checks the config.json in the directory of <paramref name="weightsPath"/>, when there is one.</summary>
    /// <exception cref="ModelConfigurationException">A field disagrees with the declaration.</exception>
    public static void CheckBeside(string weightsPath, ModelShape shape) => ConfigJson.CheckBeside(weightsPath, (path, root) => Check(path, root, shape));

    private static void Check(string path, JsonElement root, ModelShape shape)
    {
        int heads = ConfigJson.Int(path, root, "num_attention_heads", shape.Heads);
        ConfigJson.Require(path, root, "hidden_size", shape.DModel);
        ConfigJson.Require(path, "num_attention_heads", shape.Heads, heads);
        // Absent, num_key_value_heads means ordinary multi-head attention: as many key/value heads as query heads.
        ConfigJson.Require(path, "num_key_value_heads", shape.KvHeads == 0 ? shape.Heads : shape.KvHeads, ConfigJson.Int(path, root, "num_key_value_heads", heads));
        ConfigJson.Require(path, root, "num_hidden_layers", shape.DecoderLayers);
        ConfigJson.Require(path, root, "intermediate_size", shape.FfnDim);
        ConfigJson.Require(path, root, "vocab_size", shape.DecoderVocab);
        if (root.TryGetProperty("hidden_act", out JsonElement act) && act.GetString() is { } activation && activation != "silu")
        {
            throw new ModelConfigurationException(path, "hidden_act", "\"silu\" (Activation = SwiGlu)", $"\"{activation}\"");
        }
        ConfigJson.RequireClose(path, root, "rms_norm_eps", shape.LayerNormEpsilon, 1e-3, ConfigJson.Format(shape.LayerNormEpsilon));
        ConfigJson.RequireClose(path, root, "rope_theta", shape.RotaryTheta, 1e-6, ConfigJson.Format(shape.RotaryTheta) + " (RotaryTheta)");
        if (root.TryGetProperty("rope_scaling", out JsonElement scaling) && scaling.ValueKind != JsonValueKind.Null)
        {
            throw new ModelConfigurationException(path, "rope_scaling", "null (scaled rotary positions are not generated)", scaling.GetRawText());
        }
        if (root.TryGetProperty("max_position_embeddings", out JsonElement positions) && positions.GetInt32() < shape.MaxSeqLen)
        {
            throw new ModelConfigurationException(path, "max_position_embeddings", $"at least {shape.MaxSeqLen} (MaxSeqLen)", positions.GetInt32().ToString(CultureInfo.InvariantCulture));
        }
    }
}
