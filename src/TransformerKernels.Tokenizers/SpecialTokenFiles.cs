using System.Text.Json;

namespace TransformerKernels.Tokenizers;

/// <summary>
/// What a Hugging Face model directory says about special tokens besides the tokenizer itself: tokenizer_config.json
/// (bos_token, eos_token, add_bos_token, add_eos_token, added_tokens_decoder), special_tokens_map.json and
/// generation_config.json (bos_token_id, eos_token_id — one id or a list). Each file is optional; a present one that is not
/// JSON of that shape is an error naming it.
/// </summary>
internal sealed class SpecialTokenFiles
{
    public const string TokenizerConfigFileName = "tokenizer_config.json";
    public const string SpecialTokensMapFileName = "special_tokens_map.json";
    public const string GenerationConfigFileName = "generation_config.json";

    /// <summary>bos_token (tokenizer_config.json, else special_tokens_map.json).</summary>
    public string? BeginningToken { get; private set; }

    /// <summary>eos_token (tokenizer_config.json, else special_tokens_map.json).</summary>
    public string? EndToken { get; private set; }

    /// <summary>add_bos_token / add_eos_token of tokenizer_config.json, when given.</summary>
    public bool? AddBeginning { get; private set; }

    /// <summary>add_eos_token of tokenizer_config.json, when given.</summary>
    public bool? AddEnd { get; private set; }

    /// <summary>generation_config.json's bos_token_id, when given.</summary>
    public int? BeginningId { get; private set; }

    /// <summary>generation_config.json's eos_token_id (one or several), when given.</summary>
    public IReadOnlyList<int> EndIds { get; private set; } = [];

    /// <summary>Special tokens by content: added_tokens_decoder entries marked special, with their ids.</summary>
    public Dictionary<string, int> AddedTokens { get; } = new(StringComparer.Ordinal);

    /// <summary>Token texts tokenizer_config.json and special_tokens_map.json name (bos, eos, unk, sep, pad, cls, mask; the map's additional ones), whose ids the vocabulary gives.</summary>
    public List<string> MappedTokens { get; } = [];

    /// <summary>Reads whichever of the three files <paramref name="directory"/> holds.</summary>
    /// <exception cref="TokenizerFileException">A present file is not JSON or has a field of the wrong kind.</exception>
    public static SpecialTokenFiles Read(string directory)
    {
        var files = new SpecialTokenFiles();
        Parse(Path.Combine(directory, TokenizerConfigFileName), root =>
        {
            files.BeginningToken = TokenText(root, "bos_token");
            files.EndToken = TokenText(root, "eos_token");
            files.AddBeginning = Flag(root, "add_bos_token");
            files.AddNamedTokens(root);
            files.AddEnd = Flag(root, "add_eos_token");
            if (root.TryGetProperty("added_tokens_decoder", out JsonElement added) && added.ValueKind == JsonValueKind.Object)
            {
                foreach (JsonProperty entry in added.EnumerateObject())
                {
                    int id = int.Parse(entry.Name, System.Globalization.CultureInfo.InvariantCulture);
                    string content = entry.Value.GetProperty("content").GetString() ?? throw new FormatException($"added_tokens_decoder {id} has no content");
                    if (!entry.Value.TryGetProperty("special", out JsonElement special) || special.GetBoolean())
                    {
                        files.AddedTokens[content] = id;
                    }
                }
            }
        });
        Parse(Path.Combine(directory, SpecialTokensMapFileName), root =>
        {
            files.BeginningToken ??= TokenText(root, "bos_token");
            files.EndToken ??= TokenText(root, "eos_token");
            files.AddNamedTokens(root);
            if (root.TryGetProperty("additional_special_tokens", out JsonElement additional) && additional.ValueKind == JsonValueKind.Array)
            {
                foreach (JsonElement token in additional.EnumerateArray())
                {
                    files.MappedTokens.Add(token.ValueKind == JsonValueKind.String ? token.GetString()! : token.GetProperty("content").GetString()!);
                }
            }
        });
        Parse(Path.Combine(directory, GenerationConfigFileName), root =>
        {
            if (root.TryGetProperty("bos_token_id", out JsonElement bos) && bos.ValueKind == JsonValueKind.Number)
            {
                files.BeginningId = bos.GetInt32();
            }
            if (root.TryGetProperty("eos_token_id", out JsonElement eos))
            {
                files.EndIds = eos.ValueKind switch
                {
                    JsonValueKind.Number => [eos.GetInt32()],
                    JsonValueKind.Array => [.. eos.EnumerateArray().Select(e => e.GetInt32())],
                    JsonValueKind.Null => [],
                    _ => throw new FormatException("eos_token_id must be an id or a list of ids"),
                };
            }
        });
        return files;
    }

    // Hugging Face's SPECIAL_TOKENS_ATTRIBUTES: each names a token that is special in text (matched whole, left out of decodes).
    private static readonly string[] NamedTokenFields = ["bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token"];

    private void AddNamedTokens(JsonElement root)
    {
        foreach (string name in NamedTokenFields)
        {
            if (TokenText(root, name) is { } text && !MappedTokens.Contains(text))
            {
                MappedTokens.Add(text);
            }
        }
    }

    /// <summary>Runs <paramref name="read"/> over the file's root object if the file exists; wraps every failure as a <see cref="TokenizerFileException"/> naming it.</summary>
    internal static void Parse(string path, Action<JsonElement> read)
    {
        if (!File.Exists(path))
        {
            return;
        }
        try
        {
            using JsonDocument document = JsonDocument.Parse(File.ReadAllBytes(path));
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new FormatException("the root is not a JSON object");
            }
            read(document.RootElement);
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException or KeyNotFoundException or OverflowException or IOException)
        {
            throw new TokenizerFileException(path, $"not a readable {Path.GetFileName(path)}: {e.Message}", e);
        }
    }

    /// <summary>A token field: a string, an AddedToken object ({"content": …}) or null.</summary>
    private static string? TokenText(JsonElement root, string name) =>
        !root.TryGetProperty(name, out JsonElement value) ? null : value.ValueKind switch
        {
            JsonValueKind.String => value.GetString(),
            JsonValueKind.Object => value.GetProperty("content").GetString(),
            JsonValueKind.Null => null,
            _ => throw new FormatException($"{name} must be a string, an object with \"content\", or null"),
        };

    private static bool? Flag(JsonElement root, string name) =>
        root.TryGetProperty(name, out JsonElement value) && value.ValueKind is JsonValueKind.True or JsonValueKind.False ? value.GetBoolean() : null;
}
