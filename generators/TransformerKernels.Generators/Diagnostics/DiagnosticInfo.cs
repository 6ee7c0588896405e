using System.Linq;
using Microsoft.CodeAnalysis;
using TransformerKernels.Generators.Helpers;

namespace TransformerKernels.Generators.Diagnostics;

/// <summary>A diagnostic as comparable data: descriptor, location as values, message arguments as strings.</summary>
internal sealed record DiagnosticInfo(DiagnosticDescriptor Descriptor, LocationInfo? Location, EquatableArray<string> Arguments)
{
    public static DiagnosticInfo Create(DiagnosticDescriptor descriptor, Location? location, params object[] arguments) =>
        new(descriptor, LocationInfo.From(location),
            arguments.Select(a => System.Convert.ToString(a, System.Globalization.CultureInfo.InvariantCulture) ?? "").ToImmutableArrayCompat());

    public static DiagnosticInfo Create(DiagnosticDescriptor descriptor, LocationInfo? location, params object[] arguments) =>
        new(descriptor, location,
            arguments.Select(a => System.Convert.ToString(a, System.Globalization.CultureInfo.InvariantCulture) ?? "").ToImmutableArrayCompat());

    public Diagnostic ToDiagnostic() =>
        Diagnostic.Create(Descriptor, Location?.ToLocation(), Arguments.Select(a => (object)a).ToArray());
}

internal static class EnumerableExtensions
{
    public static System.Collections.Immutable.ImmutableArray<T> ToImmutableArrayCompat<T>(this System.Collections.Generic.IEnumerable<T> items) =>
        System.Collections.Immutable.ImmutableArray.CreateRange(items);
}
