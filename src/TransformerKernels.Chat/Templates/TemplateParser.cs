using System.Globalization;

namespace TransformerKernels.Chat;

/// <summary>
/// Recursive descent over the lexer's tokens into <see cref="TemplateNode"/>s, with Jinja's grammar and operator
/// precedence (conditional → or → and → not → comparisons → + - → ~ → * / // % → ** → unary, postfix, filters and tests).
/// Every Jinja construct outside the supported subset is refused here, by name, rather than at render time.
/// </summary>
internal sealed class TemplateParser
{
    private static readonly HashSet<string> UnsupportedTags =
        ["include", "extends", "import", "from", "block", "call", "filter", "with", "raw", "autoescape", "trans", "pluralize", "do", "print", "generation"];

    private static readonly HashSet<string> MacroOnlyNames = ["varargs", "kwargs", "caller"];

    private readonly List<TemplateToken> _tokens;
    private int _index;
    private int _loopDepth;
    private int _macroDepth;

    private TemplateParser(List<TemplateToken> tokens) => _tokens = tokens;

    public static IReadOnlyList<TemplateNode> Parse(string source)
    {
        var parser = new TemplateParser(TemplateLexer.Tokenize(source));
        var body = parser.ParseBody([], out _);
        return body;
    }

    private TemplateToken Current => _tokens[_index];

    private TemplateToken Next() => _tokens[_index++];

    private bool SkipOperator(string op)
    {
        if (!Current.IsOperator(op)) return false;
        _index++;
        return true;
    }

    private bool SkipName(string name)
    {
        if (!Current.IsName(name)) return false;
        _index++;
        return true;
    }

    private void ExpectOperator(string op)
    {
        if (!SkipOperator(op)) throw Unexpected($"'{op}'");
    }

    private string ExpectName()
    {
        if (Current.Kind != TokenKind.Name) throw Unexpected("a name");
        return Next().Value;
    }

    private void ExpectBlockEnd()
    {
        if (Current.Kind != TokenKind.BlockEnd) throw Unexpected("the end of the tag %}");
        _index++;
    }

    private ChatTemplateException Unexpected(string expected)
    {
        string found = Current.Kind switch
        {
            TokenKind.End => "the end of the template",
            TokenKind.BlockEnd => "%}",
            TokenKind.VariableEnd => "}}",
            TokenKind.String => "a string",
            _ => $"'{Current.Value}'",
        };
        return ChatTemplateException.At(Current.Position, $"syntax error: expected {expected} but found {found}");
    }

    /// <summary>Nodes until one of <paramref name="endTags"/> opens a block tag (its name consumed, returned in <paramref name="endTag"/>).</summary>
    private List<TemplateNode> ParseBody(string[] endTags, out string endTag)
    {
        var nodes = new List<TemplateNode>();
        while (true)
        {
            var token = Current;
            switch (token.Kind)
            {
                case TokenKind.Text:
                    _index++;
                    nodes.Add(new TextNode(token.Value, token.Position));
                    break;
                case TokenKind.VariableBegin:
                    _index++;
                    var value = ParseTuple(withConditional: true);
                    if (Current.Kind != TokenKind.VariableEnd) throw Unexpected("the end of the expression }}");
                    _index++;
                    nodes.Add(new OutputNode(value, token.Position));
                    break;
                case TokenKind.BlockBegin:
                    _index++;
                    if (Current.Kind != TokenKind.Name) throw Unexpected("a tag name");
                    string tag = Current.Value;
                    if (Array.IndexOf(endTags, tag) >= 0)
                    {
                        _index++;
                        endTag = tag;
                        return nodes;
                    }
                    nodes.Add(ParseStatement(token.Position));
                    break;
                case TokenKind.End:
                    if (endTags.Length > 0)
                        throw ChatTemplateException.At(token.Position, $"syntax error: the template ends before {{% {endTags[^1]} %}}");
                    endTag = "";
                    return nodes;
                default:
                    throw Unexpected("text or a tag");
            }
        }
    }

    private TemplateNode ParseStatement(TemplatePosition position)
    {
        var nameToken = Next();
        string tag = nameToken.Value;
        switch (tag)
        {
            case "if": return ParseIf(position);
            case "for": return ParseFor(position);
            case "set": return ParseSet(position);
            case "macro": return ParseMacro(position);
            case "break" or "continue":
                if (_loopDepth == 0) throw ChatTemplateException.At(position, $"syntax error: {{% {tag} %}} outside a for loop");
                ExpectBlockEnd();
                return tag == "break" ? new BreakNode(position) : new ContinueNode(position);
        }
        if (UnsupportedTags.Contains(tag)) throw ChatTemplateException.Unsupported(nameToken.Position, $"the {{% {tag} %}} tag");
        throw ChatTemplateException.At(nameToken.Position, $"syntax error: unknown or misplaced tag {{% {tag} %}}");
    }

    private IfNode ParseIf(TemplatePosition position)
    {
        var branches = new List<IfBranch>();
        List<TemplateNode>? elseBody = null;
        var condition = ParseTuple(withConditional: true);
        while (true)
        {
            ExpectBlockEnd();
            var body = ParseBody(["elif", "else", "endif"], out string end);
            branches.Add(new IfBranch(condition, body));
            if (end == "elif")
            {
                condition = ParseTuple(withConditional: true);
                continue;
            }
            if (end == "else")
            {
                ExpectBlockEnd();
                elseBody = ParseBody(["endif"], out _);
            }
            ExpectBlockEnd();
            return new IfNode(branches, elseBody, position);
        }
    }

    private ForNode ParseFor(TemplatePosition position)
    {
        var target = ParseAssignTarget(allowNamespace: false);
        if (!SkipName("in")) throw Unexpected("'in'");
        var iterable = ParseTuple(withConditional: false);
        Expression? filter = null;
        if (SkipName("if")) filter = ParseExpression(withConditional: true);
        if (Current.IsName("recursive")) throw ChatTemplateException.Unsupported(Current.Position, "a recursive for loop");
        ExpectBlockEnd();
        _loopDepth++;
        var body = ParseBody(["else", "endfor"], out string end);
        _loopDepth--;
        List<TemplateNode>? elseBody = null;
        if (end == "else")
        {
            ExpectBlockEnd();
            elseBody = ParseBody(["endfor"], out _);
        }
        ExpectBlockEnd();
        return new ForNode(target, iterable, filter, body, elseBody, position);
    }

    private TemplateNode ParseSet(TemplatePosition position)
    {
        var target = ParseAssignTarget(allowNamespace: true);
        if (Current.Kind == TokenKind.BlockEnd)
        {
            if (target is not NameTarget name) throw ChatTemplateException.At(position, "syntax error: a {% set %} block assigns a single name");
            _index++;
            var body = ParseBody(["endset"], out _);
            ExpectBlockEnd();
            return new SetBlockNode(name.Name, body, position);
        }
        if (Current.IsOperator("|")) throw ChatTemplateException.Unsupported(Current.Position, "a filtered {% set %} block");
        ExpectOperator("=");
        var value = ParseTuple(withConditional: true);
        ExpectBlockEnd();
        return new SetNode(target, value, position);
    }

    private MacroNode ParseMacro(TemplatePosition position)
    {
        string name = ExpectName();
        ExpectOperator("(");
        var parameters = new List<MacroParameter>();
        while (!Current.IsOperator(")"))
        {
            if (parameters.Count > 0) ExpectOperator(",");
            if (Current.IsOperator(")")) break;
            string parameter = ExpectName();
            Expression? defaultValue = SkipOperator("=") ? ParseExpression(withConditional: true) : null;
            parameters.Add(new MacroParameter(parameter, defaultValue));
        }
        ExpectOperator(")");
        ExpectBlockEnd();
        _macroDepth++;
        int loopDepth = _loopDepth;
        _loopDepth = 0;
        var body = ParseBody(["endmacro"], out _);
        _loopDepth = loopDepth;
        _macroDepth--;
        if (Current.Kind == TokenKind.Name) _index++;
        ExpectBlockEnd();
        return new MacroNode(name, parameters, body, position);
    }

    private AssignTarget ParseAssignTarget(bool allowNamespace)
    {
        var position = Current.Position;
        var first = ParseSingleTarget(allowNamespace);
        if (!Current.IsOperator(",")) return first;
        var items = new List<AssignTarget> { first };
        while (SkipOperator(","))
        {
            if (Current.IsName("in") || Current.IsOperator("=")) break;
            items.Add(ParseSingleTarget(allowNamespace: false));
        }
        return new TupleTarget(items, position);
    }

    private AssignTarget ParseSingleTarget(bool allowNamespace)
    {
        var position = Current.Position;
        if (SkipOperator("("))
        {
            var items = new List<AssignTarget>();
            while (!Current.IsOperator(")"))
            {
                if (items.Count > 0) ExpectOperator(",");
                if (Current.IsOperator(")")) break;
                items.Add(ParseSingleTarget(allowNamespace: false));
            }
            ExpectOperator(")");
            return new TupleTarget(items, position);
        }
        string name = ExpectName();
        if (allowNamespace && SkipOperator(".")) return new AttributeTarget(name, ExpectName(), position);
        return new NameTarget(name, position);
    }

    private Expression ParseTuple(bool withConditional)
    {
        var position = Current.Position;
        var first = ParseExpression(withConditional);
        if (!Current.IsOperator(",")) return first;
        var items = new List<Expression> { first };
        while (SkipOperator(","))
        {
            if (Current.Kind is TokenKind.BlockEnd or TokenKind.VariableEnd || Current.IsName("if")) break;
            items.Add(ParseExpression(withConditional));
        }
        return new TupleExpression(items, position);
    }

    private Expression ParseExpression(bool withConditional) => withConditional ? ParseConditional() : ParseOr();

    private Expression ParseConditional()
    {
        var expression = ParseOr();
        while (Current.IsName("if"))
        {
            var position = Next().Position;
            var condition = ParseOr();
            Expression? otherwise = SkipName("else") ? ParseConditional() : null;
            expression = new ConditionalExpression(condition, expression, otherwise, position);
        }
        return expression;
    }

    private Expression ParseOr()
    {
        var left = ParseAnd();
        while (Current.IsName("or"))
        {
            var position = Next().Position;
            left = new BinaryExpression("or", left, ParseAnd(), position);
        }
        return left;
    }

    private Expression ParseAnd()
    {
        var left = ParseNot();
        while (Current.IsName("and"))
        {
            var position = Next().Position;
            left = new BinaryExpression("and", left, ParseNot(), position);
        }
        return left;
    }

    private Expression ParseNot()
    {
        if (Current.IsName("not"))
        {
            var position = Next().Position;
            return new UnaryExpression("not", ParseNot(), position);
        }
        return ParseCompare();
    }

    private Expression ParseCompare()
    {
        var position = Current.Position;
        var first = ParseMath1();
        var rest = new List<(string, Expression)>();
        while (true)
        {
            if (Current.Kind == TokenKind.Operator && Current.Value is "==" or "!=" or "<" or "<=" or ">" or ">=")
                rest.Add((Next().Value, ParseMath1()));
            else if (SkipName("in"))
                rest.Add(("in", ParseMath1()));
            else if (Current.IsName("not") && _tokens[_index + 1].IsName("in"))
            {
                _index += 2;
                rest.Add(("not in", ParseMath1()));
            }
            else break;
        }
        return rest.Count == 0 ? first : new CompareExpression(first, rest, position);
    }

    private Expression ParseMath1()
    {
        var left = ParseConcat();
        while (Current.Kind == TokenKind.Operator && Current.Value is "+" or "-")
        {
            var token = Next();
            left = new BinaryExpression(token.Value, left, ParseConcat(), token.Position);
        }
        return left;
    }

    private Expression ParseConcat()
    {
        var left = ParseMath2();
        while (Current.IsOperator("~"))
        {
            var token = Next();
            left = new BinaryExpression("~", left, ParseMath2(), token.Position);
        }
        return left;
    }

    private Expression ParseMath2()
    {
        var left = ParsePow();
        while (Current.Kind == TokenKind.Operator && Current.Value is "*" or "/" or "//" or "%")
        {
            var token = Next();
            left = new BinaryExpression(token.Value, left, ParsePow(), token.Position);
        }
        return left;
    }

    private Expression ParsePow()
    {
        var left = ParseUnary(withFilter: true);
        while (Current.IsOperator("**"))
        {
            var token = Next();
            left = new BinaryExpression("**", left, ParseUnary(withFilter: true), token.Position);
        }
        return left;
    }

    private Expression ParseUnary(bool withFilter)
    {
        Expression node;
        if (Current.IsOperator("-") || Current.IsOperator("+"))
        {
            var token = Next();
            node = new UnaryExpression(token.Value, ParseUnary(withFilter: false), token.Position);
        }
        else node = ParsePrimary();
        node = ParsePostfix(node);
        return withFilter ? ParseFilterExpression(node) : node;
    }

    private Expression ParsePrimary()
    {
        var token = Current;
        switch (token.Kind)
        {
            case TokenKind.Name:
                _index++;
                switch (token.Value)
                {
                    case "true" or "True": return new LiteralExpression(true, token.Position);
                    case "false" or "False": return new LiteralExpression(false, token.Position);
                    case "none" or "None": return new LiteralExpression(null, token.Position);
                }
                if (_macroDepth > 0 && MacroOnlyNames.Contains(token.Value))
                    throw ChatTemplateException.Unsupported(token.Position, $"the macro variable '{token.Value}'");
                return new NameExpression(token.Value, token.Position);
            case TokenKind.String:
                _index++;
                string text = token.Value;
                while (Current.Kind == TokenKind.String) text += Next().Value;
                return new LiteralExpression(text, token.Position);
            case TokenKind.Integer:
                _index++;
                return new LiteralExpression(long.Parse(token.Value, CultureInfo.InvariantCulture), token.Position);
            case TokenKind.Float:
                _index++;
                return new LiteralExpression(double.Parse(token.Value, CultureInfo.InvariantCulture), token.Position);
            case TokenKind.Operator when token.Value == "(":
                _index++;
                return ParseParenthesized(token.Position);
            case TokenKind.Operator when token.Value == "[":
                _index++;
                return new ListExpression(ParseSequenceItems("]"), token.Position);
            case TokenKind.Operator when token.Value == "{":
                _index++;
                return ParseDict(token.Position);
        }
        throw Unexpected("an expression");
    }

    private Expression ParseParenthesized(TemplatePosition position)
    {
        if (SkipOperator(")")) return new TupleExpression([], position);
        var first = ParseExpression(withConditional: true);
        if (SkipOperator(")")) return first;
        ExpectOperator(",");
        var items = new List<Expression> { first };
        items.AddRange(ParseSequenceItems(")"));
        return new TupleExpression(items, position);
    }

    private List<Expression> ParseSequenceItems(string closer)
    {
        var items = new List<Expression>();
        while (!Current.IsOperator(closer))
        {
            if (items.Count > 0)
            {
                ExpectOperator(",");
                if (Current.IsOperator(closer)) break;
            }
            items.Add(ParseExpression(withConditional: true));
        }
        ExpectOperator(closer);
        return items;
    }

    private DictExpression ParseDict(TemplatePosition position)
    {
        var pairs = new List<(Expression, Expression)>();
        while (!Current.IsOperator("}"))
        {
            if (pairs.Count > 0)
            {
                ExpectOperator(",");
                if (Current.IsOperator("}")) break;
            }
            var key = ParseExpression(withConditional: true);
            ExpectOperator(":");
            pairs.Add((key, ParseExpression(withConditional: true)));
        }
        ExpectOperator("}");
        return new DictExpression(pairs, position);
    }

    private Expression ParsePostfix(Expression node)
    {
        while (true)
        {
            var token = Current;
            if (token.IsOperator("."))
            {
                _index++;
                if (Current.Kind == TokenKind.Integer)
                    node = new ItemExpression(node, new LiteralExpression(long.Parse(Next().Value, CultureInfo.InvariantCulture), token.Position), token.Position);
                else
                    node = new AttributeExpression(node, ExpectName(), token.Position);
            }
            else if (token.IsOperator("["))
            {
                _index++;
                node = ParseSubscript(node, token.Position);
            }
            else if (token.IsOperator("("))
            {
                _index++;
                node = new CallExpression(node, ParseArguments(), token.Position);
            }
            else return node;
        }
    }

    private Expression ParseSubscript(Expression node, TemplatePosition position)
    {
        Expression? start = null;
        if (!Current.IsOperator(":"))
        {
            start = ParseExpression(withConditional: true);
            if (SkipOperator("]")) return new ItemExpression(node, start, position);
            if (Current.IsOperator(",")) throw ChatTemplateException.Unsupported(Current.Position, "a tuple subscript");
        }
        ExpectOperator(":");
        Expression? stop = Current.IsOperator("]") || Current.IsOperator(":") ? null : ParseExpression(withConditional: true);
        Expression? step = null;
        if (SkipOperator(":") && !Current.IsOperator("]")) step = ParseExpression(withConditional: true);
        ExpectOperator("]");
        return new SliceExpression(node, start, stop, step, position);
    }

    /// <summary>Arguments after an opening parenthesis, through the closing one: positional, then name=value.</summary>
    private Arguments ParseArguments()
    {
        var positional = new List<Expression>();
        var named = new List<(string, Expression)>();
        while (!Current.IsOperator(")"))
        {
            if (positional.Count + named.Count > 0)
            {
                ExpectOperator(",");
                if (Current.IsOperator(")")) break;
            }
            if (Current.IsOperator("*") || Current.IsOperator("**"))
                throw ChatTemplateException.Unsupported(Current.Position, "*args or **kwargs in a call");
            if (Current.Kind == TokenKind.Name && _tokens[_index + 1].IsOperator("="))
            {
                string name = Next().Value;
                _index++;
                named.Add((name, ParseExpression(withConditional: true)));
            }
            else
            {
                if (named.Count > 0) throw ChatTemplateException.At(Current.Position, "syntax error: a positional argument follows a named one");
                positional.Add(ParseExpression(withConditional: true));
            }
        }
        ExpectOperator(")");
        return new Arguments(positional, named);
    }

    private Expression ParseFilterExpression(Expression node)
    {
        while (true)
        {
            var token = Current;
            if (token.IsOperator("|"))
            {
                _index++;
                var nameToken = Current;
                string name = ParseDottedName();
                if (!TemplateFilters.IsSupported(name)) throw ChatTemplateException.Unsupported(nameToken.Position, $"the filter '{name}'");
                var arguments = SkipOperator("(") ? ParseArguments() : Arguments.None;
                node = new FilterExpression(node, name, arguments, nameToken.Position);
            }
            else if (token.IsName("is"))
            {
                _index++;
                bool negated = SkipName("not");
                var nameToken = Current;
                string name = ParseDottedName();
                if (!TemplateTests.IsSupported(name)) throw ChatTemplateException.Unsupported(nameToken.Position, $"the test '{name}'");
                Arguments arguments = Arguments.None;
                if (SkipOperator("(")) arguments = ParseArguments();
                else if (StartsTestArgument(Current))
                {
                    if (Current.IsName("is")) throw ChatTemplateException.At(Current.Position, "syntax error: tests cannot be chained with 'is'");
                    arguments = new Arguments([ParsePostfix(ParsePrimary())], []);
                }
                node = new TestExpression(node, name, arguments, negated, nameToken.Position);
            }
            else if (token.IsOperator("("))
            {
                _index++;
                node = new CallExpression(node, ParseArguments(), token.Position);
            }
            else return node;
        }
    }

    /// <summary>Jinja takes one unparenthesized argument after a test name (<c>x is divisibleby 3</c>) when one follows.</summary>
    private static bool StartsTestArgument(TemplateToken token) => token.Kind switch
    {
        TokenKind.Name => token.Value is not ("else" or "or" or "and"),
        TokenKind.String or TokenKind.Integer or TokenKind.Float => true,
        TokenKind.Operator => token.Value is "(" or "[" or "{",
        _ => false,
    };

    private string ParseDottedName()
    {
        string name = ExpectName();
        while (Current.IsOperator(".") && _tokens[_index + 1].Kind == TokenKind.Name)
        {
            _index++;
            name += "." + Next().Value;
        }
        return name;
    }
}
