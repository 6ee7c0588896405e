using System.Globalization;
using System.Text;

namespace TransformerKernels.Chat;

internal enum TokenKind { Text, VariableBegin, VariableEnd, BlockBegin, BlockEnd, Name, String, Integer, Float, Operator, End }

internal readonly record struct TemplateToken(TokenKind Kind, string Value, TemplatePosition Position)
{
    public bool Is(TokenKind kind, string value) => Kind == kind && Value == value;
    public bool IsOperator(string value) => Kind == TokenKind.Operator && Value == value;
    public bool IsName(string value) => Kind == TokenKind.Name && Value == value;
}

/// <summary>
/// Splits a template into text and tag tokens the way Jinja's lexer does with the options transformers enables:
/// <c>trim_blocks</c> (the first newline after a block or comment tag is dropped), <c>lstrip_blocks</c> (spaces and tabs
/// before a block or comment tag that starts its line are dropped, unless the tag opens with <c>+</c>), <c>-</c> on
/// either side of a tag strips all whitespace on that side, newlines are normalized to \n and one trailing newline of
/// the source is dropped (keep_trailing_newline=False).
/// </summary>
internal sealed class TemplateLexer
{
    private readonly string _source;
    private readonly List<TemplateToken> _tokens = [];
    private readonly List<int> _lineStarts = [0];
    private int _pos;

    private TemplateLexer(string source)
    {
        _source = source;
        for (int i = 0; i < source.Length; i++)
            if (source[i] == '\n') _lineStarts.Add(i + 1);
    }

    public static List<TemplateToken> Tokenize(string source)
    {
        string normalized = source.Replace("\r\n", "\n", StringComparison.Ordinal).Replace('\r', '\n');
        if (normalized.EndsWith('\n')) normalized = normalized[..^1];
        var lexer = new TemplateLexer(normalized);
        lexer.Run();
        return lexer._tokens;
    }

    private void Run()
    {
        bool lineStarting = true;
        while (_pos < _source.Length)
        {
            int tagStart = FindTagStart(_pos);
            string text = _source[_pos..(tagStart < 0 ? _source.Length : tagStart)];
            if (tagStart < 0)
            {
                AddText(text, _pos);
                break;
            }
            char kind = _source[tagStart + 1];
            char control = tagStart + 2 < _source.Length ? _source[tagStart + 2] : '\0';
            if (control == '-')
                text = PythonText.RStripWhitespace(text);
            else if (control != '+' && kind != '{')
            {
                int lineStart = text.LastIndexOf('\n') + 1;
                if ((lineStart > 0 || lineStarting) && lineStart < text.Length && IsAllSpaces(text, lineStart))
                    text = text[..lineStart];
            }
            AddText(text, _pos);
            int bodyStart = tagStart + 2 + (control is '-' or '+' ? 1 : 0);
            var position = PositionOf(tagStart);
            _pos = kind switch
            {
                '#' => SkipComment(bodyStart, position),
                '{' => LexTag(bodyStart, TokenKind.VariableBegin, TokenKind.VariableEnd, '}', position),
                _ => LexTag(bodyStart, TokenKind.BlockBegin, TokenKind.BlockEnd, '%', position),
            };
            lineStarting = _pos > 0 && _source[_pos - 1] == '\n';
        }
        _tokens.Add(new TemplateToken(TokenKind.End, "", PositionOf(_source.Length)));
    }

    private static bool IsAllSpaces(string text, int from)
    {
        for (int i = from; i < text.Length; i++)
            if (!PythonText.IsWhitespace(text[i])) return false;
        return true;
    }

    private int FindTagStart(int from)
    {
        for (int i = from; i + 1 < _source.Length; i++)
            if (_source[i] == '{' && _source[i + 1] is '{' or '%' or '#') return i;
        return -1;
    }

    private void AddText(string text, int at)
    {
        if (text.Length > 0) _tokens.Add(new TemplateToken(TokenKind.Text, text, PositionOf(at)));
    }

    /// <summary>Skips a comment; returns where text resumes after its end marker and any whitespace it trims.</summary>
    private int SkipComment(int from, TemplatePosition position)
    {
        int end = _source.IndexOf("#}", from, StringComparison.Ordinal);
        if (end < 0) throw ChatTemplateException.At(position, "the comment is never closed with #}");
        return AfterTagEnd(end, end + 2);
    }

    /// <summary>After a tag's end marker: <c>-</c> eats all whitespace, <c>+</c> keeps it, a block keeps trim_blocks.</summary>
    private int AfterTagEnd(int markerStart, int afterMarker)
    {
        char control = markerStart > 0 ? _source[markerStart - 1] : '\0';
        bool isVariable = _source[markerStart] == '}';
        if (control == '-')
        {
            int p = afterMarker;
            while (p < _source.Length && PythonText.IsWhitespace(_source[p])) p++;
            return p;
        }
        if (control != '+' && !isVariable && afterMarker < _source.Length && _source[afterMarker] == '\n') return afterMarker + 1;
        return afterMarker;
    }

    private int LexTag(int from, TokenKind begin, TokenKind end, char closer, TemplatePosition position)
    {
        _tokens.Add(new TemplateToken(begin, "", position));
        int depth = 0;
        int p = from;
        while (true)
        {
            while (p < _source.Length && PythonText.IsWhitespace(_source[p])) p++;
            if (p >= _source.Length)
                throw ChatTemplateException.At(position, $"the tag is never closed with {closer}}}");
            char c = _source[p];
            var at = PositionOf(p);
            if (depth == 0)
            {
                int markerLength = MatchTagEnd(p, closer);
                if (markerLength > 0)
                {
                    int markerStart = p + markerLength - 2;
                    _tokens.Add(new TemplateToken(end, "", at));
                    return AfterTagEnd(markerStart, p + markerLength);
                }
            }
            if (char.IsAsciiLetter(c) || c == '_')
            {
                int s = p;
                while (p < _source.Length && (char.IsAsciiLetterOrDigit(_source[p]) || _source[p] == '_')) p++;
                _tokens.Add(new TemplateToken(TokenKind.Name, _source[s..p], at));
            }
            else if (char.IsAsciiDigit(c))
                p = LexNumber(p, at);
            else if (c is '\'' or '"')
                p = LexString(p, at);
            else
            {
                string op = MatchOperator(p) ?? throw ChatTemplateException.At(at, $"unexpected character '{c}' in a tag");
                if (op is "(" or "[" or "{") depth++;
                else if (op is ")" or "]" or "}") depth = Math.Max(0, depth - 1);
                _tokens.Add(new TemplateToken(TokenKind.Operator, op, at));
                p += op.Length;
            }
        }
    }

    /// <summary>Length of a tag end marker (<c>%}</c>, <c>-%}</c>, <c>+%}</c> or the <c>}}</c> forms) at p, else 0.</summary>
    private int MatchTagEnd(int p, char closer)
    {
        bool At(int i, char ch) => i < _source.Length && _source[i] == ch;
        if (_source[p] is '-' or '+' && At(p + 1, closer) && At(p + 2, '}') && (_source[p] == '-' || closer == '%')) return 3;
        if (_source[p] == closer && At(p + 1, '}')) return 2;
        return 0;
    }

    private static readonly string[] Operators =
        ["//", "**", "==", "!=", "<=", ">=", "+", "-", "*", "/", "%", "~", "<", ">", "=", "(", ")", "[", "]", "{", "}", ",", ".", ":", "|", ";"];

    private string? MatchOperator(int p)
    {
        foreach (string op in Operators)
            if (string.CompareOrdinal(_source, p, op, 0, op.Length) == 0) return op;
        return null;
    }

    private int LexNumber(int p, TemplatePosition at)
    {
        int s = p;
        bool isFloat = false;
        SkipDigits(ref p);
        if (p + 1 < _source.Length && _source[p] == '.' && char.IsAsciiDigit(_source[p + 1]))
        {
            isFloat = true;
            p++;
            SkipDigits(ref p);
        }
        if (p < _source.Length && _source[p] is 'e' or 'E')
        {
            int e = p + 1;
            if (e < _source.Length && _source[e] is '+' or '-') e++;
            if (e < _source.Length && char.IsAsciiDigit(_source[e]))
            {
                isFloat = true;
                p = e;
                SkipDigits(ref p);
            }
        }
        string digits = _source[s..p].Replace("_", "", StringComparison.Ordinal);
        if (!isFloat && !long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out _))
            throw ChatTemplateException.Unsupported(at, $"the integer {digits}, too large for 64 bits");
        _tokens.Add(new TemplateToken(isFloat ? TokenKind.Float : TokenKind.Integer, digits, at));
        return p;
    }

    private void SkipDigits(ref int p)
    {
        while (p < _source.Length && (char.IsAsciiDigit(_source[p]) || (_source[p] == '_' && p + 1 < _source.Length && char.IsAsciiDigit(_source[p + 1]))))
            p++;
    }

    /// <summary>A quoted string with Python's escapes (\n, \t, \\, \', \", \xHH, \uHHHH, …); unknown escapes stay as written.</summary>
    private int LexString(int p, TemplatePosition at)
    {
        char quote = _source[p++];
        var value = new StringBuilder();
        while (true)
        {
            if (p >= _source.Length) throw ChatTemplateException.At(at, "the string is never closed");
            char c = _source[p];
            if (c == quote) break;
            if (c != '\\' || p + 1 >= _source.Length)
            {
                value.Append(c);
                p++;
                continue;
            }
            char e = _source[p + 1];
            p += 2;
            switch (e)
            {
                case '\n': break;
                case '\\': value.Append('\\'); break;
                case '\'': value.Append('\''); break;
                case '"': value.Append('"'); break;
                case 'n': value.Append('\n'); break;
                case 't': value.Append('\t'); break;
                case 'r': value.Append('\r'); break;
                case 'a': value.Append('\a'); break;
                case 'b': value.Append('\b'); break;
                case 'f': value.Append('\f'); break;
                case 'v': value.Append('\v'); break;
                case 'x': p = AppendHexEscape(value, p, 2, at); break;
                case 'u': p = AppendHexEscape(value, p, 4, at); break;
                case 'U': p = AppendHexEscape(value, p, 8, at); break;
                case >= '0' and <= '7':
                    int code = e - '0';
                    for (int k = 0; k < 2 && p < _source.Length && _source[p] is >= '0' and <= '7'; k++, p++) code = code * 8 + (_source[p] - '0');
                    value.Append((char)code);
                    break;
                case 'N': throw ChatTemplateException.Unsupported(at, "the \\N{...} string escape");
                default: value.Append('\\').Append(e); break;
            }
        }
        _tokens.Add(new TemplateToken(TokenKind.String, value.ToString(), at));
        return p + 1;
    }

    private int AppendHexEscape(StringBuilder value, int p, int digits, TemplatePosition at)
    {
        if (p + digits > _source.Length || !int.TryParse(_source.AsSpan(p, digits), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out int code)
            || !Rune.IsValid(code))
            throw ChatTemplateException.At(at, "a malformed \\x, \\u or \\U escape in a string");
        value.Append(char.ConvertFromUtf32(code));
        return p + digits;
    }

    private TemplatePosition PositionOf(int index)
    {
        int line = _lineStarts.BinarySearch(index);
        if (line < 0) line = ~line - 1;
        return new TemplatePosition(line + 1, index - _lineStarts[line] + 1);
    }
}
