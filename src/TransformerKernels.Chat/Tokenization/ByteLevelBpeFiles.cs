using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;

namespace TransformerKernels.Chat;

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
    public static BpeTokenizer FromVocabularyAndMerges(string directory, Dictionary<string, int> specialTokens)
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
        return Create(vocabulary, merges, specialTokens, vocabularyPath);
    }

    /// <summary>tokenizer.json, whose model must be BPE behind a ByteLevel pre-tokenizer; its added tokens join <paramref name="specialTokens"/>.</summary>
    /// <exception cref="TokenizerFileException">The file is not JSON, or describes another tokenizer.</exception>
    public static BpeTokenizer FromTokenizerJson(string path, Dictionary<string, int> specialTokens)
    {
        Dictionary<string, int> vocabulary = [];
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
        return Create(vocabulary, merges, specialTokens, path);
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

    private static BpeTokenizer Create(Dictionary<string, int> vocabulary, List<string> merges, Dictionary<string, int> specialTokens, string path)
    {
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
                PreTokenizer = new RegexPreTokenizer(Gpt2Pattern(), specialTokens.Count > 0 ? specialTokens : null),
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
