using System.Globalization;
using System.Text.Json;

namespace TransformerKernels;

/// <summary>
/// Checks a Hugging Face Llama-family <c>config.json</c> (<c>llama</c>, <c>mistral</c>, <c>qwen2</c>) against a declared shape,
/// field by field; each mismatch names the field and the attribute property to change.
/// </summary>
internal static class LlamaConfig
{
    /// <summary>
    /// Checks the config.json in the directory of <paramref name="weightsPath"/> and returns its <c>tie_word_embeddings</c>
    /// (Hugging Face's default for these families: false), or null when there is no config.json.
    /// </summary>
    /// <exception cref="ModelConfigurationException">A field disagrees with the declaration.</exception>
    public static bool? CheckBeside(string weightsPath, ModelShape shape) => ConfigJson.ReadBeside<bool?>(weightsPath, (path, root) => Check(path, root, shape));

    private static bool Check(string path, JsonElement root, ModelShape shape)
    {
        string modelType = ConfigJson.String(path, root, "model_type") ?? "llama";
        int heads = ConfigJson.Int(path, root, "num_attention_heads", shape.Heads);
        ConfigJson.Require(path, root, "hidden_size", shape.DModel, "DModel");
        ConfigJson.Require(path, "num_attention_heads", shape.Heads, heads, "Heads");
        // Absent, num_key_value_heads means ordinary multi-head attention: as many key/value heads as query heads.
        ConfigJson.Require(path, "num_key_value_heads", shape.KvHeads == 0 ? shape.Heads : shape.KvHeads, ConfigJson.Int(path, root, "num_key_value_heads", heads), "KvHeads");
        ConfigJson.Require(path, root, "head_dim", shape.HeadDim, "Heads (HeadDim = DModel / Heads)");
        ConfigJson.Require(path, root, "num_hidden_layers", shape.DecoderLayers, "DecoderLayers");
        ConfigJson.Require(path, root, "intermediate_size", shape.FfnDim, "FfnDim");
        ConfigJson.Require(path, root, "vocab_size", shape.DecoderVocab, "Vocab");
        if (ConfigJson.String(path, root, "hidden_act") is { } activation && activation != "silu")
        {
            throw new ModelConfigurationException(path, "hidden_act", "\"silu\" (Activation = SwiGlu)", $"\"{activation}\"", "Activation");
        }
        ConfigJson.RequireClose(path, root, "rms_norm_eps", shape.LayerNormEpsilon, 1e-3, "LayerNormEpsilon");
        ConfigJson.RequireClose(path, root, "rope_theta", shape.RotaryTheta, 1e-6, "RotaryTheta");
        CheckRopeScaling(path, root, shape);
        if (root.TryGetProperty("max_position_embeddings", out _) && ConfigJson.Int(path, root, "max_position_embeddings", 0) is int positions && positions < shape.MaxSeqLen)
        {
            throw new ModelConfigurationException(path, "max_position_embeddings", $"MaxSeqLen = {shape.MaxSeqLen} (at most max_position_embeddings)", positions.ToString(CultureInfo.InvariantCulture), "MaxSeqLen");
        }
        CheckSlidingWindow(path, root, shape, modelType);
        CheckBiases(path, root, shape, modelType);
        return ConfigJson.Bool(path, root, "tie_word_embeddings", fallback: false);
    }

    /// <summary>rope_scaling: null, or "linear"/"llama3" with the parameters the declaration has.</summary>
    private static void CheckRopeScaling(string path, JsonElement root, ModelShape shape)
    {
        if (!root.TryGetProperty("rope_scaling", out JsonElement scaling) || scaling.ValueKind == JsonValueKind.Null)
        {
            if (shape.RopeScaling != RopeScaling.None)
            {
                throw new ModelConfigurationException(path, "rope_scaling", $"RopeScaling = {shape.RopeScaling}", "null", "RopeScaling");
            }
            return;
        }
        if (scaling.ValueKind != JsonValueKind.Object)
        {
            throw new ModelConfigurationException(path, "rope_scaling", "null or an object", scaling.GetRawText(), "RopeScaling");
        }
        // Transformers writes the kind as "rope_type" (older files: "type").
        string typeField = scaling.TryGetProperty("rope_type", out _) ? "rope_type" : "type";
        string? type = ConfigJson.String(path, scaling, typeField);
        RopeScaling declared = shape.RopeScaling;
        RopeScaling found = type switch
        {
            "linear" => RopeScaling.Linear,
            "llama3" => RopeScaling.Llama3,
            "default" => RopeScaling.None,
            _ => throw new ModelConfigurationException(
                $"{path}: rope_scaling.{typeField} is {(type is null ? "missing" : $"\"{type}\"")}; the generated rotary tables support \"linear\" and \"llama3\" " +
                "(RopeScaling = RopeScaling.Linear or RopeScaling.Llama3 in [TransformerModel]), not this kind of scaling.",
                "rope_scaling." + typeField, "\"linear\" or \"llama3\" (RopeScaling.Linear, RopeScaling.Llama3)", type is null ? "missing" : $"\"{type}\"", "RopeScaling", null),
        };
        if (found != declared)
        {
            throw new ModelConfigurationException(path, "rope_scaling." + typeField, $"RopeScaling = {declared}", $"\"{type}\"", "RopeScaling");
        }
        if (found == RopeScaling.None)
        {
            return;
        }
        const string prefix = "rope_scaling.";
        ConfigJson.RequireClose(path, scaling, "factor", shape.RopeScalingFactor, 1e-6, "RopeScalingFactor", prefix);
        if (found == RopeScaling.Llama3)
        {
            ConfigJson.RequireClose(path, scaling, "low_freq_factor", shape.RopeLowFrequencyFactor, 1e-6, "RopeLowFrequencyFactor", prefix);
            ConfigJson.RequireClose(path, scaling, "high_freq_factor", shape.RopeHighFrequencyFactor, 1e-6, "RopeHighFrequencyFactor", prefix);
            ConfigJson.Require(path, scaling, "original_max_position_embeddings", shape.RopeOriginalMaxPositions, "RopeOriginalMaxPositions", prefix);
        }
    }

    /// <summary>Sliding-window attention (Mistral, Qwen2) is not generated: accepted only when no position falls outside the window.</summary>
    private static void CheckSlidingWindow(string path, JsonElement root, ModelShape shape, string modelType)
    {
        // Qwen2 writes a window but applies it only with use_sliding_window; Mistral applies any window it names.
        if (modelType == "qwen2" && !ConfigJson.Bool(path, root, "use_sliding_window", fallback: false))
        {
            return;
        }
        if (root.TryGetProperty("sliding_window", out JsonElement window) && window.ValueKind != JsonValueKind.Null
            && ConfigJson.Int(path, root, "sliding_window", 0) is int size && size < shape.MaxSeqLen)
        {
            throw new ModelConfigurationException(path, "sliding_window", $"MaxSeqLen = {shape.MaxSeqLen} (at most sliding_window: sliding-window attention is not generated)",
                size.ToString(CultureInfo.InvariantCulture), "MaxSeqLen");
        }
    }

    /// <summary>Qwen2's q/k/v projections always have biases; Llama's attention_bias puts them on o_proj too.</summary>
    private static void CheckBiases(string path, JsonElement root, ModelShape shape, string modelType)
    {
        if (modelType == "qwen2" && !shape.HasQkvBias)
        {
            throw new ModelConfigurationException(path, "model_type", "no q/k/v biases (QkvBias = false)", "\"qwen2\" (q/k/v projections with biases)", "QkvBias");
        }
        if (ConfigJson.Bool(path, root, "attention_bias", fallback: false) && !shape.Bias)
        {
            throw new ModelConfigurationException(path, "attention_bias", "Bias = false", "true (q/k/v/o projections with biases)", "Bias");
        }
        if (ConfigJson.Bool(path, root, "mlp_bias", fallback: false))
        {
            throw new ModelConfigurationException(path, "mlp_bias", "an MLP without biases (the Llama loader reads none)", "true", null);
        }
    }
}
