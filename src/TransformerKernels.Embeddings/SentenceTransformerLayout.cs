using System.Globalization;
using System.Text.Json;

namespace TransformerKernels.Embeddings;

/// <summary>
/// What a sentence-transformers directory says about its pipeline: <c>modules.json</c> lists the modules in order — a
/// Transformer (BERT here; its files at the module's path, often the directory itself), a Pooling (its
/// <c>config.json</c> picks CLS, mean or max), optionally a Normalize — and the Transformer's
/// <c>sentence_bert_config.json</c> gives <c>max_seq_length</c>, where texts are truncated.
/// </summary>
/// <param name="Directory">The sentence-transformers directory.</param>
/// <param name="TransformerDirectory">Where the BERT files are (config.json, model.safetensors, the tokenizer).</param>
/// <param name="Pooling">Pooling and normalization.</param>
/// <param name="MaxSequenceLength">Most tokens fed per text, [CLS] and [SEP] included; null when the directory does not say.</param>
/// <param name="LowerCaseInput">sentence_bert_config.json's <c>do_lower_case</c>: texts are lower-cased before tokenization.</param>
public sealed record SentenceTransformerLayout(string Directory, string TransformerDirectory, SentencePooling Pooling, int? MaxSequenceLength, bool LowerCaseInput)
{
    /// <summary>The list of modules.</summary>
    public const string ModulesJson = "modules.json";

    /// <summary>The Transformer module's settings.</summary>
    public const string SentenceBertConfigJson = "sentence_bert_config.json";

    private const string TransformerType = "sentence_transformers.models.Transformer", PoolingType = "sentence_transformers.models.Pooling",
        NormalizeType = "sentence_transformers.models.Normalize";

    /// <summary>The pooling modes sentence-transformers knows besides the three computed here.</summary>
    private static readonly string[] UnsupportedPoolingModes =
        ["pooling_mode_mean_sqrt_len_tokens", "pooling_mode_weightedmean_tokens", "pooling_mode_lasttoken"];

    /// <summary>Reads the layout of <paramref name="directory"/>.</summary>
    /// <exception cref="ModelFileException">modules.json or a module's file is missing or damaged.</exception>
    /// <exception cref="UnsupportedModelException">A module or pooling mode other than Transformer → Pooling (CLS, mean or max) → optional Normalize.</exception>
    public static SentenceTransformerLayout Read(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        string modulesPath = Path.Combine(directory, ModulesJson);
        JsonElement modules = JsonFile.Read(modulesPath);
        if (modules.ValueKind != JsonValueKind.Array)
        {
            throw new ModelFileException(modulesPath, "is not a JSON array of modules.");
        }
        var entries = new List<(string Type, string Path)>();
        foreach (JsonElement module in modules.EnumerateArray())
        {
            if (module.ValueKind != JsonValueKind.Object)
            {
                throw new ModelFileException(modulesPath, $"holds {module.GetRawText()}, not a module object.");
            }
            string type = JsonFile.String(modulesPath, module, "type") ?? throw new ModelFileException(modulesPath, "a module has no 'type'.");
            string path = JsonFile.String(modulesPath, module, "path") ?? "";
            if (Path.IsPathRooted(path) || path.Split('/', '\\').Contains(".."))
            {
                throw new ModelFileException(modulesPath, $"module path '{path}' leaves the directory.");
            }
            entries.Add((type, path));
        }
        if (entries.Count is < 2 or > 3 || entries[0].Type != TransformerType || entries[1].Type != PoolingType
            || (entries.Count == 3 && entries[2].Type != NormalizeType))
        {
            string found = string.Join(" → ", entries.Select(e => e.Type.Replace("sentence_transformers.models.", "", StringComparison.Ordinal)));
            throw new UnsupportedModelException(modulesPath, "modules", $"are {(found.Length == 0 ? "none" : found)}; supported: Transformer → Pooling, optionally → Normalize.");
        }
        string transformer = Path.Combine(directory, entries[0].Path);
        PoolingMode mode = ReadPooling(Path.Combine(directory, entries[1].Path, "config.json"));
        int? maxLength = null;
        bool lowerCase = false;
        string stPath = Path.Combine(transformer, SentenceBertConfigJson);
        if (JsonFile.ReadIfExists(stPath) is { } st)
        {
            JsonFile.Object(stPath, st);
            if (JsonFile.Integer(stPath, st, "max_seq_length") is { } length)
            {
                maxLength = length is >= 3 and <= int.MaxValue ? (int)length
                    : throw new ModelFileException(stPath, $"'max_seq_length' is {length}; it must leave room for [CLS], a token and [SEP] (≥ 3).");
            }
            lowerCase = JsonFile.Bool(stPath, st, "do_lower_case", false);
        }
        return new SentenceTransformerLayout(directory, transformer, new SentencePooling(mode, entries.Count == 3), maxLength, lowerCase);
    }

    private static PoolingMode ReadPooling(string path)
    {
        JsonElement config = JsonFile.Object(path, JsonFile.Read(path));
        foreach (string field in UnsupportedPoolingModes)
        {
            if (JsonFile.Bool(path, config, field, false))
            {
                throw new UnsupportedModelException(path, field, "is true; supported pooling modes: pooling_mode_cls_token, pooling_mode_mean_tokens, pooling_mode_max_tokens.");
            }
        }
        if (JsonFile.String(path, config, "pooling_mode") is { } named)
        {
            // Older sentence-transformers versions accept a single "pooling_mode" string instead of the flags.
            return named switch
            {
                "cls" => PoolingMode.Cls,
                "mean" => PoolingMode.Mean,
                "max" => PoolingMode.Max,
                _ => throw new UnsupportedModelException(path, "pooling_mode", $"is '{named}'; supported: cls, mean, max."),
            };
        }
        var modes = new List<PoolingMode>();
        if (JsonFile.Bool(path, config, "pooling_mode_cls_token", false))
        {
            modes.Add(PoolingMode.Cls);
        }
        if (JsonFile.Bool(path, config, "pooling_mode_mean_tokens", false))
        {
            modes.Add(PoolingMode.Mean);
        }
        if (JsonFile.Bool(path, config, "pooling_mode_max_tokens", false))
        {
            modes.Add(PoolingMode.Max);
        }
        return modes.Count switch
        {
            1 => modes[0],
            0 => throw new UnsupportedModelException(path, "pooling_mode_*", "no pooling mode is true; set one of pooling_mode_cls_token, pooling_mode_mean_tokens, pooling_mode_max_tokens."),
            _ => throw new UnsupportedModelException(path, "pooling_mode_*", $"{string.Join(" and ", modes)} are both true: concatenated poolings are not supported."),
        };
    }

    /// <summary>
    /// The length texts are truncated to: max_seq_length, else the tokenizer's model_max_length, else the declared MaxSeqLen —
    /// never more than the declaration (a longer limit is refused rather than silently truncating shorter than the model).
    /// </summary>
    /// <exception cref="ModelConfigurationException">max_seq_length exceeds the declared MaxSeqLen.</exception>
    internal int EffectiveMaxLength(ISentenceTokenizer tokenizer, ModelShape shape)
    {
        if (MaxSequenceLength is { } length)
        {
            return length <= shape.MaxSeqLen ? length
                : throw new ModelConfigurationException(Path.Combine(TransformerDirectory, SentenceBertConfigJson), "max_seq_length",
                    $"MaxSeqLen {shape.MaxSeqLen.ToString(CultureInfo.InvariantCulture)}", length.ToString(CultureInfo.InvariantCulture));
        }
        return Math.Min(tokenizer.ModelMaxLength ?? shape.MaxSeqLen, shape.MaxSeqLen);
    }
}
