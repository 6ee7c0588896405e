using System.Text;

namespace TransformerKernels.Chat;

/// <summary>
/// Finds stop sequences in streamed text, wherever token boundaries fall: text is released only once it cannot be the
/// start of a stop sequence, and the text from a stop sequence on is never released.
/// </summary>
public sealed class StopSequenceMatcher
{
    private readonly IReadOnlyList<string> _stops;
    private readonly StringBuilder _held = new();

    /// <summary>A matcher for <paramref name="stops"/> (non-empty strings; none: every text is released at once).</summary>
    public StopSequenceMatcher(IReadOnlyList<string> stops) => _stops = stops;

    /// <summary>Whether a stop sequence was found; nothing is released after it.</summary>
    public bool Stopped { get; private set; }

    /// <summary>Adds streamed text; returns the text now safe to release (everything before a stop sequence, or before a possible start of one).</summary>
    public string Add(string text)
    {
        if (Stopped)
        {
            return "";
        }
        _held.Append(text);
        if (_stops.Count == 0)
        {
            return Release(_held.Length);
        }
        string held = _held.ToString();
        // Every earlier text was released only when no stop sequence could start in it, so a match starts in what is held.
        int first = -1;
        foreach (string stop in _stops)
        {
            int at = held.IndexOf(stop, StringComparison.Ordinal);
            if (at >= 0 && (first < 0 || at < first))
            {
                first = at;
            }
        }
        if (first >= 0)
        {
            Stopped = true;
            string before = held[..first];
            _held.Clear();
            return before;
        }
        return Release(held.Length - LongestSuffixStartingAStop(held));
    }

    /// <summary>The text still held at the end of generation (no stop sequence can complete any more).</summary>
    public string Flush() => Stopped ? "" : Release(_held.Length);

    /// <summary>Length of the longest suffix of <paramref name="text"/> that is a proper prefix of some stop sequence.</summary>
    private int LongestSuffixStartingAStop(string text)
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

    private string Release(int length)
    {
        string released = _held.ToString(0, length);
        _held.Remove(0, length);
        return released;
    }
}
