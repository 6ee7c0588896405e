using System.Collections.Generic;
using TransformerKernels.Generators.Diagnostics;
using TransformerKernels.Generators.Helpers;

namespace TransformerKernels.Generators.Config;

/// <summary>
/// What a config.json says about the model, in the attribute's own terms: a value for every shape property the file
/// determines (enums as their underlying int, the way Roslyn gives attribute arguments), the config field each came
/// from (for messages), and the positions the model can take, which bound MaxSeqLen.
/// </summary>
internal sealed class ConfigMap
{
    public Dictionary<string, object?> Values { get; } = new();

    /// <summary>Property → the config field (or fields) that set it.</summary>
    public Dictionary<string, string> Fields { get; } = new();

    /// <summary>Positions the model has weights or a trained range for (MaxSeqLen may not exceed them).</summary>
    public int AvailablePositions { get; set; }

    /// <summary>The field <see cref="AvailablePositions"/> comes from (max_position_embeddings, n_positions).</summary>
    public string PositionsField { get; set; } = "";

    /// <summary>MaxSeqLen when the attribute does not give one.</summary>
    public int DefaultMaxSeqLen { get; set; }

    /// <summary>A sliding attention window in effect (Mistral, Qwen2), which MaxSeqLen may not exceed; null = none.</summary>
    public int? SlidingWindow { get; set; }

    public void Set(string property, object? value, string field)
    {
        Values[property] = value;
        Fields[property] = field;
    }
}

/// <summary>
/// Maps a Hugging Face config.json onto the attribute's properties, one method per family of <c>model_type</c>. Every
/// field the kernels cannot honour is a diagnostic naming it, never a silently different model.
/// </summary>
internal static class ConfigMapping
{
    /// <summary>The model_type values understood, as the TK0019 message lists them.</summary>
    public static readonly string[] SupportedModelTypes = { "bert", "roberta", "xlm-roberta", "llama", "mistral", "qwen2", "gpt2" };

    // The shape enums (Shapes/ShapeOptions.cs, linked into the generator) as the underlying values Roslyn gives attribute
    // arguments as, which the map's values are compared with.
    private const int NormPost = (int)NormPlacement.Post, NormPre = (int)NormPlacement.Pre, NormRms = (int)NormPlacement.RmsNorm;
    private const int ActRelu = (int)global::TransformerKernels.Activation.Relu, ActGelu = (int)global::TransformerKernels.Activation.Gelu, ActGeluTanh = (int)global::TransformerKernels.Activation.GeluTanh, ActSwiGlu = (int)global::TransformerKernels.Activation.SwiGlu;
    private const int PositionsLearned = (int)PositionEncoding.Learned, PositionsRotary = (int)PositionEncoding.Rotary;
    private const int RopeNone = (int)RopeScaling.None, RopeLinear = (int)RopeScaling.Linear, RopeLlama3 = (int)RopeScaling.Llama3;

    /// <summary>
    /// Decoder MaxSeqLen when the attribute gives none: Llama 3.2 declares 131072 positions, and every scratch buffer and
    /// key/value cache is sized from MaxSeqLen, so the default is capped here (docs/diagnostics.md, TK0021).
    /// </summary>
    public const int DefaultDecoderMaxSeqLen = 2048;

    /// <summary>Reads <paramref name="root"/>; returns null (with diagnostics) when the model type is not supported.</summary>
    public static ConfigMap? Map(ConfigFields root)
    {
        string? modelType = root.String("model_type") ?? FromArchitectures(root);
        var map = new ConfigMap();
        switch (modelType)
        {
            case "bert":
                MapBert(root, map, positionOffset: 0);
                return map;
            case "roberta":
            case "xlm-roberta":
                // RoBERTa numbers positions from padding_idx + 1: rows 0..pad_token_id of its position table are never used.
                MapBert(root, map, positionOffset: root.Int("pad_token_id", 1) + 1);
                return map;
            case "llama":
            case "mistral":
            case "qwen2":
                MapLlama(root, map, modelType);
                return map;
            case "gpt2":
                MapGpt2(root, map);
                return map;
            default:
                string problem = modelType is null
                    ? "model_type is missing and architectures names no supported model"
                    : $"model_type \"{modelType}\" is not supported";
                root.Diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnsupportedModelType, root.Location, root.Path, problem, string.Join(", ", SupportedModelTypes)));
                return null;
        }
    }

    /// <summary>Without model_type, the first architecture (BertModel, LlamaForCausalLM, GPT2LMHeadModel, ...) says the family.</summary>
    private static string? FromArchitectures(ConfigFields root)
    {
        if (root.Raw("architectures") is not JsonArray { Items.Count: > 0 } architectures || architectures.Items[0] is not JsonString first)
        {
            return null;
        }
        foreach ((string prefix, string modelType) in new[]
                 {
                     ("XLMRoberta", "xlm-roberta"), ("Roberta", "roberta"), ("Bert", "bert"), ("Llama", "llama"),
                     ("Mistral", "mistral"), ("Qwen2", "qwen2"), ("GPT2", "gpt2"),
                 })
        {
            if (first.Value.StartsWith(prefix, System.StringComparison.Ordinal))
            {
                string rest = first.Value.Substring(prefix.Length);
                if (rest.StartsWith("Model", System.StringComparison.Ordinal) || rest.StartsWith("For", System.StringComparison.Ordinal) ||
                    rest.StartsWith("LMHead", System.StringComparison.Ordinal))
                {
                    return modelType;
                }
            }
        }
        return null;
    }

    private static void MapBert(ConfigFields c, ConfigMap map, int positionOffset)
    {
        int heads = c.Int("num_attention_heads");
        map.Set("DModel", c.Int("hidden_size"), "hidden_size");
        map.Set("Heads", heads, "num_attention_heads");
        map.Set("KvHeads", heads, "num_attention_heads");
        map.Set("EncoderLayers", c.Int("num_hidden_layers"), "num_hidden_layers");
        map.Set("DecoderLayers", 0, "model_type");
        map.Set("FfnDim", c.Int("intermediate_size"), "intermediate_size");
        map.Set("Vocab", c.Int("vocab_size"), "vocab_size");
        map.Set("SourceVocab", 0, "model_type");
        map.Set("TargetVocab", 0, "model_type");
        map.Set("TokenTypes", c.Int("type_vocab_size", 2), "type_vocab_size");
        map.Set("Norm", NormPost, "model_type");
        map.Set("Positions", PositionsLearned, "model_type");
        map.Set("Bias", true, "model_type");
        map.Set("LayerNormEpsilon", c.Double("layer_norm_eps", 1e-12), "layer_norm_eps");
        map.Set("Activation", Activation(c, "hidden_act", "gelu"), "hidden_act");

        int table = c.Int("max_position_embeddings", 512);
        string positionsField = positionOffset == 0 ? "max_position_embeddings" : $"max_position_embeddings − (pad_token_id + 1)";
        if (table - positionOffset < 1)
        {
            c.Invalid("max_position_embeddings", positionOffset == 0 ? "a positive number" : $"more than pad_token_id + 1 = {positionOffset}");
        }
        map.Set("PositionTableSize", table - positionOffset, positionsField);
        map.AvailablePositions = table - positionOffset;
        map.PositionsField = positionsField;
        map.DefaultMaxSeqLen = table - positionOffset;

        string embedding = c.String("position_embedding_type") ?? "absolute";
        if (embedding != "absolute")
        {
            c.Unsupported("position_embedding_type", "the kernels add an absolute learned position table (\"absolute\"); relative position scores are not generated");
        }
        if (c.Bool("is_decoder", false))
        {
            c.Unsupported("is_decoder", "BERT-family models are generated as encoders (bidirectional attention)");
        }
    }

    private static int Activation(ConfigFields c, string field, string fallback)
    {
        switch (c.String(field) ?? fallback)
        {
            case "gelu": return ActGelu;
            case "gelu_new":
            case "gelu_pytorch_tanh": return ActGeluTanh;
            case "relu": return ActRelu;
            default:
                c.Unsupported(field, "the kernels generate \"gelu\" (erf), \"gelu_new\" / \"gelu_pytorch_tanh\" (tanh approximation) and \"relu\"");
                return ActGelu;
        }
    }

    private static void MapLlama(ConfigFields c, ConfigMap map, string modelType)
    {
        int dModel = c.Int("hidden_size"), heads = c.Int("num_attention_heads");
        map.Set("DModel", dModel, "hidden_size");
        map.Set("Heads", heads, "num_attention_heads");
        // Absent, num_key_value_heads means ordinary multi-head attention.
        map.Set("KvHeads", c.Int("num_key_value_heads", heads), c.Has("num_key_value_heads") ? "num_key_value_heads" : "num_attention_heads");
        map.Set("EncoderLayers", 0, "model_type");
        map.Set("DecoderLayers", c.Int("num_hidden_layers"), "num_hidden_layers");
        map.Set("FfnDim", c.Int("intermediate_size"), "intermediate_size");
        map.Set("Vocab", c.Int("vocab_size"), "vocab_size");
        map.Set("SourceVocab", 0, "model_type");
        map.Set("TargetVocab", 0, "model_type");
        map.Set("TokenTypes", 0, "model_type");
        map.Set("PositionTableSize", 0, "model_type");
        map.Set("Norm", NormRms, "model_type");
        map.Set("Activation", ActSwiGlu, "hidden_act");
        map.Set("Positions", PositionsRotary, "model_type");
        map.Set("RotaryDimensions", 0, "model_type");
        map.Set("RotaryTheta", c.Double("rope_theta", 10000), "rope_theta");
        map.Set("LayerNormEpsilon", c.Double("rms_norm_eps", 1e-6), "rms_norm_eps");
        map.Set("Bias", false, "model_type");
        // Qwen2 has biases on the query, key and value projections only (hard-wired in its modeling code, not in the file).
        map.Set("QkvBias", modelType == "qwen2", "model_type");

        string activation = c.String("hidden_act") ?? "silu";
        if (activation != "silu")
        {
            c.Unsupported("hidden_act", "the gated feed-forward is generated with SiLU (\"silu\", Activation = SwiGlu) only");
        }
        if (dModel > 0 && heads > 0 && c.OptionalInt("head_dim") is int headDim && headDim != dModel / heads)
        {
            c.Unsupported("head_dim", $"the kernels derive the head width as hidden_size / num_attention_heads = {dModel / heads}");
        }
        foreach (string field in new[] { "attention_bias", "mlp_bias" })
        {
            if (c.Bool(field, false))
            {
                c.Unsupported(field, "biases on these linear layers are not generated for this model_type (qwen2's q/k/v biases are)");
            }
        }

        int positions = c.Int("max_position_embeddings");
        map.AvailablePositions = positions;
        map.PositionsField = "max_position_embeddings";
        map.DefaultMaxSeqLen = System.Math.Min(positions, DefaultDecoderMaxSeqLen);

        // Mistral attends within a window; Qwen2 only when use_sliding_window is true. Either is exact while MaxSeqLen ≤ window.
        bool windowed = modelType == "mistral" || (modelType == "qwen2" && c.Bool("use_sliding_window", false));
        if (windowed && c.OptionalInt("sliding_window") is int window)
        {
            map.SlidingWindow = window;
        }

        MapRopeScaling(c, map);
    }

    private static void MapRopeScaling(ConfigFields c, ConfigMap map)
    {
        int kind = RopeNone;
        double factor = 1, low = 1, high = 4;
        int original = 8192;
        ConfigFields? scaling = c.Object("rope_scaling");
        if (scaling is not null)
        {
            string typeField = scaling.Has("rope_type") ? "rope_type" : "type";
            switch (scaling.String(typeField))
            {
                case null when !scaling.Has(typeField):
                    scaling.Invalid("rope_type", "\"linear\" or \"llama3\"");
                    break;
                case null:
                    break; // wrong JSON type, already reported
                case "default":
                    break;
                case "linear":
                    kind = RopeLinear;
                    factor = Positive(scaling, "factor");
                    break;
                case "llama3":
                    kind = RopeLlama3;
                    factor = Positive(scaling, "factor");
                    low = Positive(scaling, "low_freq_factor");
                    high = Positive(scaling, "high_freq_factor");
                    original = scaling.Int("original_max_position_embeddings");
                    if (high <= low && scaling.Has("high_freq_factor"))
                    {
                        scaling.Invalid("high_freq_factor", $"a number above low_freq_factor = {ConfigFields.Format(low)}");
                    }
                    if (original <= 0 && scaling.Has("original_max_position_embeddings"))
                    {
                        scaling.Invalid("original_max_position_embeddings", "a positive whole number");
                    }
                    break;
                default:
                    scaling.Unsupported(typeField, "the kernels generate rope_scaling of type \"linear\" and \"llama3\" (or none: null); dynamic, yarn, longrope and others are not supported");
                    break;
            }
        }
        // Only the parameters the kind reads: the parser refuses a scaling parameter that its scaling never uses.
        map.Set("RopeScaling", kind, "rope_scaling");
        if (kind != RopeNone)
        {
            map.Set("RopeScalingFactor", factor, "rope_scaling.factor");
        }
        if (kind == RopeLlama3)
        {
            map.Set("RopeLowFrequencyFactor", low, "rope_scaling.low_freq_factor");
            map.Set("RopeHighFrequencyFactor", high, "rope_scaling.high_freq_factor");
            map.Set("RopeOriginalMaxPositions", original, "rope_scaling.original_max_position_embeddings");
        }
    }

    private static double Positive(ConfigFields c, string field)
    {
        double value = c.Double(field);
        if (!(value > 0) || double.IsInfinity(value))
        {
            c.Invalid(field, "a positive number");
        }
        return value;
    }

    private static void MapGpt2(ConfigFields c, ConfigMap map)
    {
        int dModel = c.Int("n_embd"), heads = c.Int("n_head");
        map.Set("DModel", dModel, "n_embd");
        map.Set("Heads", heads, "n_head");
        map.Set("KvHeads", heads, "n_head");
        map.Set("EncoderLayers", 0, "model_type");
        map.Set("DecoderLayers", c.Int("n_layer"), "n_layer");
        // n_inner null means 4 × n_embd.
        map.Set("FfnDim", c.Int("n_inner", 4 * dModel), c.Has("n_inner") ? "n_inner" : "n_inner (null: 4 × n_embd)");
        map.Set("Vocab", c.Int("vocab_size"), "vocab_size");
        map.Set("SourceVocab", 0, "model_type");
        map.Set("TargetVocab", 0, "model_type");
        map.Set("TokenTypes", 0, "model_type");
        map.Set("Norm", NormPre, "model_type");
        map.Set("Positions", PositionsLearned, "model_type");
        map.Set("Bias", true, "model_type");
        map.Set("LayerNormEpsilon", c.Double("layer_norm_epsilon", 1e-5), "layer_norm_epsilon");
        map.Set("Activation", Activation(c, "activation_function", "gelu_new"), "activation_function");

        int positions = c.Int("n_positions");
        map.Set("PositionTableSize", positions, "n_positions");
        map.AvailablePositions = positions;
        map.PositionsField = "n_positions";
        map.DefaultMaxSeqLen = positions;
    }
}
