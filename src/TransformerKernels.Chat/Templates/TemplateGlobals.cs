namespace TransformerKernels.Chat;

/// <summary>
/// The functions a chat template can call by name: Jinja's <c>namespace</c>, <c>range</c> and <c>dict</c>, and the
/// two transformers adds, <c>raise_exception</c> and <c>strftime_now</c>. Jinja's other globals are known by name so
/// that calling one fails saying so instead of "undefined".
/// </summary>
internal static class TemplateGlobals
{
    private static readonly HashSet<string> Supported = ["raise_exception", "namespace", "range", "dict", "strftime_now"];
    private static readonly HashSet<string> KnownUnsupported = ["lipsum", "cycler", "joiner"];

    public static bool IsGlobal(string name) => Supported.Contains(name) || KnownUnsupported.Contains(name);

    public static object? Call(string name, EvaluatedArguments arguments, TimeProvider time)
    {
        switch (name)
        {
            case "raise_exception":
                throw new ChatTemplateException(PythonValues.Str(arguments.Get(0, "message", ""))) { RaisedByTemplate = true };
            case "namespace":
                var ns = new TemplateNamespace();
                if (arguments.Positional.Count > 0)
                {
                    if (arguments.Positional[0] is not Dictionary<string, object?> initial)
                        throw PythonValues.Error("TypeError: namespace() takes a dict or keyword arguments");
                    foreach (var (key, value) in initial) ns.Attributes[key] = value;
                }
                foreach (var (key, value) in arguments.Named) ns.Attributes[key] = value;
                return ns;
            case "dict":
                if (arguments.Positional.Count > 0) throw ChatTemplateException.Unsupported(default, "dict() with positional arguments");
                return new Dictionary<string, object?>(arguments.Named, StringComparer.Ordinal);
            case "range":
                var bounds = arguments.Positional.Select(PythonValues.ToLong).ToArray();
                var range = bounds.Length switch
                {
                    1 => new RangeValue(0, bounds[0], 1),
                    2 => new RangeValue(bounds[0], bounds[1], 1),
                    3 when bounds[2] != 0 => new RangeValue(bounds[0], bounds[1], bounds[2]),
                    _ => throw PythonValues.Error("TypeError: range() takes 1 to 3 integer arguments, the step not 0"),
                };
                if (Math.Abs((range.Stop - range.Start) / range.Step) > 100_000)
                    throw PythonValues.Error("OverflowError: range too big, more than 100000 items (the sandbox's limit)");
                return range;
            case "strftime_now":
                if (arguments.Get(0, "format") is not string format) throw PythonValues.Error("TypeError: strftime_now() takes a format string");
                return PythonStrftime.Format(time.GetLocalNow().DateTime, format);
        }
        throw ChatTemplateException.Unsupported(default, $"the function '{name}()'");
    }
}
