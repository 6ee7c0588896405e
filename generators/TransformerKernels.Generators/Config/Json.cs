using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace TransformerKernels.Generators.Config;

/// <summary>A parsed JSON value: the six kinds of RFC 8259, nothing more.</summary>
internal abstract class JsonValue
{
    /// <summary>The kind as a config.json reader says it in a message ("a string", "an object", ...).</summary>
    public abstract string KindName { get; }
}

internal sealed class JsonObject : JsonValue
{
    public JsonObject(Dictionary<string, JsonValue> members) => Members = members;

    public Dictionary<string, JsonValue> Members { get; }

    public override string KindName => "an object";

    public JsonValue? this[string name] => Members.TryGetValue(name, out JsonValue? value) ? value : null;
}

internal sealed class JsonArray : JsonValue
{
    public JsonArray(List<JsonValue> items) => Items = items;

    public List<JsonValue> Items { get; }

    public override string KindName => "an array";
}

internal sealed class JsonString : JsonValue
{
    public JsonString(string value) => Value = value;

    public string Value { get; }

    public override string KindName => $"the string \"{Value}\"";
}

internal sealed class JsonNumber : JsonValue
{
    public JsonNumber(string text, double value)
    {
        Text = text;
        Value = value;
    }

    /// <summary>The number as written, for messages.</summary>
    public string Text { get; }

    public double Value { get; }

    public override string KindName => "the number " + Text;
}

internal sealed class JsonBool : JsonValue
{
    public static readonly JsonBool True = new(true);
    public static readonly JsonBool False = new(false);

    private JsonBool(bool value) => Value = value;

    public bool Value { get; }

    public override string KindName => Value ? "true" : "false";
}

internal sealed class JsonNull : JsonValue
{
    public static readonly JsonNull Instance = new();

    public override string KindName => "null";
}

/// <summary>Thrown by <see cref="JsonReader"/> at the first character that breaks the grammar.</summary>
internal sealed class JsonSyntaxException : System.Exception
{
    public JsonSyntaxException(string problem, int line, int column) : base(problem)
    {
        Problem = problem;
        Line = line;
        Column = column;
    }

    public string Problem { get; }

    /// <summary>1-based line of the offending character.</summary>
    public int Line { get; }

    /// <summary>1-based column of the offending character.</summary>
    public int Column { get; }
}

/// <summary>
/// A strict RFC 8259 reader for config.json files (the generator targets netstandard2.0 and cannot load System.Text.Json
/// inside every compiler host): one value, no comments, no trailing commas, no NaN/Infinity, no duplicate keys.
/// </summary>
internal sealed class JsonReader
{
    private const int MaxDepth = 64;
    private readonly string _text;
    private int _position;
    private int _depth;

    private JsonReader(string text) => _text = text;

    /// <summary>Parses a whole document.</summary>
    /// <exception cref="JsonSyntaxException">The text is not one JSON value (line and column say where).</exception>
    public static JsonValue Parse(string text)
    {
        var reader = new JsonReader(text);
        // A byte-order mark is not JSON, but editors write one; skip it.
        if (text.Length > 0 && text[0] == '\uFEFF')
        {
            reader._position = 1;
        }
        reader.SkipWhitespace();
        JsonValue value = reader.ReadValue();
        reader.SkipWhitespace();
        if (reader._position < text.Length)
        {
            throw reader.Error("unexpected text after the end of the JSON value");
        }
        return value;
    }

    private JsonValue ReadValue()
    {
        if (_position >= _text.Length)
        {
            throw Error("unexpected end of the file; expected a value");
        }
        char c = _text[_position];
        switch (c)
        {
            case '{': return ReadObject();
            case '[': return ReadArray();
            case '"': return new JsonString(ReadString());
            case 't': ReadLiteral("true"); return JsonBool.True;
            case 'f': ReadLiteral("false"); return JsonBool.False;
            case 'n': ReadLiteral("null"); return JsonNull.Instance;
            default:
                if (c == '-' || (c >= '0' && c <= '9'))
                {
                    return ReadNumber();
                }
                throw Error($"unexpected character '{c}'; expected a value");
        }
    }

    private JsonObject ReadObject()
    {
        Enter();
        _position++; // {
        var members = new Dictionary<string, JsonValue>(System.StringComparer.Ordinal);
        SkipWhitespace();
        if (Peek() == '}')
        {
            _position++;
            _depth--;
            return new JsonObject(members);
        }
        while (true)
        {
            SkipWhitespace();
            if (Peek() != '"')
            {
                throw Error("expected a member name in double quotes");
            }
            int nameStart = _position;
            string name = ReadString();
            if (members.ContainsKey(name))
            {
                throw Error($"duplicate member \"{name}\"", nameStart);
            }
            SkipWhitespace();
            Expect(':');
            SkipWhitespace();
            members[name] = ReadValue();
            SkipWhitespace();
            char next = Peek();
            _position++;
            if (next == '}')
            {
                _depth--;
                return new JsonObject(members);
            }
            if (next != ',')
            {
                throw Error("expected ',' or '}' after a member", _position - 1);
            }
        }
    }

    private JsonArray ReadArray()
    {
        Enter();
        _position++; // [
        var items = new List<JsonValue>();
        SkipWhitespace();
        if (Peek() == ']')
        {
            _position++;
            _depth--;
            return new JsonArray(items);
        }
        while (true)
        {
            SkipWhitespace();
            items.Add(ReadValue());
            SkipWhitespace();
            char next = Peek();
            _position++;
            if (next == ']')
            {
                _depth--;
                return new JsonArray(items);
            }
            if (next != ',')
            {
                throw Error("expected ',' or ']' after an array item", _position - 1);
            }
        }
    }

    private string ReadString()
    {
        _position++; // opening quote
        var builder = new StringBuilder();
        while (true)
        {
            if (_position >= _text.Length)
            {
                throw Error("unterminated string");
            }
            char c = _text[_position];
            if (c == '"')
            {
                _position++;
                return builder.ToString();
            }
            if (c < ' ')
            {
                throw Error("control character in a string (write it as an escape such as \\n)");
            }
            if (c != '\\')
            {
                builder.Append(c);
                _position++;
                continue;
            }
            if (_position + 1 >= _text.Length)
            {
                throw Error("unterminated string");
            }
            char escape = _text[_position + 1];
            _position += 2;
            switch (escape)
            {
                case '"': builder.Append('"'); break;
                case '\\': builder.Append('\\'); break;
                case '/': builder.Append('/'); break;
                case 'b': builder.Append('\b'); break;
                case 'f': builder.Append('\f'); break;
                case 'n': builder.Append('\n'); break;
                case 'r': builder.Append('\r'); break;
                case 't': builder.Append('\t'); break;
                case 'u':
                    if (_position + 4 > _text.Length ||
                        !int.TryParse(_text.Substring(_position, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out int code))
                    {
                        throw Error("\\u must be followed by four hexadecimal digits", _position - 2);
                    }
                    builder.Append((char)code);
                    _position += 4;
                    break;
                default:
                    throw Error($"unknown escape '\\{escape}'", _position - 2);
            }
        }
    }

    private JsonNumber ReadNumber()
    {
        int start = _position;
        if (Peek() == '-')
        {
            _position++;
        }
        if (Peek() == '0')
        {
            _position++;
        }
        else if (IsDigit(Peek()))
        {
            SkipDigits();
        }
        else
        {
            throw Error("expected a digit");
        }
        if (Peek() == '.')
        {
            _position++;
            if (!IsDigit(Peek()))
            {
                throw Error("expected a digit after the decimal point");
            }
            SkipDigits();
        }
        if (Peek() is 'e' or 'E')
        {
            _position++;
            if (Peek() is '+' or '-')
            {
                _position++;
            }
            if (!IsDigit(Peek()))
            {
                throw Error("expected a digit in the exponent");
            }
            SkipDigits();
        }
        string text = _text.Substring(start, _position - start);
        double value = double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);
        if (double.IsInfinity(value))
        {
            throw Error($"the number {text} is out of range", start);
        }
        return new JsonNumber(text, value);
    }

    private void ReadLiteral(string literal)
    {
        if (string.CompareOrdinal(_text, _position, literal, 0, literal.Length) != 0)
        {
            throw Error($"unexpected character '{_text[_position]}'; expected a value");
        }
        _position += literal.Length;
    }

    private void Enter()
    {
        if (++_depth > MaxDepth)
        {
            throw Error($"nesting deeper than {MaxDepth} levels");
        }
    }

    private void Expect(char expected)
    {
        if (Peek() != expected)
        {
            throw Error($"expected '{expected}'");
        }
        _position++;
    }

    private char Peek() => _position < _text.Length ? _text[_position] : '\0';

    private static bool IsDigit(char c) => c >= '0' && c <= '9';

    private void SkipDigits()
    {
        while (IsDigit(Peek()))
        {
            _position++;
        }
    }

    private void SkipWhitespace()
    {
        while (_position < _text.Length && _text[_position] is ' ' or '\t' or '\n' or '\r')
        {
            _position++;
        }
    }

    private JsonSyntaxException Error(string problem) => Error(problem, _position);

    private JsonSyntaxException Error(string problem, int at)
    {
        if (at >= _text.Length && problem.StartsWith("expected", System.StringComparison.Ordinal))
        {
            problem = "unexpected end of the file; " + problem;
        }
        int line = 1, column = 1;
        for (int i = 0; i < at && i < _text.Length; i++)
        {
            if (_text[i] == '\n')
            {
                line++;
                column = 1;
            }
            else
            {
                column++;
            }
        }
        return new JsonSyntaxException(problem, line, column);
    }
}
