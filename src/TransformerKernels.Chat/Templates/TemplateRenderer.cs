using System.Text;

namespace TransformerKernels.Chat;

/// <summary>
/// Walks a parsed template once per render. Holds only the per-render state (the clock), so concurrent renders of one
/// <see cref="ChatTemplate"/> each get their own renderer and share nothing mutable. Scopes follow Jinja: <c>if</c>
/// shares its scope, each for-loop iteration and each macro call gets a fresh child scope whose assignments vanish
/// with it (a value meant to survive a loop goes through <c>namespace()</c>).
/// </summary>
internal sealed class TemplateRenderer(TimeProvider time)
{
    private enum Flow { Normal, Break, Continue }

    public string Render(IReadOnlyList<TemplateNode> nodes, TemplateScope scope)
    {
        var output = new StringBuilder();
        Execute(nodes, scope, output);
        return output.ToString();
    }

    private Flow Execute(IReadOnlyList<TemplateNode> nodes, TemplateScope scope, StringBuilder output)
    {
        foreach (var node in nodes)
        {
            Flow flow;
            try
            {
                flow = ExecuteNode(node, scope, output);
            }
            catch (ChatTemplateException e) when (e.Line == 0 && !e.RaisedByTemplate)
            {
                throw ChatTemplateException.At(node.Position, e.Message);
            }
            if (flow != Flow.Normal) return flow;
        }
        return Flow.Normal;
    }

    private Flow ExecuteNode(TemplateNode node, TemplateScope scope, StringBuilder output)
    {
        switch (node)
        {
            case TextNode text:
                output.Append(text.Text);
                return Flow.Normal;
            case OutputNode o:
                output.Append(PythonValues.Str(Evaluate(o.Value, scope)));
                return Flow.Normal;
            case IfNode @if:
                foreach (var branch in @if.Branches)
                    if (PythonValues.Truthy(Evaluate(branch.Condition, scope))) return Execute(branch.Body, scope, output);
                return @if.Else is null ? Flow.Normal : Execute(@if.Else, scope, output);
            case ForNode @for:
                ExecuteFor(@for, scope, output);
                return Flow.Normal;
            case SetNode set:
                Assign(set.Target, Evaluate(set.Value, scope), scope);
                return Flow.Normal;
            case SetBlockNode block:
                var captured = new StringBuilder();
                Execute(block.Body, new TemplateScope(scope), captured);
                scope.Set(block.Name, captured.ToString());
                return Flow.Normal;
            case MacroNode macro:
                scope.Set(macro.Name, new MacroValue(macro, scope));
                return Flow.Normal;
            case BreakNode:
                return Flow.Break;
            case ContinueNode:
                return Flow.Continue;
        }
        throw new InvalidOperationException($"unknown template node {node.GetType().Name}");
    }

    private void ExecuteFor(ForNode node, TemplateScope scope, StringBuilder output)
    {
        var source = PythonValues.Iterate(Evaluate(node.Iterable, scope));
        IReadOnlyList<object?> items = source;
        if (node.Filter is not null)
        {
            var kept = new List<object?>();
            foreach (var item in source)
            {
                var filterScope = new TemplateScope(scope);
                Assign(node.Target, item, filterScope);
                if (PythonValues.Truthy(Evaluate(node.Filter, filterScope))) kept.Add(item);
            }
            items = kept;
        }
        else if (source is not List<object?> and not object?[]) items = [.. source];
        if (items.Count == 0)
        {
            if (node.Else is not null) Execute(node.Else, new TemplateScope(scope), output);
            return;
        }
        var loop = new LoopState(items);
        for (int i = 0; i < items.Count; i++)
        {
            var iteration = new TemplateScope(scope);
            Assign(node.Target, items[i], iteration);
            loop.Index0 = i;
            iteration.Set("loop", loop);
            if (Execute(node.Body, iteration, output) == Flow.Break) break;
        }
    }

    private void Assign(AssignTarget target, object? value, TemplateScope scope)
    {
        switch (target)
        {
            case NameTarget name:
                scope.Set(name.Name, value);
                return;
            case AttributeTarget attribute:
                if (!scope.TryGet(attribute.Object, out var holder) || holder is not TemplateNamespace ns)
                    throw ChatTemplateException.At(attribute.Position, $"cannot assign attribute on non-namespace object '{attribute.Object}'");
                ns.Attributes[attribute.Attribute] = value;
                return;
            case TupleTarget tuple:
                if (value is Undefined u) throw PythonValues.UndefinedError(u);
                var items = PythonValues.Iterate(value);
                if (items.Count != tuple.Items.Count)
                    throw ChatTemplateException.At(tuple.Position, $"ValueError: cannot unpack {items.Count} values into {tuple.Items.Count} names");
                for (int i = 0; i < items.Count; i++) Assign(tuple.Items[i], items[i], scope);
                return;
        }
    }

    public object? Evaluate(Expression expression, TemplateScope scope)
    {
        switch (expression)
        {
            case LiteralExpression literal:
                return literal.Value;
            case NameExpression name:
                if (scope.TryGet(name.Name, out var value)) return value;
                return TemplateGlobals.IsGlobal(name.Name) ? new GlobalFunction(name.Name) : new Undefined($"'{name.Name}' is undefined");
            case ListExpression list:
                return list.Items.Select(item => Evaluate(item, scope)).ToList();
            case TupleExpression tuple:
                return tuple.Items.Select(item => Evaluate(item, scope)).ToArray();
            case DictExpression dict:
                var result = new Dictionary<string, object?>(StringComparer.Ordinal);
                foreach (var (keyExpression, valueExpression) in dict.Pairs)
                {
                    if (Evaluate(keyExpression, scope) is not string key)
                        throw ChatTemplateException.Unsupported(keyExpression.Position, "a dictionary key that is not a string");
                    result[key] = Evaluate(valueExpression, scope);
                }
                return result;
            case AttributeExpression attribute:
                return TemplateMembers.GetAttribute(Evaluate(attribute.Object, scope), attribute.Attribute);
            case ItemExpression item:
                return TemplateMembers.GetItem(Evaluate(item.Object, scope), Evaluate(item.Index, scope));
            case SliceExpression slice:
                return TemplateMembers.Slice(Evaluate(slice.Object, scope), EvaluateOptional(slice.Start, scope),
                    EvaluateOptional(slice.Stop, scope), EvaluateOptional(slice.Step, scope));
            case CallExpression call:
                return Call(Evaluate(call.Callee, scope), EvaluateArguments(call.Arguments, scope), scope);
            case FilterExpression filter:
                return TemplateFilters.Apply(filter.Name, Evaluate(filter.Value, scope), EvaluateArguments(filter.Arguments, scope));
            case TestExpression test:
                bool passed = TemplateTests.Apply(test.Name, Evaluate(test.Value, scope), EvaluateArguments(test.Arguments, scope));
                return test.Negated ? !passed : passed;
            case UnaryExpression unary:
                var operand = Evaluate(unary.Operand, scope);
                return unary.Operator switch
                {
                    "not" => !PythonValues.Truthy(operand),
                    "-" => PythonValues.Negate(operand),
                    _ => PythonValues.IsNumber(operand) ? operand is bool b ? (b ? 1L : 0L) : operand
                        : throw PythonValues.Error($"TypeError: bad operand type for unary +: '{PythonValues.TypeName(operand)}'"),
                };
            case BinaryExpression binary:
                return EvaluateBinary(binary, scope);
            case CompareExpression compare:
                return EvaluateCompare(compare, scope);
            case ConditionalExpression conditional:
                if (PythonValues.Truthy(Evaluate(conditional.Condition, scope))) return Evaluate(conditional.Then, scope);
                return conditional.Else is null
                    ? new Undefined("the inline if-expression evaluated to false and no else section was defined.")
                    : Evaluate(conditional.Else, scope);
        }
        throw new InvalidOperationException($"unknown expression {expression.GetType().Name}");
    }

    private object? EvaluateOptional(Expression? expression, TemplateScope scope) => expression is null ? null : Evaluate(expression, scope);

    private object? EvaluateBinary(BinaryExpression binary, TemplateScope scope)
    {
        var left = Evaluate(binary.Left, scope);
        switch (binary.Operator)
        {
            case "and": return PythonValues.Truthy(left) ? Evaluate(binary.Right, scope) : left;
            case "or": return PythonValues.Truthy(left) ? left : Evaluate(binary.Right, scope);
        }
        var right = Evaluate(binary.Right, scope);
        if (binary.Operator == "~") return PythonValues.Str(left) + PythonValues.Str(right);
        return PythonValues.Arithmetic(binary.Operator, left, right);
    }

    private bool EvaluateCompare(CompareExpression compare, TemplateScope scope)
    {
        var left = Evaluate(compare.First, scope);
        foreach (var (op, operandExpression) in compare.Rest)
        {
            var right = Evaluate(operandExpression, scope);
            bool holds = op switch
            {
                "==" => PythonValues.AreEqual(left, right),
                "!=" => !PythonValues.AreEqual(left, right),
                "<" => PythonValues.Compare(left, right, op) < 0,
                "<=" => PythonValues.Compare(left, right, op) <= 0,
                ">" => PythonValues.Compare(left, right, op) > 0,
                ">=" => PythonValues.Compare(left, right, op) >= 0,
                "in" => PythonValues.Contains(right, left),
                _ => !PythonValues.Contains(right, left),
            };
            if (!holds) return false;
            left = right;
        }
        return true;
    }

    private EvaluatedArguments EvaluateArguments(Arguments arguments, TemplateScope scope)
    {
        if (arguments.Positional.Count == 0 && arguments.Named.Count == 0) return EvaluatedArguments.None;
        var positional = arguments.Positional.Select(a => Evaluate(a, scope)).ToList();
        var named = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var (name, value) in arguments.Named) named[name] = Evaluate(value, scope);
        return new EvaluatedArguments(positional, named);
    }

    private object? Call(object? callee, EvaluatedArguments arguments, TemplateScope scope) => callee switch
    {
        MacroValue macro => CallMacro(macro, arguments),
        GlobalFunction function => TemplateGlobals.Call(function.Name, arguments, time),
        BoundMethod method => TemplateMembers.CallMethod(method, arguments),
        Undefined u => throw PythonValues.UndefinedError(u),
        _ => throw PythonValues.Error($"TypeError: '{PythonValues.TypeName(callee)}' object is not callable"),
    };

    private string CallMacro(MacroValue macro, EvaluatedArguments arguments)
    {
        var parameters = macro.Node.Parameters;
        if (arguments.Positional.Count > parameters.Count)
            throw PythonValues.Error($"TypeError: macro '{macro.Node.Name}' takes not more than {parameters.Count} argument(s)");
        foreach (string name in arguments.Named.Keys)
            if (!parameters.Any(p => p.Name == name))
                throw PythonValues.Error($"TypeError: macro '{macro.Node.Name}' takes no keyword argument '{name}'");
        var callScope = new TemplateScope(macro.Scope);
        for (int i = 0; i < parameters.Count; i++)
        {
            var parameter = parameters[i];
            object? value;
            if (i < arguments.Positional.Count) value = arguments.Positional[i];
            else if (arguments.Named.TryGetValue(parameter.Name, out var named)) value = named;
            else if (parameter.Default is not null) value = Evaluate(parameter.Default, callScope);
            else value = new Undefined($"parameter '{parameter.Name}' was not provided");
            callScope.Set(parameter.Name, value);
        }
        var output = new StringBuilder();
        Execute(macro.Node.Body, callScope, output);
        return output.ToString();
    }
}

/// <summary>Arguments of a call, filter or test after evaluation.</summary>
internal sealed record EvaluatedArguments(IReadOnlyList<object?> Positional, IReadOnlyDictionary<string, object?> Named)
{
    public static readonly EvaluatedArguments None = new([], new Dictionary<string, object?>());

    /// <summary>The argument at <paramref name="index"/> or named <paramref name="name"/>, else <paramref name="fallback"/>.</summary>
    public object? Get(int index, string name, object? fallback = null) =>
        index < Positional.Count ? Positional[index] : Named.TryGetValue(name, out var value) ? value : fallback;

    public bool Has(int index, string name) => index < Positional.Count || Named.ContainsKey(name);
}
