namespace TransformerKernels.Tokenizers;

/// <summary>
/// Turns generated ids into text as they arrive, over any <see cref="HuggingFaceTokenizer"/>: each call returns the text the
/// new id completes, and the pieces handed out concatenate to <see cref="HuggingFaceTokenizer.Decode"/> of all the ids.
/// </summary>
/// <remarks>
/// A token is not always whole text on its own: a byte-level or byte-fallback token may carry part of a UTF-8 character,
/// and SentencePiece's word-start marker becomes a space only after earlier text. Each call decodes a short window — the
/// ids of the last text handed out (the context) with and without the new ones — and hands out the difference, held back
/// while it ends in an incomplete character (U+FFFD). Until some text exists the window is the whole sequence, decoded as
/// <see cref="HuggingFaceTokenizer.Decode"/> does (so a leading space is dropped exactly when a whole decode drops it);
/// after that the window is decoded behind a sentinel token standing for the text before it, because Microsoft.ML.Tokenizers
/// treats a word-start marker as the text's first whenever no ordinary piece precedes it in what it decodes.
/// </remarks>
public sealed class TokenTextStream
{
    private readonly HuggingFaceTokenizer _tokenizer;
    private readonly List<int> _ids = [];
    private readonly string _sentinelText;
    private int _contextStart, _readEnd; // ids[_contextStart.._readEnd) produced the last text handed out
    private bool _anyText;

    /// <summary>A stream starting with no text.</summary>
    public TokenTextStream(HuggingFaceTokenizer tokenizer)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        _tokenizer = tokenizer;
        _sentinelText = tokenizer.Decode([tokenizer.SentinelId]);
    }

    /// <summary>Adds a generated id and returns the text it completes (possibly empty).</summary>
    /// <exception cref="ArgumentOutOfRangeException">An id outside the tokenizer.</exception>
    public string Append(int id)
    {
        if ((uint)id >= (uint)_tokenizer.Count)
        {
            throw new ArgumentOutOfRangeException(nameof(id), id, $"Token id {id} is outside the tokenizer's {_tokenizer.Count} ids.");
        }
        _ids.Add(id);
        string context = _anyText ? DecodeAfterSentinel(_contextStart, _readEnd) : "";
        string text = _anyText ? DecodeAfterSentinel(_contextStart, _ids.Count) : _tokenizer.Decode(_ids);
        if (text.EndsWith('\uFFFD') || text.Length <= context.Length)
        {
            return "";
        }
        string delta = text[context.Length..];
        StreamedLength += delta.Length;
        _contextStart = _readEnd;
        _readEnd = _ids.Count;
        _anyText = true;
        return delta;
    }

    /// <summary>Everything appended, decoded whole.</summary>
    public string Text => _tokenizer.Decode(_ids);

    /// <summary>Characters handed out so far: <see cref="Text"/> begins with them, and any rest is what is still held back.</summary>
    public int StreamedLength { get; private set; }

    /// <summary>Ids appended so far.</summary>
    public int Count => _ids.Count;

    private string DecodeAfterSentinel(int start, int end)
    {
        string text = _tokenizer.Decode(_ids.Skip(start).Take(end - start).Prepend(_tokenizer.SentinelId));
        return text.StartsWith(_sentinelText, StringComparison.Ordinal) ? text[_sentinelText.Length..] : text;
    }
}
