using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;

namespace TransformerKernels.Tokenizers;

/// <summary>
/// Byte-level BPE (GPT-2's scheme) from a model directory — vocab.json + merges.txt, or tokenizer.json whose model is BPE
/// behind a ByteLevel pre-tokenizer — built as Microsoft.ML.Tokenizers' <see cref="BpeTokenizer"/> with GPT-2's
/// pre-tokenizer pattern and the special tokens split out before it.
/// </summary>
internal static partial class ByteLevelBpeFiles
{
    public const string VocabularyFileName = "vocab.json";
    public const string MergesFileName = "merges.txt";
    public const string TokenizerJsonFileName = "tokenizer.json";

    // GPT-2's pre-tokenizer (Hugging Face's ByteLevel with use_regex): contractions, letters, digits, other symbols, each
    // optionally after one space; whitespace runs leave their last space to the next word.
    [GeneratedRegex(@"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+")]
    private static partial Regex Gpt2Pattern();

    /// <summary>vocab.json + merges.txt of <paramref name="directory"/>.</summary>
    /// <exception cref="TokenizerFileException">Either file is missing or not what its name says.</exception>
    public static BpeTokenizer FromVocabularyAndMerges(string directory, Dictionary<string, int> specialTokens, IEnumerable<string> namedTokens)
    {
        string vocabularyPath = Path.Combine(directory, VocabularyFileName), mergesPath = Path.Combine(directory, MergesFileName);
        Dictionary<string, int> vocabulary = [];
        RequireFile(vocabularyPath);
        RequireFile(mergesPath);
        SpecialTokenFiles.Parse(vocabularyPath, root =>
        {
            foreach (JsonProperty entry in root.EnumerateObject())
            {
                vocabulary[entry.Name] = entry.Value.GetInt32();
            }
        });
        List<string> merges = [];
        int lineNumber = 0;
        foreach (string line in File.ReadLines(mergesPath))
        {
            lineNumber++;
            if (line.Length == 0 || (lineNumber == 1 && line.StartsWith("#version", StringComparison.Ordinal)))
            {
                continue;
            }
            merges.Add(CheckMerge(line, vocabulary, mergesPath, $"line {lineNumber}"));
        }
        return Create(vocabulary, merges, specialTokens, vocabularyPath, namedTokens: namedTokens);
    }

    /// <summary>tokenizer.json, whose model must be BPE behind a ByteLevel pre-tokenizer; its added tokens join <paramref name="specialTokens"/>.</summary>
    /// <exception cref="TokenizerFileException">The file is not JSON, or describes another tokenizer.</exception>
    public static BpeTokenizer FromTokenizerJson(string path, Dictionary<string, int> specialTokens, IEnumerable<string> namedTokens)
    {
        Dictionary<string, int> vocabulary = [];
        Regex? pattern = null;
        List<string> merges = [];
        SpecialTokenFiles.Parse(path, root =>
        {
            JsonElement model = root.GetProperty("model");
            string? type = model.TryGetProperty("type", out JsonElement t) ? t.GetString() : null;
            if (type != "BPE")
            {
                throw new FormatException($"its model is {type ?? "untyped"}; only BPE is supported");
            }
            if (!IsByteLevel(root))
            {
                throw new FormatException("its BPE model is not byte-level (no ByteLevel pre-tokenizer); a SentencePiece-style BPE needs its tokenizer.model");
            }
            pattern = SplitPattern(root.GetProperty("pre_tokenizer"));
            foreach (JsonProperty entry in model.GetProperty("vocab").EnumerateObject())
            {
                vocabulary[entry.Name] = entry.Value.GetInt32();
            }
            int index = 0;
            foreach (JsonElement merge in model.GetProperty("merges").EnumerateArray())
            {
                // Older files write "a b", newer ones ["a", "b"].
                string line = merge.ValueKind == JsonValueKind.Array ? $"{merge[0].GetString()} {merge[1].GetString()}" : merge.GetString()!;
                merges.Add(CheckMerge(line, vocabulary, path, $"merge {index++}"));
            }
            if (root.TryGetProperty("added_tokens", out JsonElement added) && added.ValueKind == JsonValueKind.Array)
            {
                foreach (JsonElement token in added.EnumerateArray())
                {
                    specialTokens.TryAdd(token.GetProperty("content").GetString()!, token.GetProperty("id").GetInt32());
                }
            }
        });
        return Create(vocabulary, merges, specialTokens, path, pattern, namedTokens);
    }

    /// <summary>
    /// The pattern that splits text before the byte-level BPE: GPT-2's for a ByteLevel pre-tokenizer that splits itself
    /// (use_regex, the default); the file's own for a Split by a regex (behavior "Isolated", not inverted) followed by a
    /// ByteLevel step that does not split — Llama 3's and Qwen2's layout. Anything else is refused by name: splitting text
    /// differently would silently give other ids.
    /// </summary>
    /// <exception cref="FormatException">A pre-tokenizer configuration not read here (the message names it).</exception>
    private static Regex? SplitPattern(JsonElement pre)
    {
        string type = pre.GetProperty("type").GetString() ?? "";
        JsonElement[] steps = type == "Sequence" ? [.. pre.GetProperty("pretokenizers").EnumerateArray()] : [pre];
        Regex? split = null;
        bool byteLevelSplits = false;
        foreach (JsonElement step in steps)
        {
            string stepType = step.GetProperty("type").GetString() ?? "";
            switch (stepType)
            {
                case "Split" when split is null && !byteLevelSplits:
                    string behavior = step.TryGetProperty("behavior", out JsonElement b) ? b.GetString() ?? "" : "";
                    bool invert = step.TryGetProperty("invert", out JsonElement i) && i.ValueKind == JsonValueKind.True;
                    if (behavior != "Isolated" || invert)
                    {
                        throw new FormatException($"its pre_tokenizer Split has behavior \"{behavior}\"{(invert ? ", inverted" : "")}; only an Isolated, not inverted Split is read here");
                    }
                    JsonElement pattern = step.GetProperty("pattern");
                    split = pattern.TryGetProperty("Regex", out JsonElement r) ? Compile(r.GetString()!)
                        : pattern.TryGetProperty("String", out JsonElement literal) ? Compile(Regex.Escape(literal.GetString()!))
                        : throw new FormatException("its pre_tokenizer Split has neither a Regex nor a String pattern");
                    break;
                case "ByteLevel":
                    if (step.TryGetProperty("add_prefix_space", out JsonElement prefix) && prefix.ValueKind == JsonValueKind.True)
                    {
                        throw new FormatException("its ByteLevel pre-tokenizer has add_prefix_space true, which is not read here");
                    }
                    byteLevelSplits = !step.TryGetProperty("use_regex", out JsonElement useRegex) || useRegex.ValueKind != JsonValueKind.False;
                    if (byteLevelSplits && split is not null)
                    {
                        throw new FormatException("its pre_tokenizer splits twice (a Split, then a ByteLevel with use_regex); only one split is read here");
                    }
                    break;
                default:
                    throw new FormatException($"its pre_tokenizer has a {stepType} step; a Split by a regex and a ByteLevel step are read here");
            }
        }
        return split ?? (byteLevelSplits ? null : throw new FormatException("its pre_tokenizer does not split text (no Split, ByteLevel use_regex false)"));
    }

    private static Regex Compile(string pattern)
    {
        try
        {
            return new Regex(pattern, RegexOptions.CultureInvariant);
        }
        catch (ArgumentException e)
        {
            throw new FormatException($"its pre_tokenizer Split pattern is not a regular expression .NET reads: {e.Message}", e);
        }
    }

    /// <summary>A byte-level BPE from its tokens in id order and its merges, as a GGUF file lists them (<paramref name="path"/> names the file in errors).</summary>
    /// <exception cref="TokenizerFileException">A merge is malformed or merges into a token the vocabulary does not have.</exception>
    public static BpeTokenizer FromTokensAndMerges(string path, IReadOnlyList<string> tokens, IReadOnlyList<string> merges, Dictionary<string, int> specialTokens)
    {
        Dictionary<string, int> vocabulary = new(tokens.Count, StringComparer.Ordinal);
        for (int id = 0; id < tokens.Count; id++)
        {
            vocabulary.TryAdd(tokens[id], id);
        }
        List<string> checkedMerges = new(merges.Count);
        for (int i = 0; i < merges.Count; i++)
        {
            checkedMerges.Add(CheckMerge(merges[i], vocabulary, path, $"tokenizer.ggml.merges[{i}]"));
        }
        return Create(vocabulary, checkedMerges, specialTokens, path);
    }

    private static bool IsByteLevel(JsonElement root)
    {
        if (!root.TryGetProperty("pre_tokenizer", out JsonElement pre) || pre.ValueKind != JsonValueKind.Object)
        {
            return false;
        }
        string? type = pre.GetProperty("type").GetString();
        return type == "ByteLevel" || (type == "Sequence" && pre.GetProperty("pretokenizers").EnumerateArray().Any(p => p.GetProperty("type").GetString() == "ByteLevel"));
    }

    private static string CheckMerge(string line, Dictionary<string, int> vocabulary, string path, string where)
    {
        int space = line.IndexOf(' ', StringComparison.Ordinal);
        if (space <= 0 || space == line.Length - 1 || line.IndexOf(' ', space + 1) >= 0)
        {
            throw new TokenizerFileException(path, $"{where} is not a merge (two tokens separated by one space): \"{line}\"");
        }
        string merged = string.Concat(line.AsSpan(0, space), line.AsSpan(space + 1));
        if (!vocabulary.ContainsKey(merged))
        {
            throw new TokenizerFileException(path, $"{where} merges into \"{merged}\", which the vocabulary does not have");
        }
        return line;
    }

    /// <remarks>
    /// <paramref name="namedTokens"/>: the tokens the config files name (bos, eos, unk, sep, pad, cls, mask, additional)
    /// that the vocabulary holds whole become special — matched whole in text and never merged from pieces — as Hugging
    /// Face's tokenizers treat them (RoBERTa's vocab.json has &lt;s&gt; as one entry, which no merge reaches).
    /// </remarks>
    private static BpeTokenizer Create(Dictionary<string, int> vocabulary, List<string> merges, Dictionary<string, int> specialTokens, string path, Regex? pattern = null, IEnumerable<string>? namedTokens = null)
    {
        foreach (string token in namedTokens ?? [])
        {
            if (vocabulary.TryGetValue(token, out int id))
            {
                specialTokens.TryAdd(token, id);
            }
        }
        foreach ((string token, int id) in specialTokens)
        {
            vocabulary.TryAdd(token, id);
        }
        try
        {
            return BpeTokenizer.Create(new BpeOptions(vocabulary)
            {
                Merges = merges,
                ByteLevel = true,
                SpecialTokens = specialTokens.Count > 0 ? specialTokens : null,
                PreTokenizer = new RegexPreTokenizer(pattern ?? Gpt2Pattern(), specialTokens.Count > 0 ? specialTokens : null),
            });
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or FormatException)
        {
            throw new TokenizerFileException(path, $"Microsoft.ML.Tokenizers refused the byte-level BPE: {e.Message}", e);
        }
    }

    private static void RequireFile(string path)
    {
        if (!File.Exists(path))
        {
            throw new TokenizerFileException(path, "missing: a byte-level BPE needs both vocab.json and merges.txt", new FileNotFoundException(null, path));
        }
    }
}
