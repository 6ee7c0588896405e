using System.Text;

/// <summary>
/// Reads lines keeping at most <see cref="MaxChars"/> characters of each: the rest of a longer line is read and dropped, so
/// memory stays bounded whatever the input (one 50 MB line, or <c>/dev/zero</c>, which has no line ends at all). Line ends
/// are <c>\n</c>, <c>\r\n</c> or <c>\r</c>, as <see cref="TextReader.ReadLine"/> has them; a last line without one counts.
/// Works on any stream, seekable or not (pipes, FIFOs, <c>/dev/stdin</c>).
/// </summary>
internal sealed class BoundedLineReader(TextReader input, int maxChars) : IDisposable
{
    private readonly char[] _buffer = new char[1 << 14];
    private readonly StringBuilder _line = new();
    private int _start, _end;
    private bool _pendingLineFeed; // a '\r' ended the last line: a '\n' right after it belongs to that line end

    /// <summary>Characters kept per line.</summary>
    public int MaxChars { get; } = maxChars;

    /// <summary>Lines read so far, the one returned last included (1-based number of that line).</summary>
    public long LineNumber { get; private set; }

    /// <summary>
    /// The next line (without its line end), or null at the end of the input; <paramref name="truncated"/> says whether it
    /// had more than <see cref="MaxChars"/> characters (only the first ones are returned).
    /// </summary>
    public string? ReadLine(out bool truncated)
    {
        _line.Clear();
        truncated = false;
        bool any = false;
        while (true)
        {
            if (_start == _end)
            {
                _start = 0;
                _end = input.Read(_buffer, 0, _buffer.Length);
                if (_end == 0)
                {
                    if (!any)
                    {
                        return null;
                    }
                    break;
                }
            }
            if (_pendingLineFeed)
            {
                _pendingLineFeed = false;
                if (_buffer[_start] == '\n')
                {
                    _start++;
                    continue;
                }
            }
            any = true;
            int stop = _buffer.AsSpan(_start, _end - _start).IndexOfAny('\n', '\r');
            stop = stop < 0 ? -1 : _start + stop;
            int take = (stop < 0 ? _end : stop) - _start;
            int room = MaxChars - _line.Length;
            if (take > room)
            {
                truncated = true;
            }
            _line.Append(_buffer, _start, Math.Min(take, room));
            if (stop < 0)
            {
                _start = _end;
                continue;
            }
            _pendingLineFeed = _buffer[stop] == '\r';
            _start = stop + 1;
            break;
        }
        LineNumber++;
        return _line.ToString();
    }

    public void Dispose() => input.Dispose();
}
