using System.Text.Json;

namespace TransformerKernels.Embeddings;

/// <summary>Reading the small JSON files of a model directory, each failure a <see cref="ModelFileException"/> naming the file.</summary>
internal static class JsonFile
{
    /// <summary>Parses <paramref name="path"/>; a missing, unreadable or malformed file is a <see cref="ModelFileException"/>.</summary>
    public static JsonElement Read(string path)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new ModelFileException(path, "is missing.", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ModelFileException(path, $"cannot be read: {e.Message}", e);
        }
        try
        {
            using JsonDocument document = JsonDocument.Parse(bytes);
            return document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new ModelFileException(path, $"is not valid JSON: {e.Message}", e);
        }
    }

    /// <summary>Parses <paramref name="path"/> when it exists (null otherwise).</summary>
    public static JsonElement? ReadIfExists(string path) => File.Exists(path) ? Read(path) : null;

    /// <summary>The object at the root, or a <see cref="ModelFileException"/>.</summary>
    public static JsonElement Object(string path, JsonElement root) =>
        root.ValueKind == JsonValueKind.Object ? root : throw new ModelFileException(path, $"holds {root.ValueKind}, not a JSON object.");

    /// <summary>A boolean field, <paramref name="fallback"/> when absent or null.</summary>
    public static bool Bool(string path, JsonElement obj, string field, bool fallback) =>
        !obj.TryGetProperty(field, out JsonElement value) || value.ValueKind == JsonValueKind.Null ? fallback
        : value.ValueKind is JsonValueKind.True or JsonValueKind.False ? value.GetBoolean()
        : throw new ModelFileException(path, $"'{field}' is {value.GetRawText()}, not true or false.");

    /// <summary>A boolean field that may be null (Hugging Face's <c>strip_accents</c>).</summary>
    public static bool? NullableBool(string path, JsonElement obj, string field) =>
        !obj.TryGetProperty(field, out JsonElement value) || value.ValueKind == JsonValueKind.Null ? null
        : value.ValueKind is JsonValueKind.True or JsonValueKind.False ? value.GetBoolean()
        : throw new ModelFileException(path, $"'{field}' is {value.GetRawText()}, not true, false or null.");

    /// <summary>A whole-number field, null when absent or null.</summary>
    public static long? Integer(string path, JsonElement obj, string field) =>
        !obj.TryGetProperty(field, out JsonElement value) || value.ValueKind == JsonValueKind.Null ? null
        : value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out long number) ? number
        // Hugging Face writes an "unlimited" model_max_length as 1e30, a float: treat any huge number as no limit.
        : value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out double real) && real >= 1e18 ? long.MaxValue
        : throw new ModelFileException(path, $"'{field}' is {value.GetRawText()}, not a whole number.");

    /// <summary>A string field, null when absent or null.</summary>
    public static string? String(string path, JsonElement obj, string field) =>
        !obj.TryGetProperty(field, out JsonElement value) || value.ValueKind == JsonValueKind.Null ? null
        : value.ValueKind == JsonValueKind.String ? value.GetString()
        : throw new ModelFileException(path, $"'{field}' is {value.GetRawText()}, not a string.");

    /// <summary>
    /// A special token as tokenizer_config.json and special_tokens_map.json write it: a string, or an AddedToken object
    /// whose <c>content</c> is the string.
    /// </summary>
    public static string? Token(string path, JsonElement obj, string field)
    {
        if (!obj.TryGetProperty(field, out JsonElement value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }
        if (value.ValueKind == JsonValueKind.Object && value.TryGetProperty("content", out JsonElement content) && content.ValueKind == JsonValueKind.String)
        {
            return content.GetString();
        }
        return value.ValueKind == JsonValueKind.String ? value.GetString()
            : throw new ModelFileException(path, $"'{field}' is {value.GetRawText()}, not a token string or {{\"content\": …}}.");
    }
}
