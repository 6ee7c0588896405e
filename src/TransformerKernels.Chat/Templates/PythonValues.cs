using System.Collections;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace TransformerKernels.Chat;

/// <summary>
/// Python's semantics on template values, as Jinja evaluates them: truthiness, str() and repr(), ==, ordering,
/// arithmetic, `in`, len() and iteration. Errors are <see cref="ChatTemplateException"/>s without a position; the
/// renderer adds the position of the node that failed.
/// </summary>
internal static class PythonValues
{
    public static ChatTemplateException Error(string message) => new(message);

    public static bool IsNumber(object? v) => v is long or double or bool;

    public static bool Truthy(object? v) => v switch
    {
        null => false,
        Undefined => false,
        bool b => b,
        long l => l != 0,
        double d => d != 0,
        string s => s.Length > 0,
        List<object?> l => l.Count > 0,
        object?[] t => t.Length > 0,
        Dictionary<string, object?> d => d.Count > 0,
        DictView view => view.Items.Count > 0,
        RangeValue r => r.ToList().Count > 0,
        _ => true,
    };

    /// <summary>Python's str(): what <c>{{ x }}</c> and <c>~</c> print (Undefined prints nothing).</summary>
    public static string Str(object? v) => v switch
    {
        string s => s,
        Undefined => "",
        _ => Repr(v),
    };

    public static string Repr(object? v)
    {
        switch (v)
        {
            case null: return "None";
            case bool b: return b ? "True" : "False";
            case long l: return l.ToString(CultureInfo.InvariantCulture);
            case double d: return PythonText.FloatRepr(d);
            case string s: return PythonText.Repr(s);
            case Undefined: return "";
            case List<object?> list: return "[" + string.Join(", ", list.Select(Repr)) + "]";
            case object?[] tuple: return tuple.Length == 1 ? "(" + Repr(tuple[0]) + ",)" : "(" + string.Join(", ", tuple.Select(Repr)) + ")";
            case Dictionary<string, object?> dict: return "{" + string.Join(", ", dict.Select(p => PythonText.Repr(p.Key) + ": " + Repr(p.Value))) + "}";
            case DictView view: return "dict_" + view.Kind + "([" + string.Join(", ", view.Items.Select(Repr)) + "])";
            case RangeValue r: return r.Step == 1 ? $"range({r.Start}, {r.Stop})" : $"range({r.Start}, {r.Stop}, {r.Step})";
            case TemplateNamespace ns:
                return "<Namespace {" + string.Join(", ", ns.Attributes.Select(p => PythonText.Repr(p.Key) + ": " + Repr(p.Value))) + "}>";
        }
        throw Error($"cannot render {Describe(v)}: Python would print an object address (apply |list or call it)");
    }

    public static string Describe(object? v) => v switch
    {
        null => "None",
        Undefined => "an undefined value",
        bool => "a boolean",
        long => "an integer",
        double => "a float",
        string => "a string",
        List<object?> => "a list",
        object?[] => "a tuple",
        Dictionary<string, object?> => "a dict",
        DictView view => "dict_" + view.Kind,
        RangeValue => "a range",
        GeneratorValue => "a generator",
        TemplateNamespace => "a namespace",
        MacroValue m => $"the macro '{m.Node.Name}'",
        GlobalFunction f => $"the function '{f.Name}'",
        BoundMethod m => $"the method '{m.Name}'",
        LoopState => "the loop object",
        _ => v.GetType().Name,
    };

    /// <summary>Python's type name, as TypeError messages show it.</summary>
    public static string TypeName(object? v) => v switch
    {
        null => "NoneType",
        bool => "bool",
        long => "int",
        double => "float",
        string => "str",
        List<object?> => "list",
        object?[] => "tuple",
        Dictionary<string, object?> => "dict",
        Undefined => "Undefined",
        _ => Describe(v),
    };

    public static ChatTemplateException UndefinedError(Undefined u) => Error("UndefinedError: " + u.Message);

    public static bool AreEqual(object? a, object? b)
    {
        if (a is Undefined || b is Undefined) return a is Undefined && b is Undefined;
        if (a is null || b is null) return a is null && b is null;
        if (IsNumber(a) && IsNumber(b))
        {
            if (a is double || b is double) return ToDouble(a) == ToDouble(b);
            return ToLong(a) == ToLong(b);
        }
        switch (a)
        {
            case string s: return b is string t && string.Equals(s, t, StringComparison.Ordinal);
            case List<object?> l: return b is List<object?> m && SequenceEquals(l, m);
            case object?[] tuple: return b is object?[] other && SequenceEquals(tuple, other);
            case Dictionary<string, object?> d:
                return b is Dictionary<string, object?> e && d.Count == e.Count
                    && d.All(p => e.TryGetValue(p.Key, out var other) && AreEqual(p.Value, other));
        }
        return ReferenceEquals(a, b);
    }

    private static bool SequenceEquals(IReadOnlyList<object?> a, IReadOnlyList<object?> b)
    {
        if (a.Count != b.Count) return false;
        for (int i = 0; i < a.Count; i++)
            if (!AreEqual(a[i], b[i])) return false;
        return true;
    }

    /// <summary>Python's ordering (&lt;, &gt;, …): numbers, strings by code point, lists and tuples lexicographically.</summary>
    public static int Compare(object? a, object? b, string op)
    {
        if (a is Undefined u) throw UndefinedError(u);
        if (b is Undefined v) throw UndefinedError(v);
        if (IsNumber(a) && IsNumber(b))
            return a is double || b is double ? ToDouble(a).CompareTo(ToDouble(b)) : ToLong(a).CompareTo(ToLong(b));
        if (a is string s && b is string t) return string.CompareOrdinal(s, t);
        if ((a is List<object?> && b is List<object?>) || (a is object?[] && b is object?[]))
        {
            var l = (IReadOnlyList<object?>)a;
            var m = (IReadOnlyList<object?>)b;
            for (int i = 0; i < Math.Min(l.Count, m.Count); i++)
                if (!AreEqual(l[i], m[i])) return Compare(l[i], m[i], op);
            return l.Count.CompareTo(m.Count);
        }
        throw Error($"TypeError: '{op}' not supported between instances of '{TypeName(a)}' and '{TypeName(b)}'");
    }

    public static long ToLong(object? v) => v switch
    {
        long l => l,
        bool b => b ? 1 : 0,
        _ => throw Error($"TypeError: expected an integer, got {Describe(v)}"),
    };

    public static double ToDouble(object? v) => v switch
    {
        double d => d,
        long l => l,
        bool b => b ? 1 : 0,
        _ => throw Error($"TypeError: expected a number, got {Describe(v)}"),
    };

    public static object? Arithmetic(string op, object? a, object? b)
    {
        if (a is Undefined u) throw UndefinedError(u);
        if (b is Undefined v) throw UndefinedError(v);
        if (IsNumber(a) && IsNumber(b))
        {
            bool floating = a is double || b is double;
            switch (op)
            {
                case "+": return floating ? (object)(ToDouble(a) + ToDouble(b)) : checked(ToLong(a) + ToLong(b));
                case "-": return floating ? (object)(ToDouble(a) - ToDouble(b)) : checked(ToLong(a) - ToLong(b));
                case "*": return floating ? (object)(ToDouble(a) * ToDouble(b)) : checked(ToLong(a) * ToLong(b));
                case "/":
                    if (ToDouble(b) == 0) throw Error("ZeroDivisionError: division by zero");
                    return ToDouble(a) / ToDouble(b);
                case "//":
                    if (ToDouble(b) == 0) throw Error("ZeroDivisionError: integer division or modulo by zero");
                    if (floating) return (object)Math.Floor(ToDouble(a) / ToDouble(b));
                    return FloorDiv(ToLong(a), ToLong(b));
                case "%":
                    if (ToDouble(b) == 0) throw Error("ZeroDivisionError: integer division or modulo by zero");
                    if (floating)
                    {
                        double x = ToDouble(a), y = ToDouble(b), r = x % y;
                        return (object)(r != 0 && (r < 0) != (y < 0) ? r + y : r);
                    }
                    long p = ToLong(a), q = ToLong(b);
                    return p - q * FloorDiv(p, q);
                case "**":
                    if (!floating && ToLong(b) >= 0)
                    {
                        long result = 1, x = ToLong(a);
                        for (long i = 0; i < ToLong(b); i++) result = checked(result * x);
                        return result;
                    }
                    return Math.Pow(ToDouble(a), ToDouble(b));
            }
        }
        switch (op)
        {
            case "+" when a is string s && b is string t: return s + t;
            case "+" when a is List<object?> l && b is List<object?> m: return new List<object?>([.. l, .. m]);
            case "+" when a is object?[] l && b is object?[] m: return (object?[])[.. l, .. m];
            case "*" when a is string s && b is long or bool: return Repeat(s, ToLong(b));
            case "*" when a is long or bool && b is string s: return Repeat(s, ToLong(a));
            case "*" when a is List<object?> l && b is long or bool:
                var repeated = new List<object?>();
                for (long i = 0; i < ToLong(b); i++) repeated.AddRange(l);
                return repeated;
            case "%" when a is string:
                throw ChatTemplateException.Unsupported(default, "printf-style string formatting with '%'");
        }
        if (op == "+" && a is string)
            throw Error($"TypeError: can only concatenate str (not \"{TypeName(b)}\") to str");
        throw Error($"TypeError: unsupported operand type(s) for {op}: '{TypeName(a)}' and '{TypeName(b)}'");
    }

    private static long FloorDiv(long a, long b)
    {
        long q = a / b;
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
    }

    private static string Repeat(string s, long times)
    {
        var sb = new StringBuilder();
        for (long i = 0; i < times; i++) sb.Append(s);
        return sb.ToString();
    }

    public static object? Negate(object? v) => v switch
    {
        long l => (object)(-l),
        double d => -d,
        bool b => b ? -1L : 0L,
        Undefined u => throw UndefinedError(u),
        _ => throw Error($"TypeError: bad operand type for unary -: '{TypeName(v)}'"),
    };

    public static bool Contains(object? container, object? item)
    {
        switch (container)
        {
            case string s:
                if (item is Undefined u) throw UndefinedError(u);
                if (item is not string t) throw Error($"TypeError: 'in <string>' requires string as left operand, not {TypeName(item)}");
                return s.Contains(t, StringComparison.Ordinal);
            case Dictionary<string, object?> d: return item is string key && d.ContainsKey(key);
            case Undefined: return false;
        }
        if (container is null || IsNumber(container)) throw Error($"TypeError: argument of type '{TypeName(container)}' is not iterable");
        foreach (var element in Iterate(container))
            if (AreEqual(element, item)) return true;
        return false;
    }

    /// <summary>The items a for loop or a filter walks: list and tuple items, dict keys, a string's code points.</summary>
    public static IReadOnlyList<object?> Iterate(object? v) => v switch
    {
        List<object?> l => l,
        object?[] t => t,
        Dictionary<string, object?> d => d.Keys.Cast<object?>().ToList(),
        string s => PythonText.CodePoints(s),
        DictView view => view.Items,
        RangeValue r => r.ToList(),
        GeneratorValue g => g.Drain(),
        Undefined => [],
        _ => throw Error($"TypeError: '{TypeName(v)}' object is not iterable"),
    };

    public static long Length(object? v) => v switch
    {
        string s => PythonText.Length(s),
        List<object?> l => l.Count,
        object?[] t => t.Length,
        Dictionary<string, object?> d => d.Count,
        DictView view => view.Items.Count,
        RangeValue r => r.ToList().Count,
        Undefined => 0,
        _ => throw Error($"TypeError: object of type '{TypeName(v)}' has no len()"),
    };

    /// <summary>A caller's value (render variables) as a template value; types without a Python meaning are refused.</summary>
    public static object? FromClr(object? v, string name) => v switch
    {
        null => null,
        string or bool or long or double => v,
        int or short or sbyte or byte or ushort or uint => Convert.ToInt64(v, CultureInfo.InvariantCulture),
        float f => (double)f,
        decimal m => (double)m,
        JsonElement e => FromJson(e),
        IReadOnlyDictionary<string, object?> d => d.ToDictionary(p => p.Key, p => FromClr(p.Value, name + "." + p.Key), StringComparer.Ordinal),
        IDictionary<string, object?> d => d.ToDictionary(p => p.Key, p => FromClr(p.Value, name + "." + p.Key), StringComparer.Ordinal),
        IDictionary<string, string> d => d.ToDictionary(p => p.Key, p => (object?)p.Value, StringComparer.Ordinal),
        IEnumerable e => e.Cast<object?>().Select((x, i) => FromClr(x, $"{name}[{i}]")).ToList(),
        _ => throw new ArgumentException($"The chat template variable '{name}' has a value of type {v.GetType().Name}, which a template cannot use "
            + "(use strings, booleans, numbers, null, lists and string-keyed dictionaries).", nameof(v)),
    };

    public static object? FromJson(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.String => e.GetString(),
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        JsonValueKind.Null or JsonValueKind.Undefined => null,
        JsonValueKind.Number => e.TryGetInt64(out long l) ? l : e.GetDouble(),
        JsonValueKind.Array => e.EnumerateArray().Select(FromJson).ToList(),
        _ => e.EnumerateObject().Aggregate(new Dictionary<string, object?>(StringComparer.Ordinal), (d, p) => { d[p.Name] = FromJson(p.Value); return d; }),
    };
}
