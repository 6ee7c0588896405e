using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using TransformerKernels.Generators.Model;

namespace TransformerKernels.Generators.Config;

/// <summary>
/// Finds the additional file a model's <c>Config</c> names. The rule (docs/diagnostics.md, TK0016): the path is relative
/// to the project directory (MSBuild's <c>ProjectDir</c>, which the compiler passes as <c>build_property.ProjectDir</c>)
/// unless absolute, and must equal an additional file's full path once both are normalized (separators, <c>.</c> and
/// <c>..</c>). Hosts that do not pass the project directory match by path suffix instead, and only a single match counts.
/// </summary>
internal static class ConfigFiles
{
    /// <summary>Hugging Face's name for the file; only additional files of this name are read.</summary>
    public const string FileName = "config.json";

    /// <summary>Whether the file is named config.json, whichever separator its path uses (a Windows path read on Linux too).</summary>
    public static bool IsConfigFile(string path) =>
        string.Equals(path.Substring(path.LastIndexOfAny(new[] { '/', '\\' }) + 1), FileName, StringComparison.OrdinalIgnoreCase);

    public static ConfigLookup Find(string requested, ImmutableArray<ConfigFile> files, string? projectDirectory)
    {
        if (!IsConfigFile(requested))
        {
            return new ConfigLookup(requested, null, $"only files named {FileName} are read (Hugging Face's name for a model's configuration)");
        }
        string relative = Normalize(requested);
        bool rooted = IsRooted(relative);
        if (rooted || !string.IsNullOrEmpty(projectDirectory))
        {
            string full = rooted ? relative : Normalize(projectDirectory!.TrimEnd('/', '\\') + "/" + requested);
            ConfigFile? exact = files.FirstOrDefault(f => string.Equals(f.Path, full, Comparison(full)));
            return exact is not null ? Found(requested, exact)
                : new ConfigLookup(requested, null, $"no additional file is {full}{Seen(files)}");
        }
        if (relative.StartsWith("../", StringComparison.Ordinal) || relative == "..")
        {
            return new ConfigLookup(requested, null, "the compiler did not pass the project directory (build_property.ProjectDir), so a path climbing out of it cannot be resolved");
        }
        ConfigFile[] matches = files.Where(f => f.Path.EndsWith("/" + relative, Comparison(f.Path)) || f.Path == relative).ToArray();
        return matches.Length switch
        {
            1 => Found(requested, matches[0]),
            0 => new ConfigLookup(requested, null, $"no additional file's path ends with {relative}{Seen(files)}"),
            _ => new ConfigLookup(requested, null, $"several additional files end with {relative} ({string.Join(", ", matches.Select(m => m.Path))}); give a longer path"),
        };
    }

    private static ConfigLookup Found(string requested, ConfigFile file) =>
        file.Text is null ? new ConfigLookup(requested, null, $"{file.Path} is an additional file but could not be read") : new ConfigLookup(requested, file, null);

    private static string Seen(ImmutableArray<ConfigFile> files) =>
        files.IsDefaultOrEmpty ? $" (the compilation has no additional file named {FileName})"
        : $" (additional {FileName} files: {string.Join(", ", files.Select(f => f.Path).Take(5))}{(files.Length > 5 ? ", …" : "")})";

    /// <summary>Windows paths compare without case; others with it.</summary>
    private static StringComparison Comparison(string path) =>
        path.Length >= 2 && path[1] == ':' ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;

    private static bool IsRooted(string normalized) => normalized.StartsWith("/", StringComparison.Ordinal) || (normalized.Length >= 2 && normalized[1] == ':');

    /// <summary>Forward slashes, no empty, <c>.</c> or resolvable <c>..</c> segments.</summary>
    public static string Normalize(string path)
    {
        string slashed = path.Replace('\\', '/');
        bool leadingSlash = slashed.StartsWith("/", StringComparison.Ordinal);
        var segments = new List<string>();
        foreach (string segment in slashed.Split('/'))
        {
            if (segment.Length == 0 || segment == ".")
            {
                continue;
            }
            if (segment == ".." && segments.Count > 0 && segments[segments.Count - 1] != ".." && !segments[segments.Count - 1].EndsWith(":", StringComparison.Ordinal))
            {
                segments.RemoveAt(segments.Count - 1);
                continue;
            }
            segments.Add(segment);
        }
        return (leadingSlash ? "/" : "") + string.Join("/", segments);
    }
}
