using System.Collections.Generic;
using System.Globalization;
using TransformerKernels.Generators.Config;
using TransformerKernels.Generators.Diagnostics;
using TransformerKernels.Generators.Helpers;
using TransformerKernels.Generators.Model;

namespace TransformerKernels.Generators;

public sealed partial class TransformerModelGenerator
{

    /// <summary>
    /// Fills <paramref name="args"/> from the model's config.json, so the shape checks that follow apply to it exactly as to
    /// written arguments. A property also written in the attribute must agree with the file (TK0021); MaxSeqLen alone may be
    /// given, at most the positions the file provides. Returns false (with diagnostics) when the file cannot be used.
    /// </summary>
    internal static bool MergeConfig(ConfigLookup lookup, Dictionary<string, object?> args, LocationInfo? location, List<DiagnosticInfo> diagnostics)
    {
        if (lookup.File is not { Text: { } text } file)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ConfigNotFound, location, lookup.RequestedPath, lookup.Problem ?? "not found"));
            return false;
        }
        JsonValue document;
        try
        {
            document = JsonReader.Parse(text);
        }
        catch (JsonSyntaxException error)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ConfigMalformed, location, lookup.RequestedPath, error.Problem, error.Line, error.Column));
            return false;
        }
        if (document is not JsonObject root)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ConfigFieldInvalid, location, lookup.RequestedPath, "(root)", document.KindName, "an object"));
            return false;
        }

        int before = diagnostics.Count;
        var fields = new ConfigFields(lookup.RequestedPath, root, location, diagnostics);
        ConfigMap? map = ConfigMapping.Map(fields);
        if (map is null || diagnostics.Count > before)
        {
            return false;
        }

        foreach (KeyValuePair<string, object?> entry in map.Values)
        {
            if (args.TryGetValue(entry.Key, out object? written) && !SameValue(entry.Key, written, entry.Value, map))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ConfigDisagreement, location,
                    entry.Key, Show(entry.Key, written), map.Fields[entry.Key], Show(entry.Key, entry.Value), lookup.RequestedPath,
                    $"remove {entry.Key} from the attribute (the config sets it) or correct it"));
            }
            args[entry.Key] = entry.Value;
        }

        if (args.TryGetValue("MaxSeqLen", out object? m) && m is int maxSeq)
        {
            if (maxSeq > map.AvailablePositions)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ConfigDisagreement, location,
                    "MaxSeqLen", maxSeq, map.PositionsField, $"at most {map.AvailablePositions}", lookup.RequestedPath,
                    $"the model has no positions past {map.AvailablePositions}; lower MaxSeqLen to at most {map.AvailablePositions}"));
            }
        }
        else
        {
            maxSeq = System.Math.Min(map.DefaultMaxSeqLen, MaxSequence);
            args["MaxSeqLen"] = maxSeq;
        }
        if (map.SlidingWindow is int window && window < maxSeq)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnsupportedConfigFeature, location, lookup.RequestedPath, "sliding_window",
                window.ToString(CultureInfo.InvariantCulture),
                $"the kernels attend over every earlier position, which equals a sliding window only up to its width; lower MaxSeqLen (now {maxSeq}) to at most {window}"));
        }
        return diagnostics.Count == before;
    }

    /// <summary>Whether a written property equals the config's value (KvHeads 0 means Heads; reals to a relative 1e-9).</summary>
    private static bool SameValue(string property, object? written, object? fromConfig, ConfigMap map)
    {
        if (property == "KvHeads" && written is 0 && map.Values.TryGetValue("Heads", out object? heads))
        {
            written = heads;
        }
        return (written, fromConfig) switch
        {
            (double a, double b) => a == b || System.Math.Abs(a - b) <= 1e-9 * System.Math.Max(System.Math.Abs(a), System.Math.Abs(b)),
            (int a, double b) => a == b,
            _ => Equals(written, fromConfig),
        };
    }

    /// <summary>A property's value as the attribute would spell it (enum members by name).</summary>
    private static string Show(string property, object? value)
    {
        string[]? names = property switch
        {
            "Norm" => NormNames,
            "Activation" => ActivationNames,
            "Positions" => PositionNames,
            "RopeScaling" => RopeScalingNames,
            _ => null,
        };
        return value switch
        {
            int i when names is not null && i >= 0 && i < names.Length => names[i],
            double d => ConfigFields.Format(d),
            bool b => b ? "true" : "false",
            null => "null",
            _ => System.Convert.ToString(value, CultureInfo.InvariantCulture) ?? "",
        };
    }
}
