namespace TransformerKernels.Chat;

// The parsed template: statements (what to emit) and expressions (what to compute). Immutable, so one parse is shared
// by every render on every thread.

internal abstract record TemplateNode(TemplatePosition Position);

internal sealed record TextNode(string Text, TemplatePosition Position) : TemplateNode(Position);

internal sealed record OutputNode(Expression Value, TemplatePosition Position) : TemplateNode(Position);

internal sealed record IfBranch(Expression Condition, IReadOnlyList<TemplateNode> Body);

internal sealed record IfNode(IReadOnlyList<IfBranch> Branches, IReadOnlyList<TemplateNode>? Else, TemplatePosition Position) : TemplateNode(Position);

internal sealed record ForNode(AssignTarget Target, Expression Iterable, Expression? Filter, IReadOnlyList<TemplateNode> Body,
    IReadOnlyList<TemplateNode>? Else, TemplatePosition Position) : TemplateNode(Position);

internal sealed record SetNode(AssignTarget Target, Expression Value, TemplatePosition Position) : TemplateNode(Position);

internal sealed record SetBlockNode(string Name, IReadOnlyList<TemplateNode> Body, TemplatePosition Position) : TemplateNode(Position);

internal sealed record MacroParameter(string Name, Expression? Default);

internal sealed record MacroNode(string Name, IReadOnlyList<MacroParameter> Parameters, IReadOnlyList<TemplateNode> Body,
    TemplatePosition Position) : TemplateNode(Position);

internal sealed record BreakNode(TemplatePosition Position) : TemplateNode(Position);

internal sealed record ContinueNode(TemplatePosition Position) : TemplateNode(Position);

/// <summary>The left side of <c>set</c> or <c>for</c>: a name, <c>ns.attr</c>, or a tuple of names.</summary>
internal abstract record AssignTarget(TemplatePosition Position);

internal sealed record NameTarget(string Name, TemplatePosition Position) : AssignTarget(Position);

internal sealed record AttributeTarget(string Object, string Attribute, TemplatePosition Position) : AssignTarget(Position);

internal sealed record TupleTarget(IReadOnlyList<AssignTarget> Items, TemplatePosition Position) : AssignTarget(Position);

internal abstract record Expression(TemplatePosition Position);

internal sealed record LiteralExpression(object? Value, TemplatePosition Position) : Expression(Position);

internal sealed record NameExpression(string Name, TemplatePosition Position) : Expression(Position);

internal sealed record ListExpression(IReadOnlyList<Expression> Items, TemplatePosition Position) : Expression(Position);

internal sealed record TupleExpression(IReadOnlyList<Expression> Items, TemplatePosition Position) : Expression(Position);

internal sealed record DictExpression(IReadOnlyList<(Expression Key, Expression Value)> Pairs, TemplatePosition Position) : Expression(Position);

internal sealed record AttributeExpression(Expression Object, string Attribute, TemplatePosition Position) : Expression(Position);

internal sealed record ItemExpression(Expression Object, Expression Index, TemplatePosition Position) : Expression(Position);

internal sealed record SliceExpression(Expression Object, Expression? Start, Expression? Stop, Expression? Step, TemplatePosition Position)
    : Expression(Position);

internal sealed record Arguments(IReadOnlyList<Expression> Positional, IReadOnlyList<(string Name, Expression Value)> Named)
{
    public static readonly Arguments None = new([], []);
}

internal sealed record CallExpression(Expression Callee, Arguments Arguments, TemplatePosition Position) : Expression(Position);

internal sealed record FilterExpression(Expression Value, string Name, Arguments Arguments, TemplatePosition Position) : Expression(Position);

internal sealed record TestExpression(Expression Value, string Name, Arguments Arguments, bool Negated, TemplatePosition Position)
    : Expression(Position);

internal sealed record UnaryExpression(string Operator, Expression Operand, TemplatePosition Position) : Expression(Position);

internal sealed record BinaryExpression(string Operator, Expression Left, Expression Right, TemplatePosition Position) : Expression(Position);

internal sealed record CompareExpression(Expression First, IReadOnlyList<(string Operator, Expression Operand)> Rest, TemplatePosition Position)
    : Expression(Position);

internal sealed record ConditionalExpression(Expression Condition, Expression Then, Expression? Else, TemplatePosition Position)
    : Expression(Position);
