using System.Text.Json;

namespace TransformerKernels.Chat;

/// <summary>Reads chat_template and the special tokens from a Hugging Face tokenizer_config.json.</summary>
internal static class TokenizerConfigReader
{
    private static readonly string[] SpecialTokenNames = ["bos_token", "eos_token", "unk_token", "pad_token"];

    public static string? Read(string path, out IReadOnlyDictionary<string, object?> specialTokens)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"The tokenizer config {path} does not exist.", path);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(File.ReadAllBytes(path), new JsonDocumentOptions { AllowTrailingCommas = true });
        }
        catch (JsonException e)
        {
            throw new TokenizerConfigException(path, $"not valid JSON ({e.Message})", e);
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new TokenizerConfigException(path, "the top level is not a JSON object");
            var tokens = new Dictionary<string, object?>(StringComparer.Ordinal);
            foreach (string name in SpecialTokenNames)
                if (root.TryGetProperty(name, out var token)) tokens[name] = ReadToken(path, name, token);
            specialTokens = tokens;
            return root.TryGetProperty("chat_template", out var template) ? ReadTemplate(path, template) : null;
        }
    }

    private static string? ReadToken(string path, string name, JsonElement token) => token.ValueKind switch
    {
        JsonValueKind.String => token.GetString(),
        JsonValueKind.Null => null,
        JsonValueKind.Object when token.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.String => content.GetString(),
        _ => throw new TokenizerConfigException(path, $"'{name}' is neither a string nor an object with a string \"content\""),
    };

    private static string? ReadTemplate(string path, JsonElement template)
    {
        switch (template.ValueKind)
        {
            case JsonValueKind.Null: return null;
            case JsonValueKind.String: return template.GetString();
            case JsonValueKind.Array:
                foreach (var entry in template.EnumerateArray())
                {
                    if (entry.ValueKind != JsonValueKind.Object || !entry.TryGetProperty("name", out var name) || name.ValueKind != JsonValueKind.String
                        || !entry.TryGetProperty("template", out var text) || text.ValueKind != JsonValueKind.String)
                        throw new TokenizerConfigException(path, "'chat_template' is a list whose entries are not all {\"name\": string, \"template\": string}");
                    if (name.GetString() == "default") return text.GetString();
                }
                throw new TokenizerConfigException(path, "'chat_template' is a list of named templates without one named \"default\"");
        }
        throw new TokenizerConfigException(path, "'chat_template' is neither a string nor a list of named templates");
    }
}
