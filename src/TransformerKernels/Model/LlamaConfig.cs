using System.Globalization;
using System.Text.Json;

namespace TransformerKernels;

/// <summary>Checks a Hugging Face Llama-family <c>config.json</c> against a declared shape, field by field.</summary>
internal static class LlamaConfig
{
    /// <summary>Checks the config.json in the directory of <paramref name="weightsPath"/>, when there is one.</summary>
    /// <exception cref="ModelConfigurationException">A field disagrees with the declaration.</exception>
    public static void CheckBeside(string weightsPath, ModelShape shape)
    {
        string path = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(weightsPath))!, "config.json");
        if (File.Exists(path))
        {
            Check(path, shape);
        }
    }

    /// <inheritdoc cref="CheckBeside"/>
    public static void Check(string path, ModelShape shape)
    {
        using JsonDocument document = JsonDocument.Parse(File.ReadAllBytes(path));
        JsonElement root = document.RootElement;
        int heads = Int(root, "num_attention_heads", shape.Heads, path);
        Require(path, "hidden_size", shape.DModel, Int(root, "hidden_size", shape.DModel, path));
        Require(path, "num_attention_heads", shape.Heads, heads);
        Require(path, "num_key_value_heads", shape.KvHeads == 0 ? shape.Heads : shape.KvHeads, Int(root, "num_key_value_heads", heads, path));
        Require(path, "num_hidden_layers", shape.DecoderLayers, Int(root, "num_hidden_layers", shape.DecoderLayers, path));
        Require(path, "intermediate_size", shape.FfnDim, Int(root, "intermediate_size", shape.FfnDim, path));
        Require(path, "vocab_size", shape.DecoderVocab, Int(root, "vocab_size", shape.DecoderVocab, path));
        if (root.TryGetProperty("hidden_act", out JsonElement act) && act.GetString() is { } activation && activation != "silu")
        {
            throw new ModelConfigurationException(path, "hidden_act", "\"silu\" (Activation = SwiGlu)", $"\"{activation}\"");
        }
        if (root.TryGetProperty("rms_norm_eps", out JsonElement eps) && Math.Abs(eps.GetDouble() - shape.LayerNormEpsilon) > 1e-3 * eps.GetDouble())
        {
            throw new ModelConfigurationException(path, "rms_norm_eps", Format(shape.LayerNormEpsilon), Format(eps.GetDouble()));
        }
        if (root.TryGetProperty("rope_theta", out JsonElement theta) && Math.Abs(theta.GetDouble() - shape.RotaryTheta) > 1e-6 * theta.GetDouble())
        {
            throw new ModelConfigurationException(path, "rope_theta", Format(shape.RotaryTheta) + " (RotaryTheta)", Format(theta.GetDouble()));
        }
        if (root.TryGetProperty("rope_scaling", out JsonElement scaling) && scaling.ValueKind != JsonValueKind.Null)
        {
            throw new ModelConfigurationException(path, "rope_scaling", "null (scaled rotary positions are not generated)", scaling.GetRawText());
        }
        if (root.TryGetProperty("max_position_embeddings", out JsonElement positions) && positions.GetInt32() < shape.MaxSeqLen)
        {
            throw new ModelConfigurationException(path, "max_position_embeddings", $"at least {shape.MaxSeqLen} (MaxSeqLen)", positions.GetInt32().ToString(CultureInfo.InvariantCulture));
        }
    }

    private static int Int(JsonElement root, string name, int fallback, string path)
    {
        if (!root.TryGetProperty(name, out JsonElement value))
        {
            return fallback;
        }
        return value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out int number)
            ? number
            : throw new ModelConfigurationException(path, name, "a whole number", value.GetRawText());
    }

    private static void Require(string path, string field, int expected, int actual)
    {
        if (expected != actual)
        {
            throw new ModelConfigurationException(path, field, expected.ToString(CultureInfo.InvariantCulture), actual.ToString(CultureInfo.InvariantCulture));
        }
    }

    private static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
