namespace TransformerKernels.Chat;

// Values while rendering are plain objects with Python's meaning: null is None, string, bool, long (int), double
// (float), List<object?> (list), object?[] (tuple), Dictionary<string, object?> (dict, insertion-ordered), and the
// types below for what has no .NET counterpart.

/// <summary>Jinja's default Undefined: falsy, renders as "", iterates as empty; using it in arithmetic or looking
/// into it fails with <see cref="Message"/>.</summary>
internal sealed class Undefined(string message)
{
    public string Message { get; } = message;
}

/// <summary>The object <c>namespace()</c> returns: attributes assignable with <c>{% set ns.attr = … %}</c>.</summary>
internal sealed class TemplateNamespace
{
    public Dictionary<string, object?> Attributes { get; } = new(StringComparer.Ordinal);
}

/// <summary>The <c>loop</c> variable of a for loop.</summary>
internal sealed class LoopState(IReadOnlyList<object?> items)
{
    public IReadOnlyList<object?> Items { get; } = items;
    public int Index0 { get; set; }
}

/// <summary>A macro with the scope it was defined in (it sees that scope's variables, as Jinja's closures do).</summary>
internal sealed class MacroValue(MacroNode node, TemplateScope scope)
{
    public MacroNode Node { get; } = node;
    public TemplateScope Scope { get; } = scope;
}

/// <summary>A global function (<c>raise_exception</c>, <c>namespace</c>, <c>range</c>, …) by name.</summary>
internal sealed class GlobalFunction(string name)
{
    public string Name { get; } = name;
}

/// <summary><c>obj.method</c> looked up but not yet called.</summary>
internal sealed class BoundMethod(object? receiver, string name)
{
    public object? Receiver { get; } = receiver;
    public string Name { get; } = name;
}

/// <summary>dict.items()/keys()/values(): a list that renders as <c>dict_items([...])</c> like Python's views.</summary>
internal sealed class DictView(string kind, List<object?> items)
{
    public string Kind { get; } = kind;
    public List<object?> Items { get; } = items;
}

/// <summary><c>range(...)</c>: a sequence that renders as <c>range(0, 3)</c>.</summary>
internal sealed class RangeValue(long start, long stop, long step)
{
    public long Start { get; } = start;
    public long Stop { get; } = stop;
    public long Step { get; } = step;

    public List<object?> ToList()
    {
        var items = new List<object?>();
        if (Step > 0) for (long i = Start; i < Stop; i += Step) items.Add(i);
        else for (long i = Start; i > Stop; i += Step) items.Add(i);
        return items;
    }
}

/// <summary>A generator (what <c>select</c>, <c>map</c>, <c>reverse</c> or <c>items</c> return): iterates once, has no
/// length, and renders as Python's unpredictable <c>&lt;generator object …&gt;</c> — so rendering it is refused.</summary>
internal sealed class GeneratorValue(List<object?> items)
{
    private List<object?>? _items = items;

    public List<object?> Drain()
    {
        var items = _items ?? [];
        _items = null;
        return items;
    }
}

/// <summary>Variables of one level: the render's own, a for-loop iteration's, or a macro call's.</summary>
internal sealed class TemplateScope(TemplateScope? parent)
{
    private readonly Dictionary<string, object?> _variables = new(StringComparer.Ordinal);

    public TemplateScope? Parent { get; } = parent;

    public void Set(string name, object? value) => _variables[name] = value;

    public bool TryGet(string name, out object? value)
    {
        for (var scope = this; scope is not null; scope = scope.Parent)
            if (scope._variables.TryGetValue(name, out value)) return true;
        value = null;
        return false;
    }
}
