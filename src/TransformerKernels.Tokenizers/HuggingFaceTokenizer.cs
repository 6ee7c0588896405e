using Microsoft.ML.Tokenizers;

namespace TransformerKernels.Tokenizers;

/// <summary>
/// The tokenizer of a Hugging Face model directory, read through Microsoft.ML.Tokenizers: SentencePiece
/// (<c>tokenizer.model</c>, as <see cref="LlamaTokenizer"/>), or byte-level BPE (<c>tokenizer.json</c> whose model is BPE, or
/// <c>vocab.json</c> + <c>merges.txt</c>), with the special tokens and begin/end ids of <c>tokenizer_config.json</c>,
/// <c>special_tokens_map.json</c> and <c>generation_config.json</c>.
/// </summary>
/// <remarks>
/// Special tokens written in a text (a chat template's <c>&lt;|user|&gt;</c>) encode to their ids; decoding leaves them out,
/// as Hugging Face's <c>skip_special_tokens=True</c> does. <see cref="EndOfSequenceIds"/> are what generation stops at:
/// generation_config.json's eos_token_id (one id or a list) together with the eos_token's id.
/// </remarks>
public sealed class HuggingFaceTokenizer
{
    /// <summary>The SentencePiece model's file name.</summary>
    public const string SentencePieceFileName = "tokenizer.model";

    private readonly Tokenizer _tokenizer;
    private readonly HashSet<int> _special;
    private readonly bool _addEnd;
    private readonly string _sentinelText;

    private HuggingFaceTokenizer(Tokenizer tokenizer, TokenizerKind kind, int count, int? beginning, IReadOnlyList<int> ends, bool addBeginning, bool addEnd, HashSet<int> special, string source)
    {
        _tokenizer = tokenizer;
        Kind = kind;
        Count = count;
        BeginningOfSequenceId = beginning;
        EndOfSequenceIds = ends;
        AddBeginningOfSequence = addBeginning && beginning is not null;
        _addEnd = addEnd;
        _special = special;
        SourceFile = source;
        // An ordinary token that decodes to text on its own, for TokenTextStream's window (see there).
        IReadOnlyList<int> a = tokenizer.EncodeToIds("a", considerPreTokenization: true, considerNormalization: true);
        SentinelId = a.Count > 0 ? a[^1]
            : throw new TokenizerFileException(source, "the tokenizer gives no token for \"a\" (a SentencePiece model whose normalizer Microsoft.ML.Tokenizers does not apply, or a vocabulary without ordinary text tokens)");
        _sentinelText = tokenizer.Decode([SentinelId]) ?? "";
    }

    /// <summary>A tokenizer built from another description than a directory's files (a GGUF file's metadata).</summary>
    internal static HuggingFaceTokenizer Create(Tokenizer tokenizer, TokenizerKind kind, int count, int? beginning, IReadOnlyList<int> ends, bool addBeginning, bool addEnd, HashSet<int> special, string source) =>
        new(tokenizer, kind, count, beginning, ends, addBeginning, addEnd, special, source);

    /// <summary>Which kind of file the tokenizer came from.</summary>
    public TokenizerKind Kind { get; }

    /// <summary>Ids the tokenizer knows: [0, Count).</summary>
    public int Count { get; }

    /// <summary>The beginning-of-sequence id (bos_token), if the directory names one.</summary>
    public int? BeginningOfSequenceId { get; }

    /// <summary>Ids that end a generated sequence (generation_config.json's eos_token_id and the eos_token).</summary>
    public IReadOnlyList<int> EndOfSequenceIds { get; }

    /// <summary>
    /// Whether <see cref="Encode"/> with special tokens starts with <see cref="BeginningOfSequenceId"/>: tokenizer_config.json's
    /// add_bos_token, else true for SentencePiece (Llama's default) and false for byte-level BPE (GPT-2's).
    /// </summary>
    public bool AddBeginningOfSequence { get; }

    /// <summary>The file the vocabulary was read from (tokenizer.model, tokenizer.json, vocab.json or a GGUF file).</summary>
    public string SourceFile { get; }

    /// <summary>The underlying Microsoft.ML.Tokenizers tokenizer.</summary>
    public Tokenizer Tokenizer => _tokenizer;

    internal int SentinelId { get; }

    /// <summary>Reads the tokenizer of the model directory <paramref name="directory"/>.</summary>
    /// <remarks>
    /// tokenizer.model is preferred when present (Llama-family directories also carry a tokenizer.json whose BPE is
    /// SentencePiece's, not byte-level); then tokenizer.json; then vocab.json + merges.txt.
    /// </remarks>
    /// <exception cref="TokenizerFileException">No tokenizer file (naming the directory), or one that is damaged, of an
    /// unsupported kind, or whose special tokens are not in the vocabulary (naming the file).</exception>
    public static HuggingFaceTokenizer FromDirectory(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        if (!Directory.Exists(directory))
        {
            throw new TokenizerFileException(directory, "no such directory", new DirectoryNotFoundException(directory));
        }
        SpecialTokenFiles files = SpecialTokenFiles.Read(directory);
        var special = new Dictionary<string, int>(files.AddedTokens, StringComparer.Ordinal);
        string sentencePiece = Path.Combine(directory, SentencePieceFileName);
        string tokenizerJson = Path.Combine(directory, ByteLevelBpeFiles.TokenizerJsonFileName);
        string vocabulary = Path.Combine(directory, ByteLevelBpeFiles.VocabularyFileName);
        // Tokens the files name only by their text (bos_token, eos_token, special_tokens_map.json …): special in text too.
        string[] namedTokens = [.. files.MappedTokens.Concat(new[] { files.BeginningToken, files.EndToken }.OfType<string>())];
        if (File.Exists(sentencePiece))
        {
            LlamaTokenizer llama = ReadSentencePiece(sentencePiece, special);
            // Tokens the files name only by their text (bos_token, eos_token, special_tokens_map.json), not in
            // added_tokens_decoder, are special in text too, as in Hugging Face: a chat template's "<s>" must be the
            // beginning-of-sequence id, not the pieces of "<", "s", ">". Their ids come from the model, so read it again.
            string[] named = [.. namedTokens
                                                   .Where(token => !special.ContainsKey(token) && llama.Vocabulary.ContainsKey(token))];
            if (named.Length > 0)
            {
                foreach (string token in named)
                {
                    special.TryAdd(token, llama.Vocabulary[token]);
                }
                llama = ReadSentencePiece(sentencePiece, special);
            }
            return Finish(llama, TokenizerKind.SentencePiece, llama.Vocabulary.Count, files, special, sentencePiece,
                defaultAddBeginning: true, defaultBeginning: llama.BeginningOfSentenceId, defaultEnd: llama.EndOfSentenceId);
        }
        if (File.Exists(tokenizerJson))
        {
            BpeTokenizer bpe = ByteLevelBpeFiles.FromTokenizerJson(tokenizerJson, special, namedTokens);
            return Finish(bpe, TokenizerKind.ByteLevelBpe, bpe.Vocabulary.Count, files, special, tokenizerJson, defaultAddBeginning: false, null, null);
        }
        if (File.Exists(vocabulary) || File.Exists(Path.Combine(directory, ByteLevelBpeFiles.MergesFileName)))
        {
            BpeTokenizer bpe = ByteLevelBpeFiles.FromVocabularyAndMerges(directory, special, namedTokens);
            return Finish(bpe, TokenizerKind.ByteLevelBpe, bpe.Vocabulary.Count, files, special, vocabulary, defaultAddBeginning: false, null, null);
        }
        throw new TokenizerFileException(directory, $"no tokenizer: looked for {SentencePieceFileName}, {ByteLevelBpeFiles.TokenizerJsonFileName}, and {ByteLevelBpeFiles.VocabularyFileName} + {ByteLevelBpeFiles.MergesFileName}",
            new FileNotFoundException(null, sentencePiece));
    }

    /// <summary>
    /// The tokenizer a GGUF file carries in its metadata, as llama.cpp's converter writes it: <c>tokenizer.ggml.model</c>
    /// "llama" (SentencePiece: tokens, scores, token types) or "gpt2" (byte-level BPE: tokens and merges, pre-tokenizer
    /// "gpt2"); bos/eos/eot ids and add_bos_token / add_eos_token. Control tokens are special: matched whole in text (a chat
    /// template's <c>&lt;s&gt;</c>) and left out of decoded text.
    /// </summary>
    /// <exception cref="TokenizerFileException">The file has no tokenizer, one of another kind (the message names the key and
    /// the kinds read here), or metadata of the wrong type or out of range (naming the key).</exception>
    /// <exception cref="GgufFormatException">The file is not valid GGUF.</exception>
    public static HuggingFaceTokenizer FromGguf(string path)
    {
        using GgufFile file = GgufFile.Open(path);
        return FromGguf(file);
    }

    /// <inheritdoc cref="FromGguf(string)"/>
    public static HuggingFaceTokenizer FromGguf(GgufFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        return GgufTokenizerReader.Read(file);
    }

    /// <summary>
    /// The ids of <paramref name="text"/>; with <paramref name="addSpecialTokens"/>, preceded by the beginning-of-sequence id
    /// when <see cref="AddBeginningOfSequence"/> (and followed by the end id when tokenizer_config.json asks for it), as
    /// Hugging Face's <c>add_special_tokens</c>.
    /// </summary>
    public int[] Encode(string text, bool addSpecialTokens = true)
    {
        ArgumentNullException.ThrowIfNull(text);
        IReadOnlyList<int> ids = _tokenizer.EncodeToIds(text, considerPreTokenization: true, considerNormalization: true);
        bool beginning = addSpecialTokens && AddBeginningOfSequence, end = addSpecialTokens && _addEnd && EndOfSequenceIds.Count > 0;
        int[] result = new int[ids.Count + (beginning ? 1 : 0) + (end ? 1 : 0)];
        int at = 0;
        if (beginning)
        {
            result[at++] = BeginningOfSequenceId!.Value;
        }
        foreach (int id in ids)
        {
            result[at++] = id;
        }
        if (end)
        {
            result[at] = EndOfSequenceIds[0];
        }
        return result;
    }

    /// <summary>The text of <paramref name="ids"/>, special tokens left out.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An id outside [0, <see cref="Count"/>).</exception>
    public string Decode(IEnumerable<int> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        List<int> kept = [];
        foreach (int id in ids)
        {
            if ((uint)id >= (uint)Count)
            {
                throw new ArgumentOutOfRangeException(nameof(ids), id, $"Token id {id} is outside the tokenizer's {Count} ids.");
            }
            if (!_special.Contains(id))
            {
                kept.Add(id);
            }
        }
        if (Kind != TokenizerKind.SentencePiece || kept.Count == 0)
        {
            return _tokenizer.Decode(kept) ?? "";
        }
        // Microsoft.ML.Tokenizers drops the space of a word-start piece whenever no ordinary piece precedes it in what it
        // decodes, even after byte-fallback characters ("K" "▁po" → "Kpo"); sentencepiece drops only the first piece's. So
        // decode behind a sentinel piece, and drop the space when the first piece is a word start (alone it decodes without it).
        string text = _tokenizer.Decode(kept.Prepend(SentinelId)) ?? "";
        text = text.StartsWith(_sentinelText, StringComparison.Ordinal) ? text[_sentinelText.Length..] : text;
        return text.StartsWith(' ') && !(_tokenizer.Decode([kept[0]]) ?? "").StartsWith(' ') ? text[1..] : text;
    }

    /// <summary>A streaming decoder of generated ids over this tokenizer.</summary>
    public TokenTextStream CreateTextStream() => new(this);

    private static LlamaTokenizer ReadSentencePiece(string path, Dictionary<string, int> special)
    {
        try
        {
            using FileStream stream = File.OpenRead(path);
            // Markers are added by Encode, not by the tokenizer (which leaves the beginning marker out of an empty text).
            return LlamaTokenizer.Create(stream, addBeginOfSentence: false, addEndOfSentence: false, specialTokens: special.Count > 0 ? special : null);
        }
        catch (Exception e) when (e is not TokenizerFileException)
        {
            throw new TokenizerFileException(path, $"not a SentencePiece model Microsoft.ML.Tokenizers can read: {e.Message}", e);
        }
    }

    private static HuggingFaceTokenizer Finish(Tokenizer tokenizer, TokenizerKind kind, int count, SpecialTokenFiles files, Dictionary<string, int> special,
                                               string tokenizerPath, bool defaultAddBeginning, int? defaultBeginning, int? defaultEnd)
    {
        string configPath = Path.Combine(Path.GetDirectoryName(tokenizerPath)!, SpecialTokenFiles.TokenizerConfigFileName);
        int IdOf(string token)
        {
            if (special.TryGetValue(token, out int id))
            {
                return id;
            }
            IReadOnlyList<int> ids = tokenizer.EncodeToIds(token, considerPreTokenization: false, considerNormalization: false);
            if (tokenizer is LlamaTokenizer llama && (token == llama.BeginningOfSentenceToken || token == llama.EndOfSentenceToken || token == llama.UnknownToken))
            {
                return token == llama.BeginningOfSentenceToken ? llama.BeginningOfSentenceId : token == llama.EndOfSentenceToken ? llama.EndOfSentenceId : llama.UnknownId;
            }
            if (ids.Count != 1)
            {
                throw new TokenizerFileException(configPath, $"the special token \"{token}\" is not one token of {Path.GetFileName(tokenizerPath)}");
            }
            return ids[0];
        }
        int? beginning = files.BeginningToken is { } bos ? IdOf(bos) : files.BeginningId ?? defaultBeginning;
        List<int> ends = [.. files.EndIds];
        if (files.EndToken is { } eos)
        {
            int id = IdOf(eos);
            if (!ends.Contains(id))
            {
                ends.Add(id);
            }
        }
        else if (ends.Count == 0 && defaultEnd is { } end)
        {
            ends.Add(end);
        }
        foreach (string token in files.MappedTokens)
        {
            special.TryAdd(token, IdOf(token));
        }
        var specialIds = new HashSet<int>(special.Values);
        if (beginning is { } b)
        {
            specialIds.Add(b);
        }
        specialIds.UnionWith(ends);
        foreach (int id in specialIds)
        {
            if ((uint)id >= (uint)count)
            {
                throw new TokenizerFileException(configPath, $"special token id {id} is outside the {count} ids of {Path.GetFileName(tokenizerPath)}");
            }
        }
        return new HuggingFaceTokenizer(tokenizer, kind, count, beginning, ends, files.AddBeginning ?? defaultAddBeginning, files.AddEnd ?? false, specialIds, tokenizerPath);
    }
}

/// <summary>Which file a <see cref="HuggingFaceTokenizer"/> came from.</summary>
public enum TokenizerKind
{
    /// <summary>tokenizer.model (SentencePiece; Llama, Mistral, Gemma…).</summary>
    SentencePiece,

    /// <summary>Byte-level BPE: tokenizer.json, or vocab.json + merges.txt (GPT-2, Qwen, Llama 3…).</summary>
    ByteLevelBpe,
}
