namespace TransformerKernels.Chat;

/// <summary>
/// <c>x.name</c>, <c>x[key]</c>, <c>x[a:b:c]</c> and method calls, as Jinja's sandbox resolves them: an attribute is
/// looked up as a Python attribute first (so <c>d.items</c> is the method) and then as an item; an item the other way
/// round; a miss on a defined object is Undefined, a lookup on Undefined fails. Python methods outside the supported
/// few fail by name, never as Undefined.
/// </summary>
internal static class TemplateMembers
{
    private static readonly HashSet<string> StringMethods =
    [
        "capitalize", "casefold", "center", "count", "encode", "endswith", "expandtabs", "find", "format", "format_map", "index",
        "isalnum", "isalpha", "isascii", "isdecimal", "isdigit", "isidentifier", "islower", "isnumeric", "isprintable", "isspace",
        "istitle", "isupper", "join", "ljust", "lower", "lstrip", "maketrans", "partition", "removeprefix", "removesuffix", "replace",
        "rfind", "rindex", "rjust", "rpartition", "rsplit", "rstrip", "split", "splitlines", "startswith", "strip", "swapcase", "title",
        "translate", "upper", "zfill",
    ];

    private static readonly HashSet<string> DictMethods = ["get", "items", "keys", "values", "copy", "pop", "popitem", "setdefault", "update", "clear", "fromkeys"];

    private static readonly HashSet<string> ListMethods = ["append", "clear", "copy", "count", "extend", "index", "insert", "pop", "remove", "reverse", "sort"];

    public static object? GetAttribute(object? target, string name)
    {
        if (target is Undefined u) throw PythonValues.UndefinedError(u);
        if (name.StartsWith('_')) return new Undefined($"access to attribute '{name}' is unsafe");
        switch (target)
        {
            case Dictionary<string, object?> dict:
                if (DictMethods.Contains(name)) return new BoundMethod(dict, name);
                return dict.TryGetValue(name, out var value) ? value : new Undefined($"'dict object' has no attribute '{name}'");
            case TemplateNamespace ns:
                return ns.Attributes.TryGetValue(name, out var attribute) ? attribute : new Undefined($"'Namespace' has no attribute '{name}'");
            case LoopState loop:
                return LoopAttribute(loop, name);
            case string s:
                return StringMethods.Contains(name) ? new BoundMethod(s, name) : new Undefined($"'str object' has no attribute '{name}'");
            case List<object?> or object?[]:
                return ListMethods.Contains(name) ? new BoundMethod(target, name) : new Undefined($"'{PythonValues.TypeName(target)} object' has no attribute '{name}'");
        }
        return new Undefined($"'{PythonValues.TypeName(target)} object' has no attribute '{name}'");
    }

    private static object? LoopAttribute(LoopState loop, string name)
    {
        int count = loop.Items.Count, i = loop.Index0;
        return name switch
        {
            "index" => (long)(i + 1),
            "index0" => (long)i,
            "revindex" => (long)(count - i),
            "revindex0" => (long)(count - i - 1),
            "first" => i == 0,
            "last" => i == count - 1,
            "length" => (long)count,
            "depth" => 1L,
            "depth0" => 0L,
            "previtem" => i > 0 ? loop.Items[i - 1] : new Undefined("there is no previous item"),
            "nextitem" => i + 1 < count ? loop.Items[i + 1] : new Undefined("there is no next item"),
            "cycle" => new BoundMethod(loop, "cycle"),
            "changed" => throw ChatTemplateException.Unsupported(default, "loop.changed()"),
            _ => new Undefined($"'LoopContext object' has no attribute '{name}'"),
        };
    }

    public static object? GetItem(object? target, object? key)
    {
        if (target is Undefined u) throw PythonValues.UndefinedError(u);
        switch (target)
        {
            case Dictionary<string, object?> dict:
                if (key is string name) return dict.TryGetValue(name, out var value) ? value : GetAttribute(dict, name);
                return new Undefined($"'dict object' has no attribute {PythonValues.Repr(key)}");
            case List<object?> or object?[] or DictView or RangeValue or string when key is long or bool:
                var items = target is string s ? PythonText.CodePoints(s) : PythonValues.Iterate(target);
                long index = PythonValues.ToLong(key);
                if (index < 0) index += items.Count;
                if (index >= 0 && index < items.Count) return items[(int)index];
                return new Undefined($"{PythonValues.TypeName(target)} object has no element {PythonValues.ToLong(key)}");
        }
        if (key is string attribute) return GetAttribute(target, attribute);
        return new Undefined($"'{PythonValues.TypeName(target)} object' has no attribute {PythonValues.Repr(key)}");
    }

    /// <summary>Python slicing, with slice.indices' clamping of out-of-range and negative bounds.</summary>
    public static object? Slice(object? target, object? start, object? stop, object? step)
    {
        if (target is Undefined u) throw PythonValues.UndefinedError(u);
        IReadOnlyList<object?> items = target switch
        {
            string s => PythonText.CodePoints(s),
            List<object?> or object?[] => (IReadOnlyList<object?>)target,
            _ => throw PythonValues.Error($"TypeError: '{PythonValues.TypeName(target)}' object is not subscriptable"),
        };
        long n = items.Count;
        long stepValue = step is null ? 1 : PythonValues.ToLong(step);
        if (stepValue == 0) throw PythonValues.Error("ValueError: slice step cannot be zero");
        long Clamp(object? bound, long fallback, long low, long high)
        {
            if (bound is null) return fallback;
            long b = PythonValues.ToLong(bound);
            if (b < 0) b += n;
            return Math.Clamp(b, low, high);
        }
        var picked = new List<object?>();
        if (stepValue > 0)
        {
            long from = Clamp(start, 0, 0, n), to = Clamp(stop, n, 0, n);
            for (long i = from; i < to; i += stepValue) picked.Add(items[(int)i]);
        }
        else
        {
            long from = Clamp(start, n - 1, -1, n - 1), to = Clamp(stop, -1, -1, n - 1);
            for (long i = from; i > to; i += stepValue) picked.Add(items[(int)i]);
        }
        return target switch
        {
            string => string.Concat(picked.Cast<string>()),
            object?[] => picked.ToArray(),
            _ => picked,
        };
    }

    public static object? CallMethod(BoundMethod method, EvaluatedArguments arguments) => method.Receiver switch
    {
        string s => CallStringMethod(s, method.Name, arguments),
        Dictionary<string, object?> dict => CallDictMethod(dict, method.Name, arguments),
        LoopState loop when method.Name == "cycle" => arguments.Positional.Count == 0
            ? throw PythonValues.Error("TypeError: no items for cycling given")
            : arguments.Positional[loop.Index0 % arguments.Positional.Count],
        _ => throw ChatTemplateException.Unsupported(default, $"the {PythonValues.TypeName(method.Receiver)} method '{method.Name}()'"),
    };

    private static string? OptionalString(EvaluatedArguments arguments, int index, string name) =>
        arguments.Get(index, name) switch
        {
            null => null,
            string s => s,
            var other => throw PythonValues.Error($"TypeError: expected a string or None for '{name}', got {PythonValues.Describe(other)}"),
        };

    private static string RequiredString(EvaluatedArguments arguments, int index, string name) =>
        OptionalString(arguments, index, name) ?? throw PythonValues.Error($"TypeError: the string argument '{name}' is missing");

    private static object? CallStringMethod(string s, string name, EvaluatedArguments arguments)
    {
        switch (name)
        {
            case "strip": return PythonText.Strip(s, OptionalString(arguments, 0, "chars"), left: true, right: true);
            case "lstrip": return PythonText.Strip(s, OptionalString(arguments, 0, "chars"), left: true, right: false);
            case "rstrip": return PythonText.Strip(s, OptionalString(arguments, 0, "chars"), left: false, right: true);
            case "upper": return PythonText.Upper(s);
            case "lower": return PythonText.Lower(s);
            case "title": return PythonText.Title(s);
            case "capitalize": return PythonText.Capitalize(s);
            case "split":
                return PythonText.Split(s, OptionalString(arguments, 0, "sep"), PythonValues.ToLong(arguments.Get(1, "maxsplit", -1L)));
            case "startswith" or "endswith":
                if (arguments.Positional.Count > 1) throw ChatTemplateException.Unsupported(default, $"str.{name}() with start and end");
                var affixes = arguments.Get(0, "prefix") switch
                {
                    string one => [one],
                    object?[] many when many.All(x => x is string) => many.Cast<string>().ToArray(),
                    var other => throw PythonValues.Error($"TypeError: {name} first arg must be str or a tuple of str, not {PythonValues.TypeName(other)}"),
                };
                return affixes.Any(a => name == "startswith" ? s.StartsWith(a, StringComparison.Ordinal) : s.EndsWith(a, StringComparison.Ordinal));
            case "replace":
                string old = RequiredString(arguments, 0, "old"), replacement = RequiredString(arguments, 1, "new");
                return Replace(s, old, replacement, PythonValues.ToLong(arguments.Get(2, "count", -1L)));
            case "join":
                var parts = PythonValues.Iterate(arguments.Get(0, "iterable"));
                if (parts.Any(p => p is not string)) throw PythonValues.Error("TypeError: str.join() expects strings");
                return string.Join(s, parts.Cast<string>());
        }
        throw ChatTemplateException.Unsupported(default, $"the string method '{name}()'");
    }

    /// <summary>str.replace with Python's count (and its rule that an empty <paramref name="old"/> matches between characters).</summary>
    public static string Replace(string s, string old, string replacement, long count)
    {
        if (count < 0 && old.Length > 0) return s.Replace(old, replacement, StringComparison.Ordinal);
        var sb = new System.Text.StringBuilder();
        int from = 0;
        long done = 0;
        if (old.Length == 0)
        {
            var points = PythonText.CodePoints(s);
            for (int i = 0; i <= points.Length; i++)
            {
                if (count < 0 || done < count) { sb.Append(replacement); done++; }
                if (i < points.Length) sb.Append(points[i]);
            }
            return sb.ToString();
        }
        while (done < count)
        {
            int at = s.IndexOf(old, from, StringComparison.Ordinal);
            if (at < 0) break;
            sb.Append(s, from, at - from).Append(replacement);
            from = at + old.Length;
            done++;
        }
        return sb.Append(s, from, s.Length - from).ToString();
    }

    private static object? CallDictMethod(Dictionary<string, object?> dict, string name, EvaluatedArguments arguments)
    {
        switch (name)
        {
            case "get":
                return arguments.Get(0, "key") is string key && dict.TryGetValue(key, out var value) ? value : arguments.Get(1, "default");
            case "items": return new DictView("items", dict.Select(p => (object?)new object?[] { p.Key, p.Value }).ToList());
            case "keys": return new DictView("keys", dict.Keys.Cast<object?>().ToList());
            case "values": return new DictView("values", dict.Values.ToList());
        }
        throw ChatTemplateException.Unsupported(default, $"the dict method '{name}()'");
    }
}
