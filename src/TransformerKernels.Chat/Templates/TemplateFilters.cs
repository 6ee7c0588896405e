using System.Globalization;
using System.Text;

namespace TransformerKernels.Chat;

/// <summary>
/// The Jinja filters chat templates use, with Jinja 3.1's behaviour (and transformers' <c>tojson</c>). The parser refuses
/// any other filter name, so a template never renders with a filter silently skipped.
/// </summary>
internal static class TemplateFilters
{
    private static readonly HashSet<string> Supported =
    [
        "trim", "length", "count", "upper", "lower", "capitalize", "title", "tojson", "default", "d", "first", "last", "join", "replace",
        "list", "string", "items", "indent", "safe", "abs", "int", "float", "reverse", "map", "select", "reject", "selectattr", "rejectattr",
    ];

    public static bool IsSupported(string name) => Supported.Contains(name);

    public static object? Apply(string name, object? value, EvaluatedArguments arguments)
    {
        switch (name)
        {
            case "default" or "d":
                bool boolean = PythonValues.Truthy(arguments.Get(1, "boolean", false));
                return value is Undefined || (boolean && !PythonValues.Truthy(value)) ? arguments.Get(0, "default_value", "") : value;
            case "safe": return value is Undefined ? "" : value;
        }
        if (value is Undefined u && name is not ("length" or "count" or "list" or "items" or "first" or "last" or "join" or "string" or "trim"
            or "upper" or "lower" or "capitalize" or "title" or "replace" or "indent" or "select" or "reject" or "selectattr" or "rejectattr" or "map" or "reverse"))
            throw PythonValues.UndefinedError(u);
        switch (name)
        {
            case "trim":
                return PythonText.Strip(PythonValues.Str(value), arguments.Get(0, "chars") as string, left: true, right: true);
            case "length" or "count": return PythonValues.Length(value);
            case "upper": return PythonText.Upper(PythonValues.Str(value));
            case "lower": return PythonText.Lower(PythonValues.Str(value));
            case "capitalize": return PythonText.Capitalize(PythonValues.Str(value));
            case "title": return JinjaTitle(PythonValues.Str(value));
            case "string": return PythonValues.Str(value);
            case "list": return PythonValues.Iterate(value).ToList();
            case "first":
                var firstItems = PythonValues.Iterate(value);
                return firstItems.Count > 0 ? firstItems[0] : new Undefined("No first item, sequence was empty.");
            case "last":
                if (value is GeneratorValue) throw PythonValues.Error("TypeError: 'generator' object is not reversible");
                var lastItems = PythonValues.Iterate(value);
                return lastItems.Count > 0 ? lastItems[^1] : new Undefined("No last item, sequence was empty.");
            case "join":
                string separator = PythonValues.Str(arguments.Get(0, "d", ""));
                var joined = PythonValues.Iterate(value);
                if (arguments.Get(1, "attribute") is { } joinAttribute) joined = joined.Select(x => Attribute(x, joinAttribute)).ToList();
                return string.Join(separator, joined.Select(PythonValues.Str));
            case "replace":
                if (arguments.Get(0, "old") is not string old || arguments.Get(1, "new") is not string replacement)
                    throw PythonValues.Error("TypeError: replace takes two strings");
                return TemplateMembers.Replace(PythonValues.Str(value), old, replacement, arguments.Has(2, "count") ? PythonValues.ToLong(arguments.Get(2, "count")) : -1);
            case "items":
                if (value is Undefined) return new GeneratorValue([]);
                if (value is not Dictionary<string, object?> dict) throw PythonValues.Error($"TypeError: can only get item pairs from a mapping, not {PythonValues.TypeName(value)}");
                return new GeneratorValue(dict.Select(p => (object?)new object?[] { p.Key, p.Value }).ToList());
            case "indent": return Indent(PythonValues.Str(value), arguments);
            case "tojson":
                if (PythonValues.Truthy(arguments.Get(0, "ensure_ascii", false)))
                    throw ChatTemplateException.Unsupported(default, "tojson(ensure_ascii=True)");
                if (arguments.Get(2, "separators") is not null) throw ChatTemplateException.Unsupported(default, "tojson(separators=...)");
                return PythonJson.Dumps(value, IndentString(arguments.Get(1, "indent")), PythonValues.Truthy(arguments.Get(3, "sort_keys", false)));
            case "abs":
                return value switch
                {
                    long l => (object)Math.Abs(l),
                    double f => Math.Abs(f),
                    bool b => b ? 1L : 0L,
                    _ => throw PythonValues.Error($"TypeError: bad operand type for abs(): '{PythonValues.TypeName(value)}'"),
                };
            case "int": return ToInt(value, arguments.Get(0, "default", 0L));
            case "float": return ToFloat(value, arguments.Get(0, "default", 0.0));
            case "reverse":
                if (value is string s) return string.Concat(PythonText.CodePoints(s).Reverse());
                var reversed = PythonValues.Iterate(value).ToList();
                reversed.Reverse();
                return new GeneratorValue(reversed);
            case "map": return Map(value, arguments);
            case "select" or "reject":
                return new GeneratorValue(PythonValues.Iterate(value).Where(x => Select(x, arguments, 0) == (name == "select")).ToList());
            case "selectattr" or "rejectattr":
                if (arguments.Get(0, "attribute") is not string selected) throw PythonValues.Error($"TypeError: {name} needs an attribute name");
                return new GeneratorValue(PythonValues.Iterate(value).Where(x => Select(Attribute(x, selected), arguments, 1) == (name == "selectattr")).ToList());
        }
        throw ChatTemplateException.Unsupported(default, $"the filter '{name}'");
    }

    /// <summary>A dotted attribute path (<c>"function.name"</c>) or an integer index, as map/selectattr/join take them.</summary>
    private static object? Attribute(object? item, object? path)
    {
        if (path is long index) return TemplateMembers.GetItem(item, index);
        foreach (string part in PythonValues.Str(path).Split('.'))
            item = long.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out long i) ? TemplateMembers.GetItem(item, i) : TemplateMembers.GetItem(item, part);
        return item;
    }

    /// <summary>select/reject's predicate: the named test with the remaining arguments, or truthiness without a test.</summary>
    private static bool Select(object? item, EvaluatedArguments arguments, int testIndex)
    {
        if (arguments.Positional.Count <= testIndex) return PythonValues.Truthy(item);
        if (arguments.Positional[testIndex] is not string test) throw PythonValues.Error("TypeError: the test name must be a string");
        if (!TemplateTests.IsSupported(test)) throw ChatTemplateException.Unsupported(default, $"the test '{test}'");
        var rest = new EvaluatedArguments(arguments.Positional.Skip(testIndex + 1).ToList(), new Dictionary<string, object?>());
        return TemplateTests.Apply(test, item, rest);
    }

    private static GeneratorValue Map(object? value, EvaluatedArguments arguments)
    {
        var items = PythonValues.Iterate(value);
        if (arguments.Named.TryGetValue("attribute", out var attribute))
        {
            bool hasDefault = arguments.Named.TryGetValue("default", out var fallback);
            return new GeneratorValue(items.Select(x => Attribute(x, attribute) is Undefined && hasDefault ? fallback : Attribute(x, attribute)).ToList());
        }
        if (arguments.Positional.Count == 0 || arguments.Positional[0] is not string filter)
            throw PythonValues.Error("TypeError: map needs a filter name or attribute=");
        if (!IsSupported(filter)) throw ChatTemplateException.Unsupported(default, $"the filter '{filter}'");
        var rest = new EvaluatedArguments(arguments.Positional.Skip(1).ToList(), arguments.Named);
        return new GeneratorValue(items.Select(x => Apply(filter, x, rest)).ToList());
    }

    private static string? IndentString(object? indent) => indent switch
    {
        null => null,
        long n => new string(' ', (int)Math.Max(0, n)),
        string s => s,
        _ => throw PythonValues.Error("TypeError: indent must be an integer or a string"),
    };

    /// <summary>Jinja's indent: every line after the first (the first too with first=True), blank lines only with blank=True.</summary>
    private static string Indent(string s, EvaluatedArguments arguments)
    {
        string indention = arguments.Get(0, "width", 4L) switch
        {
            string w => w,
            var w => new string(' ', (int)PythonValues.ToLong(w)),
        };
        bool first = PythonValues.Truthy(arguments.Get(1, "first", false));
        bool blank = PythonValues.Truthy(arguments.Get(2, "blank", false));
        var lines = PythonText.SplitLines(s + "\n");
        var sb = new StringBuilder();
        if (blank) sb.AppendJoin("\n" + indention, lines);
        else
        {
            sb.Append(lines[0]);
            for (int i = 1; i < lines.Count; i++) sb.Append('\n').Append(lines[i].Length > 0 ? indention + lines[i] : "");
        }
        return first ? indention + sb : sb.ToString();
    }

    /// <summary>Jinja's title filter: a capital after each run of whitespace, '-', '(', '{', '[' or '&lt;', the rest lower case.</summary>
    private static string JinjaTitle(string s)
    {
        var sb = new StringBuilder(s.Length);
        bool wordStart = true;
        foreach (char c in s)
        {
            bool boundary = PythonText.IsWhitespace(c) || c is '-' or '(' or '{' or '[' or '<';
            sb.Append(boundary ? c : wordStart ? char.ToUpperInvariant(c) : char.ToLowerInvariant(c));
            wordStart = boundary;
        }
        return sb.ToString();
    }

    private static object? ToInt(object? value, object? fallback) => value switch
    {
        long or bool => PythonValues.ToLong(value),
        double d => (long)Math.Truncate(d),
        string s when long.TryParse(s.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long l) => l,
        string s when double.TryParse(s.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out double d) => (long)Math.Truncate(d),
        _ => fallback,
    };

    private static object? ToFloat(object? value, object? fallback) => value switch
    {
        long or bool or double => PythonValues.ToDouble(value),
        string s when double.TryParse(s.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out double d) => d,
        _ => fallback,
    };
}
