using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace TransformerKernels.Tool;

/// <summary>
/// Checks, before the minutes a Native AOT publish takes, that config.json describes the weights beside it: the token
/// embedding table is [vocab, hidden], there are as many layers as config.json says, and the first feed-forward weight is
/// as wide as it says. The binary's loader checks every tensor again at run time; this catches the common mistake — a
/// config.json edited or taken from another checkpoint — while the user is still at the tool, naming the field and the tensor.
/// </summary>
internal static partial class WeightPreflight
{
    /// <summary>What to compare for one family: config.json fields and the tensors they must agree with.</summary>
    private sealed record Family(string Hidden, string Vocab, string Layers, string Ffn, string EmbeddingSuffix, Regex LayerIndex,
                                 string FfnSuffix, bool FfnTransposed, int DefaultFfnPerHidden);

    private static readonly Family Bert = new("hidden_size", "vocab_size", "num_hidden_layers", "intermediate_size",
        "embeddings.word_embeddings.weight", BertLayer(), "encoder.layer.0.intermediate.dense.weight", false, 0);

    private static readonly Family Llama = new("hidden_size", "vocab_size", "num_hidden_layers", "intermediate_size",
        "embed_tokens.weight", LlamaLayer(), "layers.0.mlp.gate_proj.weight", false, 0);

    // GPT-2's Conv1D stores weights [in, out]; n_inner null means 4 × n_embd.
    private static readonly Family Gpt2 = new("n_embd", "vocab_size", "n_layer", "n_inner", "wte.weight", Gpt2Layer(), "h.0.mlp.c_fc.weight", true, 4);

    [GeneratedRegex(@"(?:^|\.)encoder\.layer\.(\d+)\.")]
    private static partial Regex BertLayer();

    [GeneratedRegex(@"(?:^|\.)layers\.(\d+)\.")]
    private static partial Regex LlamaLayer();

    [GeneratedRegex(@"(?:^|\.)h\.(\d+)\.")]
    private static partial Regex Gpt2Layer();

    /// <exception cref="ToolException">The weights cannot be read, or config.json disagrees with them (naming the field and tensor).</exception>
    public static void Check(ModelDirectory model)
    {
        string configPath = Path.Combine(model.FullPath, model.ConfigPath);
        Family family = model.ModelType switch
        {
            "gpt2" => Gpt2,
            "llama" or "mistral" or "qwen2" => Llama,
            _ => Bert,
        };
        Checkpoint checkpoint;
        try
        {
            checkpoint = Checkpoint.Open(Path.GetDirectoryName(configPath)!);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or SafeTensorsFormatException or InvalidDataException)
        {
            throw new ToolException($"the weights beside '{configPath}' cannot be read: {e.Message}");
        }
        using (checkpoint)
        {
            using JsonDocument config = JsonDocument.Parse(File.ReadAllBytes(configPath));
            JsonElement root = config.RootElement;
            int? hidden = Field(root, family.Hidden), vocab = Field(root, family.Vocab), layers = Field(root, family.Layers);
            int? ffn = Field(root, family.Ffn) ?? (hidden is { } h && family.DefaultFfnPerHidden > 0 ? family.DefaultFfnPerHidden * h : null);
            TensorInfo embedding = Find(checkpoint, family.EmbeddingSuffix, configPath);
            Agree(configPath, family.Vocab, vocab, embedding, 0);
            Agree(configPath, family.Hidden, hidden, embedding, 1);
            if (layers is { } expected)
            {
                int found = checkpoint.Tensors.Keys.Select(name => family.LayerIndex.Match(name)).Where(m => m.Success)
                    .Select(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) + 1).DefaultIfEmpty(0).Max();
                if (found != expected)
                {
                    throw new ToolException($"'{configPath}' says {family.Layers} = {expected}, but the weights hold {found} layers: this config.json does not describe these weights");
                }
            }
            if (ffn is not null && checkpoint.Tensors.Keys.FirstOrDefault(n => n.EndsWith(family.FfnSuffix, StringComparison.Ordinal)) is { } ffnName)
            {
                Agree(configPath, family.Ffn, ffn, checkpoint.Tensors[ffnName], family.FfnTransposed ? 1 : 0);
            }
        }
    }

    private static TensorInfo Find(Checkpoint checkpoint, string suffix, string configPath) =>
        checkpoint.Tensors.Keys.FirstOrDefault(n => n == suffix || n.EndsWith("." + suffix, StringComparison.Ordinal)) is { } name
            ? checkpoint.Tensors[name]
            : throw new ToolException($"the weights beside '{configPath}' have no '{suffix}' tensor: they are not a checkpoint of this model_type");

    private static void Agree(string configPath, string field, int? expected, TensorInfo tensor, int dimension)
    {
        if (expected is { } value && (tensor.Shape.Length <= dimension || tensor.Shape[dimension] != value))
        {
            throw new ToolException($"'{configPath}' says {field} = {value}, but the weights' {tensor.Name} is {tensor.ShapeText}: this config.json does not describe these weights");
        }
    }

    private static int? Field(JsonElement root, string name) =>
        root.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out int number) ? number : null;
}
