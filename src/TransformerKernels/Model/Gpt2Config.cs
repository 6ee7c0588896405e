using System.Globalization;
using System.Text.Json;

namespace TransformerKernels;

/// <summary>Checks a Hugging Face GPT-2 <c>config.json</c> against a declared shape, field by field, naming the attribute property of each.</summary>
internal static class Gpt2Config
{
    /// <summary>Checks the config.json in the directory of <paramref name="weightsPath"/>, when there is one.</summary>
    /// <exception cref="ModelConfigurationException">A field disagrees with the declaration.</exception>
    public static void CheckBeside(string weightsPath, ModelShape shape) => ConfigJson.CheckBeside(weightsPath, (path, root) => Check(path, root, shape));

    private static void Check(string path, JsonElement root, ModelShape shape)
    {
        ConfigJson.Require(path, root, "n_embd", shape.DModel, "DModel");
        ConfigJson.Require(path, root, "n_head", shape.Heads, "Heads");
        ConfigJson.Require(path, root, "n_layer", shape.DecoderLayers, "DecoderLayers");
        ConfigJson.Require(path, root, "n_positions", shape.PositionTableSize, "PositionTableSize");
        ConfigJson.Require(path, root, "vocab_size", shape.DecoderVocab, "Vocab");
        if (root.TryGetProperty("n_inner", out JsonElement inner) && inner.ValueKind != JsonValueKind.Null)
        {
            ConfigJson.Require(path, root, "n_inner", shape.FfnDim, "FfnDim");
        }
        else if (shape.FfnDim != 4 * shape.DModel)
        {
            throw new ModelConfigurationException(path, "n_inner", $"FfnDim = {shape.FfnDim.ToString(CultureInfo.InvariantCulture)}", $"null (4 × n_embd = {4 * shape.DModel})", "FfnDim");
        }
        if (ConfigJson.String(path, root, "activation_function") is { } activation && activation is not ("gelu_new" or "gelu_pytorch_tanh"))
        {
            throw new ModelConfigurationException(path, "activation_function", "\"gelu_new\" (Activation = GeluTanh)", $"\"{activation}\"", "Activation");
        }
        ConfigJson.RequireClose(path, root, "layer_norm_epsilon", shape.LayerNormEpsilon, 1e-3, "LayerNormEpsilon");
    }
}
