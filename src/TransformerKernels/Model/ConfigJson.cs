using System.Globalization;
using System.Text.Json;

namespace TransformerKernels;

/// <summary>
/// Reading a Hugging Face <c>config.json</c> against a declared shape, shared by the checkers of each model family: where
/// the file is, whole-number and real-valued fields compared with the declaration, each mismatch a
/// <see cref="ModelConfigurationException"/> naming the field and the attribute property that declares it. A field the
/// file leaves out is no disagreement.
/// </summary>
internal static class ConfigJson
{
    /// <summary>The file name Hugging Face's <c>save_pretrained</c> writes beside the weights.</summary>
    public const string FileName = "config.json";

    /// <summary>Where the config.json of the checkpoint at <paramref name="weightsPath"/> would be: in the same directory.</summary>
    public static string PathBeside(string weightsPath) => Path.Combine(Path.GetDirectoryName(Path.GetFullPath(weightsPath))!, FileName);

    /// <summary>Runs <paramref name="check"/> on the config.json in the directory of <paramref name="weightsPath"/>, when there is one.</summary>
    /// <exception cref="ModelConfigurationException">The file is not a JSON object, or <paramref name="check"/> refuses it.</exception>
    public static void CheckBeside(string weightsPath, Action<string, JsonElement> check) => ReadBeside(weightsPath, (path, root) =>
    {
        check(path, root);
        return true;
    });

    /// <summary>Reads the config.json beside <paramref name="weightsPath"/> with <paramref name="read"/>; default when there is none.</summary>
    /// <exception cref="ModelConfigurationException">The file is not a JSON object.</exception>
    public static T? ReadBeside<T>(string weightsPath, Func<string, JsonElement, T> read)
    {
        string path = PathBeside(weightsPath);
        if (!File.Exists(path))
        {
            return default;
        }
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(File.ReadAllBytes(path));
        }
        catch (JsonException e)
        {
            throw new ModelConfigurationException($"{path} is not valid JSON ({e.Message}); fix or remove it.", FileName, "a JSON object", "malformed", null, e);
        }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new ModelConfigurationException($"{path} holds a JSON {document.RootElement.ValueKind}, not the object of fields a config.json is; fix or remove it.",
                    FileName, "a JSON object", document.RootElement.ValueKind.ToString(), null, null);
            }
            return read(path, document.RootElement);
        }
    }

    /// <summary>The whole number at <paramref name="field"/>, or <paramref name="fallback"/> when the file leaves it out.</summary>
    public static int Int(string path, JsonElement root, string field, int fallback)
    {
        if (!root.TryGetProperty(field, out JsonElement value))
        {
            return fallback;
        }
        return value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out int number)
            ? number
            : throw new ModelConfigurationException(path, field, "a whole number", value.GetRawText());
    }

    /// <summary>The number at <paramref name="field"/>, or null when the file leaves it out (or writes null).</summary>
    public static double? Real(string path, JsonElement root, string field)
    {
        if (!root.TryGetProperty(field, out JsonElement value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }
        return value.ValueKind == JsonValueKind.Number ? value.GetDouble() : throw new ModelConfigurationException(path, field, "a number", value.GetRawText());
    }

    /// <summary>The string at <paramref name="field"/>, or null when the file leaves it out (or writes null).</summary>
    public static string? String(string path, JsonElement root, string field)
    {
        if (!root.TryGetProperty(field, out JsonElement value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }
        return value.ValueKind == JsonValueKind.String ? value.GetString() : throw new ModelConfigurationException(path, field, "a string", value.GetRawText());
    }

    /// <summary>The boolean at <paramref name="field"/>, or <paramref name="fallback"/> when the file leaves it out.</summary>
    public static bool Bool(string path, JsonElement root, string field, bool fallback)
    {
        if (!root.TryGetProperty(field, out JsonElement value) || value.ValueKind == JsonValueKind.Null)
        {
            return fallback;
        }
        return value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw new ModelConfigurationException(path, field, "true or false", value.GetRawText()),
        };
    }

    /// <summary>Refuses <paramref name="actual"/> (the file's <paramref name="field"/>) unless it is <paramref name="expected"/>.</summary>
    public static void Require(string path, string field, int expected, int actual, string property)
    {
        if (expected != actual)
        {
            throw new ModelConfigurationException(path, field, $"{property} = {expected.ToString(CultureInfo.InvariantCulture)}", actual.ToString(CultureInfo.InvariantCulture), property);
        }
    }

    /// <summary>
    /// Refuses the file's <paramref name="field"/> when present and not <paramref name="expected"/>; the message calls it
    /// <paramref name="prefix"/> + field (e.g. <c>rope_scaling.</c> for a field of that object).
    /// </summary>
    public static void Require(string path, JsonElement root, string field, int expected, string property, string prefix = "") =>
        Require(path, prefix + field, expected, Int(path, root, field, expected), property);

    /// <summary>
    /// Refuses the file's real-valued <paramref name="field"/> when present and further than <paramref name="relative"/> of
    /// itself from <paramref name="expected"/>, the value of the attribute property <paramref name="property"/> (named
    /// <paramref name="prefix"/> + field in the message).
    /// </summary>
    public static void RequireClose(string path, JsonElement root, string field, double expected, double relative, string property, string prefix = "")
    {
        if (Real(path, root, field) is double value && Math.Abs(value - expected) > relative * Math.Abs(value))
        {
            throw new ModelConfigurationException(path, prefix + field, $"{property} = {Format(expected)}", Format(value), property);
        }
    }

    /// <summary>A number as the messages show it: round-trippable, invariant culture.</summary>
    public static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
