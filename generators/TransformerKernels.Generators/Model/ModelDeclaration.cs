using TransformerKernels.Generators.Diagnostics;
using TransformerKernels.Generators.Helpers;

namespace TransformerKernels.Generators.Model;

/// <summary>
/// One [TransformerModel] class as plain values, before its config.json (if any) is read: the class's names, what is
/// wrong with the class itself, where the attribute is, and the attribute's named arguments as written.
/// </summary>
internal sealed record ModelDeclaration(
    string? Namespace,
    string ClassName,
    string Accessibility,
    EquatableArray<DiagnosticInfo> ClassDiagnostics,
    LocationInfo? Location,
    EquatableArray<NamedArgument> Arguments,
    string? ConfigPath);

/// <summary>
/// A named argument of the attribute: its value as Roslyn gives it (int, double, bool, string; an enum as its boxed
/// underlying int). Boxed primitives compare by value, so the record stays equatable.
/// </summary>
internal sealed record NamedArgument(string Name, object? Value);

/// <summary>An additional file named config.json: its normalized path and its text (null when the file cannot be read).</summary>
internal sealed record ConfigFile(string Path, string? Text);

/// <summary>
/// What a model's <c>Config</c> path found among the additional files: the matching file, or why there is none.
/// Holds only that one file's text, so an edit to another model's config.json leaves this value equal (and cached).
/// </summary>
internal sealed record ConfigLookup(string RequestedPath, ConfigFile? File, string? Problem);

/// <summary>A declaration together with its config.json lookup (null when the attribute has no <c>Config</c>).</summary>
internal sealed record ModelInput(ModelDeclaration Declaration, ConfigLookup? Config);
