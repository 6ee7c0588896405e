namespace TransformerKernels.EmbeddingServer;

/// <summary>
/// Finds OpenAI's <c>stop</c> strings in generated text as it streams in, across token boundaries: text is handed on only
/// once it cannot be the start of a stop string, so a stop string split over several tokens is never partly sent. Once one
/// is found, the text before it is the last handed on and <see cref="Stopped"/> is set.
/// </summary>
public sealed class StopStringMatcher(string[] stops)
{
    private readonly string[] _stops = stops;
    private string _held = "";

    /// <summary>A stop string was found: the completion ends (finish reason "stop").</summary>
    public bool Stopped { get; private set; }

    /// <summary>Adds generated text; returns what may be sent now (possibly empty).</summary>
    public string Append(string text)
    {
        if (Stopped)
        {
            return "";
        }
        if (_stops.Length == 0)
        {
            return text;
        }
        string pending = _held + text;
        int first = -1;
        foreach (string stop in _stops)
        {
            int at = pending.IndexOf(stop, StringComparison.Ordinal);
            if (at >= 0 && (first < 0 || at < first))
            {
                first = at;
            }
        }
        if (first >= 0)
        {
            Stopped = true;
            _held = "";
            return pending[..first];
        }
        int hold = LongestStopPrefixAtEnd(pending);
        _held = pending[^hold..];
        return pending[..^hold];
    }

    /// <summary>The generation ended without a stop string: what was held back is text after all.</summary>
    public string Flush()
    {
        string rest = Stopped ? "" : _held;
        _held = "";
        return rest;
    }

    /// <summary>Length of the longest end of <paramref name="text"/> that begins some stop string.</summary>
    private int LongestStopPrefixAtEnd(string text)
    {
        int longest = 0;
        foreach (string stop in _stops)
        {
            for (int length = Math.Min(stop.Length - 1, text.Length); length > longest; length--)
            {
                if (text.AsSpan(text.Length - length).SequenceEqual(stop.AsSpan(0, length)))
                {
                    longest = length;
                    break;
                }
            }
        }
        return longest;
    }
}
