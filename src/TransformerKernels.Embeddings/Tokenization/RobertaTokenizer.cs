using System.Text.Json;
using TransformerKernels.Tokenizers;

namespace TransformerKernels.Embeddings;

/// <summary>
/// RoBERTa's tokenizer as Hugging Face runs it: GPT-2's byte-level BPE (tokenizer.json, or vocab.json + merges.txt, read by
/// <see cref="HuggingFaceTokenizer"/>) and RoBERTa's framing <c>&lt;s&gt; text &lt;/s&gt;</c>, the classification and
/// separator tokens named by tokenizer_config.json or special_tokens_map.json (cls_token, sep_token; RoBERTa's defaults
/// <c>&lt;s&gt;</c> and <c>&lt;/s&gt;</c>). Thread-safe: encoding keeps no state.
/// </summary>
public sealed class RobertaTokenizer : ISentenceTokenizer
{
    private const string TokenizerConfigJson = "tokenizer_config.json", SpecialTokensMapJson = "special_tokens_map.json";

    private RobertaTokenizer(HuggingFaceTokenizer tokenizer, int cls, int sep, int pad, int? maxLength)
    {
        Tokenizer = tokenizer;
        ClassificationTokenId = cls;
        SeparatorTokenId = sep;
        PaddingTokenId = pad;
        ModelMaxLength = maxLength;
    }

    /// <summary>The byte-level BPE tokenizer behind this one.</summary>
    public HuggingFaceTokenizer Tokenizer { get; }

    /// <inheritdoc />
    public string VocabularyFile => Tokenizer.SourceFile;

    /// <inheritdoc />
    public int VocabularySize => Tokenizer.Count;

    /// <inheritdoc />
    public int ClassificationTokenId { get; }

    /// <inheritdoc />
    public int SeparatorTokenId { get; }

    /// <inheritdoc />
    public int PaddingTokenId { get; }

    /// <inheritdoc />
    public int? ModelMaxLength { get; }

    /// <summary>Loads the tokenizer of a RoBERTa model directory.</summary>
    /// <exception cref="TokenizerFileException">No tokenizer file, or a damaged one (the message names it).</exception>
    /// <exception cref="ModelFileException">tokenizer_config.json or special_tokens_map.json is damaged, or names a special
    /// token that is not one token of the vocabulary.</exception>
    /// <exception cref="UnsupportedModelException">The directory's tokenizer is not byte-level BPE (a SentencePiece model:
    /// XLM-RoBERTa's is not read here).</exception>
    public static RobertaTokenizer FromDirectory(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        HuggingFaceTokenizer tokenizer = HuggingFaceTokenizer.FromDirectory(directory);
        if (tokenizer.Kind != TokenizerKind.ByteLevelBpe)
        {
            throw new UnsupportedModelException(tokenizer.SourceFile, "tokenizer", $"is {tokenizer.Kind}; RoBERTa sentence models are read with their byte-level BPE (vocab.json + merges.txt or tokenizer.json).");
        }
        string configPath = Path.Combine(directory, TokenizerConfigJson), mapPath = Path.Combine(directory, SpecialTokensMapJson);
        JsonElement? config = JsonFile.ReadIfExists(configPath) is { } c ? JsonFile.Object(configPath, c) : null;
        JsonElement? map = JsonFile.ReadIfExists(mapPath) is { } m ? JsonFile.Object(mapPath, m) : null;
        int IdOf(string field, string fallback)
        {
            string token = (config is { } cfg ? JsonFile.Token(configPath, cfg, field) : null)
                ?? (map is { } mp ? JsonFile.Token(mapPath, mp, field) : null) ?? fallback;
            int[] ids = tokenizer.Encode(token, addSpecialTokens: false);
            return ids is [int id] ? id
                : throw new ModelFileException(config is null ? tokenizer.SourceFile : configPath, $"{field} \"{token}\" is not one token of {Path.GetFileName(tokenizer.SourceFile)} ({ids.Length} ids).");
        }
        long? maxLength = config is { } conf ? JsonFile.Integer(configPath, conf, "model_max_length") : null;
        return new RobertaTokenizer(tokenizer, IdOf("cls_token", "<s>"), IdOf("sep_token", "</s>"), IdOf("pad_token", "<pad>"),
            maxLength is > 0 and < int.MaxValue ? (int)maxLength : null);
    }

    /// <summary>
    /// &lt;s&gt; text &lt;/s&gt;, the text's tokens truncated so the whole is at most <paramref name="maxLength"/> ids (Hugging
    /// Face's <c>truncation=True</c> for one sequence: the last tokens are dropped).
    /// </summary>
    public int[] Encode(string text, int maxLength)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLength, 2);
        return SentenceFraming.Frame(ClassificationTokenId, Tokenizer.Encode(text, addSpecialTokens: false), SeparatorTokenId, maxLength);
    }
}
