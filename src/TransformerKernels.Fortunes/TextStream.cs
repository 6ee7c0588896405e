namespace TransformerKernels.Fortunes;

/// <summary>
/// Turns generated tokens into text as they arrive, decoding a few tokens per call rather than the whole sequence.
/// </summary>
/// <remarks>
/// A token is not always whole text on its own: byte-fallback pieces carry one UTF-8 byte each, and SentencePiece's
/// word-start marker becomes a space only after earlier text (a decoded text never starts with it). Each call decodes
/// the tokens of the last text handed out (the context) with and without the new ones, both behind a sentinel piece, and
/// hands out the difference — held back while it ends in an incomplete character (U+FFFD). The sentinel stands for the
/// text before the window: Microsoft.ML.Tokenizers treats a word-start marker as the text's first one whenever no
/// ordinary piece precedes it in what it decodes, even after byte-fallback characters, so a window starting at "é"
/// (two byte tokens) would lose the space of the " —" after it. Until any text exists the first space is dropped, as a
/// whole decode drops it.
/// </remarks>
public sealed class TextStream
{
    private readonly FortuneTokenizer _tokenizer;
    private readonly List<int> _ids;
    private readonly int _sentinel;
    private readonly string _sentinelText;
    private int _contextStart, _readEnd; // ids[_contextStart.._readEnd) produced the last text handed out
    private bool _anyText;

    /// <summary>A stream continuing <paramref name="prompt"/> (its ids as the model saw them; empty for none).</summary>
    public TextStream(FortuneTokenizer tokenizer, ReadOnlySpan<int> prompt = default)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        _tokenizer = tokenizer;
        _ids = [.. prompt];
        _sentinel = tokenizer.Encode("a", beginningOfSentence: false)[0];
        _sentinelText = tokenizer.Decode([_sentinel]);
        _contextStart = _readEnd = _ids.Count;
        _anyText = tokenizer.Decode(_ids).Length > 0;
    }

    /// <summary>Adds a generated token and returns the text it completes (possibly empty).</summary>
    public string Append(int id)
    {
        _ids.Add(id);
        string context = DecodeAfterSentinel(_contextStart, _readEnd);
        string text = DecodeAfterSentinel(_contextStart, _ids.Count);
        if (text.EndsWith('\uFFFD') || text.Length <= context.Length)
        {
            return "";
        }
        string delta = text[context.Length..];
        if (!_anyText && delta.StartsWith(' '))
        {
            delta = delta[1..];
        }
        _contextStart = _readEnd;
        _readEnd = _ids.Count;
        _anyText |= delta.Length > 0;
        return delta;
    }

    /// <summary>The prompt and everything appended, decoded.</summary>
    public string Text => _tokenizer.Decode(_ids);

    private string DecodeAfterSentinel(int start, int end)
    {
        string text = _tokenizer.Decode(_ids.Skip(start).Take(end - start).Prepend(_sentinel));
        return text.StartsWith(_sentinelText, StringComparison.Ordinal) ? text[_sentinelText.Length..] : text;
    }
}
