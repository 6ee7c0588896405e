using System.Globalization;
using System.Text.Json;

namespace TransformerKernels;

/// <summary>
/// Reading a Hugging Face <c>config.json</c> against a declared shape, shared by the checkers of each model family: where
/// the file is, whole-number and real-valued fields compared with the declaration, each mismatch a
/// <see cref="ModelConfigurationException"/> naming the field. A field the file leaves out is no disagreement.
/// </summary>
internal static class ConfigJson
{
    /// <summary>Runs <paramref name="check"/> on the config.json in the directory of <paramref name="weightsPath"/>, when there is one.</summary>
    public static void CheckBeside(string weightsPath, Action<string, JsonElement> check)
    {
        string path = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(weightsPath))!, "config.json");
        if (!File.Exists(path))
        {
            return;
        }
        using JsonDocument document = JsonDocument.Parse(File.ReadAllBytes(path));
        check(path, document.RootElement);
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

    /// <summary>Refuses <paramref name="actual"/> (the file's <paramref name="field"/>) unless it is <paramref name="expected"/>.</summary>
    public static void Require(string path, string field, int expected, int actual)
    {
        if (expected != actual)
        {
            throw new ModelConfigurationException(path, field, expected.ToString(CultureInfo.InvariantCulture), actual.ToString(CultureInfo.InvariantCulture));
        }
    }

    /// <summary>Refuses the file's <paramref name="field"/> when present and not <paramref name="expected"/>.</summary>
    public static void Require(string path, JsonElement root, string field, int expected) => Require(path, field, expected, Int(path, root, field, expected));

    /// <summary>
    /// Refuses the file's real-valued <paramref name="field"/> when present and further than <paramref name="relative"/> of
    /// itself from <paramref name="expected"/> (described as <paramref name="expectedText"/> in the message).
    /// </summary>
    public static void RequireClose(string path, JsonElement root, string field, double expected, double relative, string expectedText)
    {
        if (root.TryGetProperty(field, out JsonElement value) && Math.Abs(value.GetDouble() - expected) > relative * value.GetDouble())
        {
            throw new ModelConfigurationException(path, field, expectedText, Format(value.GetDouble()));
        }
    }

    /// <summary>A number as the messages show it: round-trippable, invariant culture.</summary>
    public static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
