using System.Globalization;
using System.Text;

namespace TransformerKernels.Chat;

/// <summary>
/// json.dumps as transformers' <c>tojson</c> filter calls it: ensure_ascii=False, keys in their given order, separators
/// ", " and ": " (or "," and ": " with an indent), floats as Python's repr, non-ASCII text as is.
/// </summary>
internal static class PythonJson
{
    public static string Dumps(object? value, string? indent, bool sortKeys)
    {
        var sb = new StringBuilder();
        Write(sb, value, indent, sortKeys, 0);
        return sb.ToString();
    }

    private static void Write(StringBuilder sb, object? value, string? indent, bool sortKeys, int depth)
    {
        switch (value)
        {
            case null: sb.Append("null"); return;
            case bool b: sb.Append(b ? "true" : "false"); return;
            case long l: sb.Append(l.ToString(CultureInfo.InvariantCulture)); return;
            case double d:
                sb.Append(double.IsNaN(d) ? "NaN" : double.IsPositiveInfinity(d) ? "Infinity" : double.IsNegativeInfinity(d) ? "-Infinity" : PythonText.FloatRepr(d));
                return;
            case string s: WriteString(sb, s); return;
            case List<object?> or object?[]:
                WriteItems(sb, (IReadOnlyList<object?>)value, '[', ']', indent, sortKeys, depth, (item, _) => Write(sb, item, indent, sortKeys, depth + 1));
                return;
            case Dictionary<string, object?> dict:
                var pairs = sortKeys ? dict.OrderBy(p => p.Key, StringComparer.Ordinal).ToList() : dict.ToList();
                WriteItems(sb, pairs, '{', '}', indent, sortKeys, depth, (pair, _) =>
                {
                    WriteString(sb, pair.Key);
                    sb.Append(": ");
                    Write(sb, pair.Value, indent, sortKeys, depth + 1);
                });
                return;
            case Undefined u: throw PythonValues.UndefinedError(u);
        }
        throw PythonValues.Error($"TypeError: Object of type {PythonValues.TypeName(value)} is not JSON serializable");
    }

    private static void WriteItems<T>(StringBuilder sb, IReadOnlyList<T> items, char open, char close, string? indent, bool sortKeys, int depth,
        Action<T, int> writeItem)
    {
        sb.Append(open);
        if (items.Count == 0)
        {
            sb.Append(close);
            return;
        }
        for (int i = 0; i < items.Count; i++)
        {
            if (i > 0) sb.Append(indent is null ? ", " : ",");
            if (indent is not null) NewLine(sb, indent, depth + 1);
            writeItem(items[i], i);
        }
        if (indent is not null) NewLine(sb, indent, depth);
        sb.Append(close);
    }

    private static void NewLine(StringBuilder sb, string indent, int depth)
    {
        sb.Append('\n');
        for (int i = 0; i < depth; i++) sb.Append(indent);
    }

    private static void WriteString(StringBuilder sb, string s)
    {
        sb.Append('"');
        foreach (char c in s)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case '\b': sb.Append("\\b"); break;
                case '\f': sb.Append("\\f"); break;
                default:
                    if (c < 0x20) sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    else sb.Append(c);
                    break;
            }
        }
        sb.Append('"');
    }
}
