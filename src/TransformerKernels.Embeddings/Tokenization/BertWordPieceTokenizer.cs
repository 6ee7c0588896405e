using System.Text.Json;
using Microsoft.ML.Tokenizers;

namespace TransformerKernels.Embeddings;

/// <summary>
/// BERT's WordPiece tokenizer exactly as Hugging Face runs it (<see cref="BertTextNormalizer"/>'s clean-up and
/// <see cref="BertPreTokenizer"/>'s word split in front of Microsoft.ML.Tokenizers' WordPiece), configured from a model
/// directory: the vocabulary from <c>tokenizer.json</c> (a WordPiece model, as Hugging Face's fast tokenizer prefers it) or
/// <c>vocab.txt</c>; lower-casing, accent stripping and CJK splitting from the tokenizer.json normalizer or
/// <c>tokenizer_config.json</c>; the special tokens from <c>tokenizer_config.json</c> and <c>special_tokens_map.json</c>.
/// Thread-safe: encoding keeps no state.
/// </summary>
public sealed class BertWordPieceTokenizer : ISentenceTokenizer
{
    /// <summary>The vocabulary file of a slow (Python) BERT tokenizer.</summary>
    public const string VocabTxt = "vocab.txt";

    /// <summary>The file of a fast (Rust) tokenizer.</summary>
    public const string TokenizerJson = "tokenizer.json";

    private const string TokenizerConfigJson = "tokenizer_config.json", SpecialTokensMapJson = "special_tokens_map.json";

    private readonly BertTokenizer _tokenizer;

    private BertWordPieceTokenizer(BertTokenizer tokenizer, WordPieceVocabulary vocabulary, BertTextNormalizer normalizer, SpecialTokens specials, long? maxLength)
    {
        _tokenizer = tokenizer;
        Normalizer = normalizer;
        VocabularyFile = vocabulary.FilePath;
        VocabularySize = vocabulary.Tokens.Length;
        ClassificationTokenId = vocabulary.Require(specials.Cls, "classification (cls_token)");
        SeparatorTokenId = vocabulary.Require(specials.Sep, "separator (sep_token)");
        PaddingTokenId = vocabulary.Ids.TryGetValue(specials.Pad, out int pad) ? pad : 0;
        ModelMaxLength = maxLength is > 0 and < int.MaxValue ? (int)maxLength : null;
    }

    /// <summary>Microsoft.ML.Tokenizers' tokenizer behind this one (Hugging Face's clean-up and word split plugged in).</summary>
    public BertTokenizer Tokenizer => _tokenizer;

    /// <summary>The clean-up in use (how it lower-cases and strips accents, which special tokens it keeps whole).</summary>
    public BertTextNormalizer Normalizer { get; }

    /// <summary>The file the vocabulary was read from.</summary>
    public string VocabularyFile { get; }

    /// <summary>Tokens in the vocabulary: every id is below this.</summary>
    public int VocabularySize { get; }

    /// <summary>Id of the classification token ([CLS]) that starts every sequence.</summary>
    public int ClassificationTokenId { get; }

    /// <summary>Id of the separator token ([SEP]) that ends every segment.</summary>
    public int SeparatorTokenId { get; }

    /// <summary>Id of the padding token ([PAD]; 0 when the vocabulary has none).</summary>
    public int PaddingTokenId { get; }

    /// <summary>The tokenizer's own limit (<c>model_max_length</c>, or tokenizer.json's truncation), when it states one.</summary>
    public int? ModelMaxLength { get; }

    /// <summary>Loads the tokenizer of a Hugging Face model directory.</summary>
    /// <exception cref="ModelFileException">Neither tokenizer.json nor vocab.txt exists, or a tokenizer file is damaged (the message names it).</exception>
    /// <exception cref="UnsupportedModelException">tokenizer.json describes another tokenizer than BERT's WordPiece.</exception>
    public static BertWordPieceTokenizer FromDirectory(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        string configPath = Path.Combine(directory, TokenizerConfigJson), mapPath = Path.Combine(directory, SpecialTokensMapJson);
        JsonElement? config = JsonFile.ReadIfExists(configPath) is { } c ? JsonFile.Object(configPath, c) : null;
        JsonElement? map = JsonFile.ReadIfExists(mapPath) is { } m ? JsonFile.Object(mapPath, m) : null;
        SpecialTokens specials = SpecialTokens.Read(configPath, config, mapPath, map);
        bool lowerCase = config is { } lc ? JsonFile.Bool(configPath, lc, "do_lower_case", true) : true;
        bool? stripAccents = config is { } sa ? JsonFile.NullableBool(configPath, sa, "strip_accents") : null;
        bool splitCjk = config is { } cjk ? JsonFile.Bool(configPath, cjk, "tokenize_chinese_chars", true) : true;
        long? maxLength = config is { } ml ? JsonFile.Integer(configPath, ml, "model_max_length") : null;

        string jsonPath = Path.Combine(directory, TokenizerJson), txtPath = Path.Combine(directory, VocabTxt);
        WordPieceVocabulary vocabulary;
        if (File.Exists(jsonPath))
        {
            JsonElement root = JsonFile.Object(jsonPath, JsonFile.Read(jsonPath));
            vocabulary = ReadTokenizerJson(jsonPath, root, ref specials, ref lowerCase, ref stripAccents, ref splitCjk, ref maxLength);
        }
        else if (File.Exists(txtPath))
        {
            vocabulary = WordPieceVocabulary.FromVocabTxt(txtPath);
        }
        else
        {
            throw new ModelFileException(txtPath, $"is missing, and so is {TokenizerJson}: the directory has no WordPiece vocabulary.");
        }
        return Create(vocabulary, new BertTextNormalizer(lowerCase, stripAccents, splitCjk, specials.All), specials, maxLength);
    }

    /// <summary>Loads a vocab.txt with the uncased BERT settings and BERT's special tokens (bert-base-uncased, all-MiniLM-L6-v2).</summary>
    /// <exception cref="ModelFileException">The file is missing or damaged.</exception>
    public static BertWordPieceTokenizer FromVocabTxt(string path) =>
        Create(WordPieceVocabulary.FromVocabTxt(path), new BertTextNormalizer(), SpecialTokens.Bert, null);

    private static BertWordPieceTokenizer Create(WordPieceVocabulary vocabulary, BertTextNormalizer normalizer, SpecialTokens specials, long? maxLength)
    {
        vocabulary.Require(specials.Unk, "unknown (unk_token)");
        vocabulary.Require(specials.Cls, "classification (cls_token)");
        vocabulary.Require(specials.Sep, "separator (sep_token)");
        using MemoryStream stream = vocabulary.ToVocabTxtStream();
        BertTokenizer tokenizer = BertTokenizer.Create(stream, new BertOptions
        {
            Normalizer = normalizer,
            PreTokenizer = new BertPreTokenizer(normalizer),
            ApplyBasicTokenization = false, // the two above do it, as Hugging Face does
            LowerCaseBeforeTokenization = false, // done by the normalizer, before accents are stripped
            SplitOnSpecialTokens = true,
            UnknownToken = specials.Unk,
            ClassificationToken = specials.Cls,
            SeparatorToken = specials.Sep,
            PaddingToken = vocabulary.Ids.ContainsKey(specials.Pad) ? specials.Pad : specials.Unk,
            MaskingToken = vocabulary.Ids.ContainsKey(specials.Mask) ? specials.Mask : specials.Unk,
            SpecialTokens = specials.All.Where(vocabulary.Ids.ContainsKey).Distinct(StringComparer.Ordinal).ToDictionary(t => t, t => vocabulary.Ids[t], StringComparer.Ordinal),
        });
        return new BertWordPieceTokenizer(tokenizer, vocabulary, normalizer, specials, maxLength);
    }

    private static WordPieceVocabulary ReadTokenizerJson(string path, JsonElement root, ref SpecialTokens specials, ref bool lowerCase, ref bool? stripAccents, ref bool splitCjk, ref long? maxLength)
    {
        if (!root.TryGetProperty("model", out JsonElement model) || model.ValueKind != JsonValueKind.Object)
        {
            throw new ModelFileException(path, "has no 'model' object.");
        }
        string? type = JsonFile.String(path, model, "type");
        if (type != "WordPiece")
        {
            throw new UnsupportedModelException(path, "model.type", $"is '{type}'; only BERT's WordPiece is supported.");
        }
        if (JsonFile.String(path, model, "continuing_subword_prefix") is { } prefix && prefix != "##")
        {
            throw new UnsupportedModelException(path, "model.continuing_subword_prefix", $"is '{prefix}'; BERT's WordPiece uses '##'.");
        }
        if (JsonFile.Integer(path, model, "max_input_chars_per_word") is { } chars && chars != 100)
        {
            throw new UnsupportedModelException(path, "model.max_input_chars_per_word", $"is {chars}; BERT's WordPiece uses 100.");
        }
        if (JsonFile.String(path, model, "unk_token") is { } unk)
        {
            specials = specials with { Unk = unk };
        }
        if (root.TryGetProperty("normalizer", out JsonElement normalizer) && normalizer.ValueKind == JsonValueKind.Object)
        {
            string? normalizerType = JsonFile.String(path, normalizer, "type");
            if (normalizerType != "BertNormalizer")
            {
                throw new UnsupportedModelException(path, "normalizer.type", $"is '{normalizerType}'; only BertNormalizer is supported.");
            }
            if (!JsonFile.Bool(path, normalizer, "clean_text", true))
            {
                throw new UnsupportedModelException(path, "normalizer.clean_text", "is false; BERT's clean-up (controls removed, whitespace to spaces) is always applied here.");
            }
            lowerCase = JsonFile.Bool(path, normalizer, "lowercase", true);
            stripAccents = JsonFile.NullableBool(path, normalizer, "strip_accents");
            splitCjk = JsonFile.Bool(path, normalizer, "handle_chinese_chars", true);
        }
        if (root.TryGetProperty("pre_tokenizer", out JsonElement pre) && pre.ValueKind == JsonValueKind.Object
            && JsonFile.String(path, pre, "type") is { } preType && preType != "BertPreTokenizer")
        {
            throw new UnsupportedModelException(path, "pre_tokenizer.type", $"is '{preType}'; only BertPreTokenizer is supported.");
        }
        if (root.TryGetProperty("truncation", out JsonElement truncation) && truncation.ValueKind == JsonValueKind.Object
            && JsonFile.Integer(path, truncation, "max_length") is { } length)
        {
            maxLength = maxLength is { } configured ? Math.Min(configured, length) : length;
        }
        return WordPieceVocabulary.FromTokenizerJson(path, model.TryGetProperty("vocab", out JsonElement vocab) ? vocab : default);
    }

    /// <summary>WordPiece ids of <paramref name="text"/> without [CLS] and [SEP].</summary>
    /// <exception cref="ArgumentException">The text holds code points Unicode normalization refuses.</exception>
    public IReadOnlyList<int> EncodeWords(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return _tokenizer.EncodeToIds(text, addSpecialTokens: false);
    }

    /// <summary>
    /// [CLS] text [SEP], the text's tokens truncated so the whole is at most <paramref name="maxLength"/> ids — Hugging Face's
    /// <c>truncation=True</c> for one sequence: the last tokens are dropped, whole words or not.
    /// </summary>
    public int[] Encode(string text, int maxLength)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLength, 2);
        return SentenceFraming.Frame(ClassificationTokenId, EncodeWords(text), SeparatorTokenId, maxLength);
    }

    /// <summary>
    /// [CLS] first [SEP] second [SEP] with token types 0 for [CLS], the first text and its [SEP], 1 after; truncated to
    /// <paramref name="maxLength"/> ids by the <c>longest_first</c> rule of Hugging Face's fast tokenizer (what a
    /// sentence-transformers CrossEncoder loads): the shorter text is kept whole when the longer can take the rest of the
    /// budget; otherwise each gets half, the second text (or the longer, if that is the first) the odd token.
    /// </summary>
    public (int[] Ids, int[] TokenTypes) EncodePair(string first, string second, int maxLength)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLength, 3);
        IReadOnlyList<int> a = EncodeWords(first), b = EncodeWords(second);
        int keepA = a.Count, keepB = b.Count, budget = maxLength - 3;
        if (keepA + keepB > budget)
        {
            bool swap = keepA > keepB;
            int shorter = Math.Min(keepA, keepB), longer;
            longer = shorter > budget ? shorter : Math.Max(shorter, budget - shorter);
            if (shorter + longer > budget)
            {
                shorter = budget / 2;
                longer = shorter + budget % 2;
            }
            (keepA, keepB) = swap ? (Math.Min(a.Count, longer), Math.Min(b.Count, shorter)) : (Math.Min(a.Count, shorter), Math.Min(b.Count, longer));
        }
        var ids = new int[keepA + keepB + 3];
        var types = new int[ids.Length];
        int n = 0;
        ids[n++] = ClassificationTokenId;
        for (int i = 0; i < keepA; i++)
        {
            ids[n++] = a[i];
        }
        ids[n++] = SeparatorTokenId;
        for (int i = 0; i < keepB; i++)
        {
            types[n] = 1;
            ids[n++] = b[i];
        }
        types[n] = 1;
        ids[n] = SeparatorTokenId;
        return (ids, types);
    }

    /// <summary>The special tokens of a BERT tokenizer, as its config files name them.</summary>
    private sealed record SpecialTokens(string Unk, string Cls, string Sep, string Pad, string Mask)
    {
        public static readonly SpecialTokens Bert = new("[UNK]", "[CLS]", "[SEP]", "[PAD]", "[MASK]");

        public string[] All => [Unk, Cls, Sep, Pad, Mask];

        /// <summary>tokenizer_config.json's tokens, special_tokens_map.json's where the config leaves one out, BERT's otherwise.</summary>
        public static SpecialTokens Read(string configPath, JsonElement? config, string mapPath, JsonElement? map)
        {
            string Pick(string field, string fallback) =>
                (config is { } c ? JsonFile.Token(configPath, c, field) : null) ?? (map is { } m ? JsonFile.Token(mapPath, m, field) : null) ?? fallback;
            return new(Pick("unk_token", "[UNK]"), Pick("cls_token", "[CLS]"), Pick("sep_token", "[SEP]"), Pick("pad_token", "[PAD]"), Pick("mask_token", "[MASK]"));
        }
    }
}
