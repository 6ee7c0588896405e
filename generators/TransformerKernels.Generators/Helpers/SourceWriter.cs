using System;
using System.Text;

namespace TransformerKernels.Generators.Helpers;

/// <summary>
/// Writes indented C#. <see cref="Block"/> opens a brace and returns a scope that closes it, so emitters read like
/// the code they produce and can never unbalance braces.
/// </summary>
internal sealed class SourceWriter
{
    private readonly StringBuilder _text = new();
    private int _indent;

    public SourceWriter Line(string line = "")
    {
        if (line.Length > 0)
        {
            _text.Append(' ', _indent * 4);
            _text.Append(line);
        }
        _text.Append('\n');
        return this;
    }

    public Scope Block(string header)
    {
        Line(header);
        Line("{");
        _indent++;
        return new Scope(this, "}");
    }

    /// <summary>Opens a block whose closing brace carries a suffix (e.g. <c>};</c>).</summary>
    public Scope Block(string header, string closing)
    {
        Line(header);
        Line("{");
        _indent++;
        return new Scope(this, closing);
    }

    /// <summary>Opens <c>try {</c>; disposing closes it and writes <c>finally { <paramref name="finallyStatement"/> }</c>.</summary>
    public Scope TryFinally(string finallyStatement)
    {
        Line("try");
        Line("{");
        _indent++;
        return new Scope(this, "}", finallyStatement);
    }

    public void Indent() => _indent++;

    public void Outdent() => _indent--;

    public override string ToString() => _text.ToString();

    internal readonly struct Scope : IDisposable
    {
        private readonly SourceWriter _writer;
        private readonly string _closing;
        private readonly string? _finally;

        public Scope(SourceWriter writer, string closing, string? finallyStatement = null)
        {
            _writer = writer;
            _closing = closing;
            _finally = finallyStatement;
        }

        public void Dispose()
        {
            _writer._indent--;
            _writer.Line(_closing);
            if (_finally is not null)
            {
                _writer.Line("finally");
                _writer.Line("{");
                _writer.Line("    " + _finally);
                _writer.Line("}");
            }
        }
    }
}
