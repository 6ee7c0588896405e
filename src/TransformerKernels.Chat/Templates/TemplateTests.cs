namespace TransformerKernels.Chat;

/// <summary>The Jinja tests (<c>x is defined</c>, <c>x is divisibleby 3</c>, …) with Jinja 3.1's definitions.</summary>
internal static class TemplateTests
{
    private static readonly HashSet<string> Supported =
    [
        "defined", "undefined", "none", "string", "mapping", "iterable", "sequence", "number", "integer", "float", "boolean", "true",
        "false", "equalto", "eq", "==", "ne", "!=", "lt", "lessthan", "<", "le", "<=", "gt", "greaterthan", ">", "ge", ">=", "sameas",
        "lower", "upper", "odd", "even", "divisibleby", "in", "callable",
    ];

    public static bool IsSupported(string name) => Supported.Contains(name);

    public static bool Apply(string name, object? value, EvaluatedArguments arguments)
    {
        object? Other() => arguments.Positional.Count > 0 ? arguments.Positional[0]
            : arguments.Named.Count > 0 ? arguments.Named.Values.First()
            : throw PythonValues.Error($"TypeError: the test '{name}' needs an argument");
        switch (name)
        {
            case "defined": return value is not Undefined;
            case "undefined": return value is Undefined;
            case "none": return value is null;
            case "string": return value is string;
            case "mapping": return value is Dictionary<string, object?>;
            case "iterable": return value is string or List<object?> or object?[] or Dictionary<string, object?> or DictView or RangeValue or GeneratorValue or Undefined;
            case "sequence": return value is string or List<object?> or object?[] or Dictionary<string, object?> or RangeValue or Undefined;
            case "number": return value is long or double or bool;
            case "integer": return value is long;
            case "float": return value is double;
            case "boolean": return value is bool;
            case "true": return value is true;
            case "false": return value is false;
            case "callable": return value is MacroValue or GlobalFunction or BoundMethod;
            case "equalto" or "eq" or "==": return PythonValues.AreEqual(value, Other());
            case "ne" or "!=": return !PythonValues.AreEqual(value, Other());
            case "lt" or "lessthan" or "<": return PythonValues.Compare(value, Other(), "<") < 0;
            case "le" or "<=": return PythonValues.Compare(value, Other(), "<=") <= 0;
            case "gt" or "greaterthan" or ">": return PythonValues.Compare(value, Other(), ">") > 0;
            case "ge" or ">=": return PythonValues.Compare(value, Other(), ">=") >= 0;
            case "in": return PythonValues.Contains(Other(), value);
            case "sameas":
                var other = Other();
                if ((value is not (null or bool)) || (other is not (null or bool)))
                    throw ChatTemplateException.Unsupported(default, "'sameas' on values other than none, true and false");
                return Equals(value, other);
            case "lower": return value is string l && l.Any(char.IsLower) && !l.Any(char.IsUpper);
            case "upper": return value is string u && u.Any(char.IsUpper) && !u.Any(char.IsLower);
            case "odd": return PythonValues.ToLong(value) % 2 != 0;
            case "even": return PythonValues.ToLong(value) % 2 == 0;
            case "divisibleby": return PythonValues.ToLong(value) % PythonValues.ToLong(Other()) == 0;
        }
        throw ChatTemplateException.Unsupported(default, $"the test '{name}'");
    }
}
