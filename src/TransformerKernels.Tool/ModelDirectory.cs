using System.Text.Json;

namespace TransformerKernels.Tool;

/// <summary>What a compiled binary does with its model.</summary>
internal enum ModelTask
{
    /// <summary>Sentence embeddings (a BERT-family sentence-transformers directory).</summary>
    Embed,

    /// <summary>Text continuation (a decoder-only model with its tokenizer).</summary>
    Generate,
}

/// <summary>
/// A Hugging Face model directory as the compile command needs it: its config.json's <c>model_type</c>, the task that
/// follows from it, and the files to carry into the binary's output. Every refusal is a <see cref="ToolException"/>
/// naming the file or field.
/// </summary>
internal sealed class ModelDirectory
{
    private static readonly string[] EncoderTypes = ["bert", "roberta", "xlm-roberta"];
    private static readonly string[] DecoderTypes = ["llama", "mistral", "qwen2", "gpt2"];

    private ModelDirectory(string path, string configPath, string modelType)
    {
        FullPath = path;
        ConfigPath = configPath;
        ModelType = modelType;
    }

    /// <summary>
    /// The config.json describing the shape, relative to the directory: at its root, or in a sentence-transformers layout in
    /// the Transformer module's folder that modules.json names (e.g. <c>0_Transformer/config.json</c>).
    /// </summary>
    public string ConfigPath { get; }

    /// <summary>The directory, absolute.</summary>
    public string FullPath { get; }

    /// <summary>config.json's <c>model_type</c>.</summary>
    public string ModelType { get; }

    /// <summary>The task the model's family supports.</summary>
    public ModelTask NaturalTask => Array.IndexOf(EncoderTypes, ModelType) >= 0 ? ModelTask.Embed : ModelTask.Generate;

    /// <summary>Reads <paramref name="path"/>/config.json.</summary>
    /// <exception cref="ToolException">The directory or its config.json is missing or unreadable, or the family is unsupported.</exception>
    public static ModelDirectory Open(string path)
    {
        string full = Path.GetFullPath(path);
        if (!Directory.Exists(full))
        {
            throw new ToolException($"model directory '{full}' does not exist");
        }
        string relative = TransformerModulePath(full) is { Length: > 0 } module ? Path.Combine(module, "config.json") : "config.json";
        string config = Path.Combine(full, relative);
        if (!File.Exists(config))
        {
            throw new ToolException($"'{config}' is missing: a Hugging Face model directory has a config.json describing the model's shape");
        }
        string? modelType;
        try
        {
            using JsonDocument document = JsonDocument.Parse(File.ReadAllBytes(config));
            modelType = document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("model_type", out JsonElement type) && type.ValueKind == JsonValueKind.String
                ? type.GetString()
                : null;
        }
        catch (JsonException e)
        {
            throw new ToolException($"'{config}' is not valid JSON: {e.Message}");
        }
        if (modelType is null)
        {
            throw new ToolException($"'{config}' has no \"model_type\" string: it names the model's family ({string.Join(", ", EncoderTypes.Concat(DecoderTypes))})");
        }
        if (Array.IndexOf(EncoderTypes, modelType) < 0 && Array.IndexOf(DecoderTypes, modelType) < 0)
        {
            throw new ToolException($"'{config}': model_type \"{modelType}\" is not supported; supported: {string.Join(", ", EncoderTypes.Concat(DecoderTypes))}");
        }
        return new ModelDirectory(full, relative.Replace(Path.DirectorySeparatorChar, '/'), modelType);
    }

    /// <summary>The folder of the sentence-transformers Transformer module that modules.json lists, or null without one.</summary>
    private static string? TransformerModulePath(string directory)
    {
        string modules = Path.Combine(directory, "modules.json");
        if (!File.Exists(modules))
        {
            return null;
        }
        try
        {
            using JsonDocument document = JsonDocument.Parse(File.ReadAllBytes(modules));
            if (document.RootElement.ValueKind != JsonValueKind.Array)
            {
                throw new ToolException($"'{modules}' is not a JSON array of modules");
            }
            foreach (JsonElement module in document.RootElement.EnumerateArray())
            {
                if (module.ValueKind == JsonValueKind.Object && module.TryGetProperty("type", out JsonElement type) && type.GetString() == "sentence_transformers.models.Transformer")
                {
                    return module.TryGetProperty("path", out JsonElement path) && path.ValueKind == JsonValueKind.String ? path.GetString() : "";
                }
            }
            return null;
        }
        catch (JsonException e)
        {
            throw new ToolException($"'{modules}' is not valid JSON: {e.Message}");
        }
    }

    /// <summary>Refuses a task this family cannot do.</summary>
    /// <exception cref="ToolException">An encoder asked to generate or a decoder asked to embed.</exception>
    public void Require(ModelTask task)
    {
        if (task != NaturalTask)
        {
            throw new ToolException(task == ModelTask.Embed
                ? $"--task embed needs an encoder (bert, roberta, xlm-roberta); '{FullPath}' is a {ModelType} decoder: use --task generate"
                : $"--task generate needs a decoder (llama, mistral, qwen2, gpt2); '{FullPath}' is a {ModelType} encoder: use --task embed");
        }
    }

    /// <summary>Every file under the directory, relative to it, skipping what a binary never reads (git metadata, ONNX and PyTorch exports).</summary>
    public IEnumerable<string> FilesToCarry()
    {
        foreach (string file in Directory.EnumerateFiles(FullPath, "*", SearchOption.AllDirectories))
        {
            string relative = Path.GetRelativePath(FullPath, file);
            string first = relative.Split(Path.DirectorySeparatorChar)[0];
            if (first is ".git" or "onnx" or "openvino" || relative.EndsWith(".bin", StringComparison.Ordinal) || relative.EndsWith(".onnx", StringComparison.Ordinal)
                || relative.EndsWith(".h5", StringComparison.Ordinal) || relative.EndsWith(".msgpack", StringComparison.Ordinal) || relative.EndsWith(".ot", StringComparison.Ordinal))
            {
                continue;
            }
            yield return relative;
        }
    }
}
