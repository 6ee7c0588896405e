using Microsoft.ML.Tokenizers;

namespace TransformerKernels.Fortunes;

/// <summary>
/// Text ↔ token ids for the fortune models: the SentencePiece BPE model tools/train-generate trained (2048 pieces, byte
/// fallback, Llama's normalization settings), read by Microsoft.ML.Tokenizers' <see cref="LlamaTokenizer"/> — the
/// pipeline a Llama user has. Every fortune the models saw began with <see cref="BeginningOfSentence"/> and ended with
/// <see cref="EndOfSentence"/>, so a prompt starts with the first and generation stops at the second.
/// </summary>
public sealed class FortuneTokenizer
{
    private readonly LlamaTokenizer _tokenizer;

    private FortuneTokenizer(LlamaTokenizer tokenizer) => _tokenizer = tokenizer;

    /// <summary>The id every training document began with (<c>&lt;s&gt;</c>).</summary>
    public int BeginningOfSentence => _tokenizer.BeginningOfSentenceId;

    /// <summary>The id every training document ended with (<c>&lt;/s&gt;</c>): a stop token for generation.</summary>
    public int EndOfSentence => _tokenizer.EndOfSentenceId;

    /// <summary>Number of pieces (the models' vocabulary).</summary>
    public int Count => _tokenizer.Vocabulary.Count;

    /// <summary>Reads a SentencePiece <c>tokenizer.model</c>.</summary>
    /// <exception cref="FileNotFoundException">No file at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">The file is not a SentencePiece model Microsoft.ML.Tokenizers can read.</exception>
    public static FortuneTokenizer Load(string path)
    {
        using FileStream stream = File.OpenRead(path);
        try
        {
            return new FortuneTokenizer(LlamaTokenizer.Create(stream, addBeginOfSentence: true, addEndOfSentence: false));
        }
        catch (Exception e) when (e is not IOException)
        {
            throw new InvalidDataException($"{path} is not a SentencePiece model: {e.Message}", e);
        }
    }

    /// <summary>The ids of <paramref name="text"/>, preceded by <see cref="BeginningOfSentence"/> when <paramref name="beginningOfSentence"/>.</summary>
    public int[] Encode(string text, bool beginningOfSentence = true)
    {
        ArgumentNullException.ThrowIfNull(text);
        // The marker is added here rather than by the tokenizer, which leaves it out of an empty text: an empty prompt is
        // still "the start of a fortune".
        IReadOnlyList<int> ids = _tokenizer.EncodeToIds(text, addBeginningOfSentence: false, addEndOfSentence: false);
        return beginningOfSentence ? [BeginningOfSentence, .. ids] : [.. ids];
    }

    /// <summary>The text of <paramref name="ids"/>; the beginning/end markers are dropped.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An id outside the vocabulary.</exception>
    public string Decode(IEnumerable<int> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        int count = Count;
        foreach (int id in ids)
        {
            if ((uint)id >= (uint)count)
            {
                throw new ArgumentOutOfRangeException(nameof(ids), id, $"Token id {id} is outside the tokenizer's {count} pieces.");
            }
        }
        return _tokenizer.Decode(ids, considerSpecialTokens: false);
    }
}
