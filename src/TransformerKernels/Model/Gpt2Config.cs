using System.Globalization;
using System.Text.Json;

namespace TransformerKernels;

/// <summary>Checks a Hugging Face GPT-2 <c>config.json</c> against a declared shape, field by field.</summary>
internal static class Gpt2Config
{
    /// <summary>Checks the config.json in the directory of <paramref name="weightsPath"/>, when there is one.</summary>
    /// <exception cref="ModelConfigurationException">A field disagrees with the declaration.</exception>
    public static void CheckBeside(string weightsPath, ModelShape shape)
    {
        string path = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(weightsPath))!, "config.json");
        if (!File.Exists(path))
        {
            return;
        }
        using JsonDocument document = JsonDocument.Parse(File.ReadAllBytes(path));
        JsonElement root = document.RootElement;
        Require(path, root, "n_embd", shape.DModel);
        Require(path, root, "n_head", shape.Heads);
        Require(path, root, "n_layer", shape.DecoderLayers);
        Require(path, root, "n_positions", shape.PositionTableSize);
        Require(path, root, "vocab_size", shape.DecoderVocab);
        if (root.TryGetProperty("n_inner", out JsonElement inner) && inner.ValueKind != JsonValueKind.Null)
        {
            Require(path, root, "n_inner", shape.FfnDim);
        }
        else if (shape.FfnDim != 4 * shape.DModel)
        {
            throw new ModelConfigurationException(path, "n_inner", shape.FfnDim.ToString(CultureInfo.InvariantCulture), $"null (4 × n_embd = {4 * shape.DModel})");
        }
        if (root.TryGetProperty("activation_function", out JsonElement act) && act.GetString() is { } activation && activation is not ("gelu_new" or "gelu_pytorch_tanh"))
        {
            throw new ModelConfigurationException(path, "activation_function", "\"gelu_new\" (Activation = GeluTanh)", $"\"{activation}\"");
        }
        if (root.TryGetProperty("layer_norm_epsilon", out JsonElement eps) && Math.Abs(eps.GetDouble() - shape.LayerNormEpsilon) > 1e-3 * eps.GetDouble())
        {
            throw new ModelConfigurationException(path, "layer_norm_epsilon", shape.LayerNormEpsilon.ToString("R", CultureInfo.InvariantCulture), eps.GetDouble().ToString("R", CultureInfo.InvariantCulture));
        }
    }

    private static void Require(string path, JsonElement root, string field, int expected)
    {
        if (!root.TryGetProperty(field, out JsonElement value))
        {
            return;
        }
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt32(out int actual) || actual != expected)
        {
            throw new ModelConfigurationException(path, field, expected.ToString(CultureInfo.InvariantCulture), value.GetRawText());
        }
    }
}
