using Microsoft.ML.Tokenizers;

namespace TransformerKernels.Tokenizers;

/// <summary>
/// Reads the <c>tokenizer.*</c> metadata of a GGUF file into a <see cref="HuggingFaceTokenizer"/>: a SentencePiece model
/// rebuilt piece by piece (<see cref="SentencePieceModelWriter"/>) for "llama", a byte-level BPE for "gpt2". Every problem is
/// a <see cref="TokenizerFileException"/> naming the file and the key.
/// </summary>
internal static class GgufTokenizerReader
{
    private const string ModelKey = "tokenizer.ggml.model";
    private const string TokensKey = "tokenizer.ggml.tokens";
    private const string ScoresKey = "tokenizer.ggml.scores";
    private const string TypesKey = "tokenizer.ggml.token_type";
    private const string MergesKey = "tokenizer.ggml.merges";
    private const string PreTokenizerKey = "tokenizer.ggml.pre";

    // SentencePiece's piece types, which GGUF's token_type keeps: 2 unknown, 3 control, 6 byte.
    private const int Normal = 1, Unknown = 2, Control = 3, Byte = 6;

    public static HuggingFaceTokenizer Read(GgufFile file)
    {
        string path = file.FilePath;
        string model = Text(file, ModelKey) ?? throw new TokenizerFileException(path, $"has no tokenizer: no '{ModelKey}' metadata");
        string[] tokens = Strings(file, TokensKey) ?? throw new TokenizerFileException(path, $"has no '{TokensKey}' metadata");
        if (tokens.Length == 0)
        {
            throw new TokenizerFileException(path, $"'{TokensKey}' is empty");
        }
        int[] types = Integers(file, TypesKey, tokens.Length) ?? [.. tokens.Select(_ => Normal)];
        int? beginning = Id(file, "tokenizer.ggml.bos_token_id", tokens.Length);
        List<int> ends = [];
        foreach (string key in (string[])["tokenizer.ggml.eos_token_id", "tokenizer.ggml.eot_token_id", "tokenizer.ggml.eom_token_id"])
        {
            if (Id(file, key, tokens.Length) is { } end && !ends.Contains(end))
            {
                ends.Add(end);
            }
        }
        var special = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int id = 0; id < tokens.Length; id++)
        {
            if (types[id] is Control or Unknown && tokens[id].Length > 0)
            {
                special.TryAdd(tokens[id], id);
            }
        }
        var specialIds = new HashSet<int>(special.Values);
        if (beginning is { } b)
        {
            specialIds.Add(b);
        }
        specialIds.UnionWith(ends);
        bool addEnd = Flag(file, "tokenizer.ggml.add_eos_token") ?? false;
        switch (model)
        {
            case "llama":
            {
                float[] scores = Reals(file, ScoresKey, tokens.Length) ?? new float[tokens.Length];
                int unknown = Id(file, "tokenizer.ggml.unknown_token_id", tokens.Length) ?? Array.IndexOf(types, Unknown);
                var settings = new SentencePieceSettings(unknown, beginning ?? -1, ends.Count > 0 ? ends[0] : -1,
                    Id(file, "tokenizer.ggml.padding_token_id", tokens.Length) ?? -1,
                    ByteFallback: types.Contains(Byte),
                    AddDummyPrefix: Flag(file, "tokenizer.ggml.add_space_prefix") ?? true,
                    RemoveExtraWhitespaces: Flag(file, "tokenizer.ggml.remove_extra_whitespaces") ?? false);
                LlamaTokenizer llama;
                try
                {
                    using var stream = new MemoryStream(SentencePieceModelWriter.Write(tokens, scores, types, settings));
                    llama = LlamaTokenizer.Create(stream, addBeginOfSentence: false, addEndOfSentence: false, specialTokens: special.Count > 0 ? special : null);
                }
                catch (Exception e) when (e is ArgumentException or InvalidOperationException or FormatException or IOException)
                {
                    throw new TokenizerFileException(path, $"Microsoft.ML.Tokenizers refused the SentencePiece tokenizer of its metadata: {e.Message}", e);
                }
                return HuggingFaceTokenizer.Create(llama, TokenizerKind.SentencePiece, tokens.Length, beginning, ends,
                    Flag(file, "tokenizer.ggml.add_bos_token") ?? true, addEnd, specialIds, path);
            }
            case "gpt2":
            {
                string pre = Text(file, PreTokenizerKey) ?? "default";
                if (pre is not ("default" or "gpt2"))
                {
                    // Llama 3, Qwen2 and others split text with other patterns than GPT-2's; one of them would give other ids.
                    throw new TokenizerFileException(path, $"'{PreTokenizerKey}' is \"{pre}\"; only GPT-2's pre-tokenizer (\"gpt2\" or \"default\") is read here");
                }
                string[] merges = Strings(file, MergesKey) ?? throw new TokenizerFileException(path, $"a \"gpt2\" tokenizer needs '{MergesKey}'");
                BpeTokenizer bpe = ByteLevelBpeFiles.FromTokensAndMerges(path, tokens, merges, special);
                return HuggingFaceTokenizer.Create(bpe, TokenizerKind.ByteLevelBpe, tokens.Length, beginning, ends,
                    Flag(file, "tokenizer.ggml.add_bos_token") ?? false, addEnd, specialIds, path);
            }
            default:
                throw new TokenizerFileException(path, $"'{ModelKey}' is \"{model}\"; the tokenizers read here are \"llama\" (SentencePiece) and \"gpt2\" (byte-level BPE)");
        }
    }

    private static string? Text(GgufFile file, string key)
    {
        try
        {
            return file.Text(key);
        }
        catch (GgufFormatException e)
        {
            throw new TokenizerFileException(file.FilePath, e.Message, e);
        }
    }

    private static bool? Flag(GgufFile file, string key) => !file.Metadata.TryGetValue(key, out object? value) ? null
        : value as bool? ?? throw new TokenizerFileException(file.FilePath, $"metadata '{key}' is not a bool");

    private static int? Id(GgufFile file, string key, int count)
    {
        long? id;
        try
        {
            id = file.Integer(key);
        }
        catch (GgufFormatException e)
        {
            throw new TokenizerFileException(file.FilePath, e.Message, e);
        }
        return id switch
        {
            null => null,
            // llama.cpp writes -1 (as a large unsigned value in some files) for "none".
            < 0 or >= uint.MaxValue => null,
            _ when id >= count => throw new TokenizerFileException(file.FilePath, $"metadata '{key}' is {id}, outside the {count} tokens"),
            _ => (int)id.Value,
        };
    }

    private static object[]? ArrayOf(GgufFile file, string key, int? length)
    {
        if (!file.Metadata.TryGetValue(key, out object? value))
        {
            return null;
        }
        if (value is not object[] items)
        {
            throw new TokenizerFileException(file.FilePath, $"metadata '{key}' is not an array");
        }
        if (length is { } expected && items.Length != expected)
        {
            throw new TokenizerFileException(file.FilePath, $"metadata '{key}' has {items.Length} items; '{TokensKey}' has {expected}");
        }
        return items;
    }

    private static string[]? Strings(GgufFile file, string key) => ArrayOf(file, key, null) is { } items
        ? [.. items.Select((item, i) => item as string ?? throw new TokenizerFileException(file.FilePath, $"metadata '{key}'[{i}] is not a string"))]
        : null;

    private static int[]? Integers(GgufFile file, string key, int length) => ArrayOf(file, key, length) is { } items
        ? [.. items.Select((item, i) => item is long value && value is >= int.MinValue and <= int.MaxValue ? (int)value
            : throw new TokenizerFileException(file.FilePath, $"metadata '{key}'[{i}] is not a 32-bit integer"))]
        : null;

    private static float[]? Reals(GgufFile file, string key, int length) => ArrayOf(file, key, length) is { } items
        ? [.. items.Select((item, i) => item is double value ? (float)value
            : throw new TokenizerFileException(file.FilePath, $"metadata '{key}'[{i}] is not a real number"))]
        : null;
}
