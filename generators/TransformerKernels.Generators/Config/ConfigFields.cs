using System.Collections.Generic;
using System.Globalization;
using TransformerKernels.Generators.Diagnostics;
using TransformerKernels.Generators.Helpers;

namespace TransformerKernels.Generators.Config;

/// <summary>
/// Typed reads of a config.json object. A field of the wrong JSON type, or a required one left out, becomes a TK0018
/// naming it (with its parent for nested fields, e.g. <c>rope_scaling.factor</c>); the read then returns a neutral value
/// so the mapping can carry on and report every bad field at once.
/// </summary>
internal sealed class ConfigFields
{
    private readonly JsonObject _object;
    private readonly string _prefix;

    public ConfigFields(string path, JsonObject root, LocationInfo? location, List<DiagnosticInfo> diagnostics, string prefix = "")
    {
        Path = path;
        _object = root;
        Location = location;
        Diagnostics = diagnostics;
        _prefix = prefix;
    }

    public string Path { get; }

    public LocationInfo? Location { get; }

    public List<DiagnosticInfo> Diagnostics { get; }

    /// <summary>The field's name as messages show it (with its parent object's).</summary>
    public string Name(string field) => _prefix + field;

    /// <summary>True when the field is present and not null (Hugging Face writes null for "not set").</summary>
    public bool Has(string field) => _object[field] is { } value && value is not JsonNull;

    public JsonValue? Raw(string field) => _object[field];

    /// <summary>A required whole number (e.g. hidden_size).</summary>
    public int Int(string field) => OptionalInt(field) ?? Missing(field, "a whole number");

    /// <summary>A whole number, or <paramref name="fallback"/> when absent or null.</summary>
    public int Int(string field, int fallback) => OptionalInt(field) ?? fallback;

    public int? OptionalInt(string field)
    {
        JsonValue? value = _object[field];
        if (value is null or JsonNull)
        {
            return null;
        }
        if (value is JsonNumber number && number.Value == System.Math.Floor(number.Value) && number.Value >= int.MinValue && number.Value <= int.MaxValue)
        {
            return (int)number.Value;
        }
        Wrong(field, value, "a whole number");
        return 0;
    }

    /// <summary>A required real number (e.g. rope_scaling.factor).</summary>
    public double Double(string field)
    {
        double? value = OptionalDouble(field);
        if (value is null)
        {
            Missing(field, "a number");
            return 1;
        }
        return value.Value;
    }

    public double Double(string field, double fallback) => OptionalDouble(field) ?? fallback;

    private double? OptionalDouble(string field)
    {
        JsonValue? value = _object[field];
        if (value is null or JsonNull)
        {
            return null;
        }
        if (value is JsonNumber number)
        {
            return number.Value;
        }
        Wrong(field, value, "a number");
        return 1;
    }

    public bool Bool(string field, bool fallback)
    {
        JsonValue? value = _object[field];
        if (value is null or JsonNull)
        {
            return fallback;
        }
        if (value is JsonBool flag)
        {
            return flag.Value;
        }
        Wrong(field, value, "true or false");
        return fallback;
    }

    public string? String(string field)
    {
        JsonValue? value = _object[field];
        if (value is null or JsonNull)
        {
            return null;
        }
        if (value is JsonString text)
        {
            return text.Value;
        }
        Wrong(field, value, "a string");
        return null;
    }

    /// <summary>The nested object at <paramref name="field"/>, or null when absent or null.</summary>
    public ConfigFields? Object(string field)
    {
        JsonValue? value = _object[field];
        if (value is null or JsonNull)
        {
            return null;
        }
        if (value is JsonObject inner)
        {
            return new ConfigFields(Path, inner, Location, Diagnostics, _prefix + field + ".");
        }
        Wrong(field, value, "an object");
        return null;
    }

    /// <summary>Reports a field whose value has the right type but is outside what it may be.</summary>
    public void Invalid(string field, string expected) =>
        Diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ConfigFieldInvalid, Location, Path, Name(field), Describe(_object[field]), expected));

    /// <summary>Reports something the file asks for that the kernels do not do (TK0020).</summary>
    public void Unsupported(string field, string why) =>
        Diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnsupportedConfigFeature, Location, Path, Name(field), Describe(_object[field]), why));

    private int Missing(string field, string expected)
    {
        Diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ConfigFieldInvalid, Location, Path, Name(field), "missing", expected));
        return 0;
    }

    private void Wrong(string field, JsonValue value, string expected) =>
        Diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ConfigFieldInvalid, Location, Path, Name(field), value.KindName, expected));

    private static string Describe(JsonValue? value) => value switch
    {
        null => "missing",
        JsonString text => $"\"{text.Value}\"",
        JsonNumber number => number.Text,
        JsonObject => "an object",
        JsonArray => "an array",
        _ => value.KindName,
    };

    /// <summary>A number as messages show it: round-trippable, invariant culture.</summary>
    public static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
