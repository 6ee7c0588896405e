using System.Text;
using System.Text.Json;

namespace TransformerKernels.Embeddings;

/// <summary>
/// A WordPiece vocabulary read from <c>vocab.txt</c> (one token a line, its id the line number, as Hugging Face's
/// <c>load_vocab</c> reads it) or from the <c>model.vocab</c> object of a <c>tokenizer.json</c> whose model is WordPiece.
/// Either must give every id from 0 up exactly once; a damaged file is a <see cref="ModelFileException"/> naming it.
/// </summary>
internal sealed class WordPieceVocabulary
{
    private WordPieceVocabulary(string path, string[] tokens)
    {
        FilePath = path;
        Tokens = tokens;
        var ids = new Dictionary<string, int>(tokens.Length, StringComparer.Ordinal);
        for (int id = 0; id < tokens.Length; id++)
        {
            if (!ids.TryAdd(tokens[id], id))
            {
                throw new ModelFileException(path, $"lists the token '{tokens[id]}' twice (ids {ids[tokens[id]]} and {id}): the vocabulary is damaged.");
            }
        }
        Ids = ids;
    }

    /// <summary>The file the vocabulary came from.</summary>
    public string FilePath { get; }

    /// <summary>Token of each id.</summary>
    public string[] Tokens { get; }

    /// <summary>Id of each token.</summary>
    public IReadOnlyDictionary<string, int> Ids { get; }

    /// <summary>Reads vocab.txt: strict UTF-8, one token a line (a final line break is optional), no empty line, no token twice.</summary>
    public static WordPieceVocabulary FromVocabTxt(string path)
    {
        string text;
        try
        {
            text = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true).GetString(File.ReadAllBytes(path));
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new ModelFileException(path, "is missing.", e);
        }
        catch (DecoderFallbackException e)
        {
            throw new ModelFileException(path, $"is not valid UTF-8 text: the vocabulary is damaged ({e.Message}).", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ModelFileException(path, $"cannot be read: {e.Message}", e);
        }
        if (text.Length > 0 && text[0] == '\uFEFF')
        {
            text = text[1..];
        }
        string[] lines = text.Split('\n');
        if (lines.Length > 0 && lines[^1].Length == 0)
        {
            lines = lines[..^1];
        }
        if (lines.Length == 0)
        {
            throw new ModelFileException(path, "is empty: a WordPiece vocabulary needs one token a line.");
        }
        for (int i = 0; i < lines.Length; i++)
        {
            // Hugging Face strips only the line break; a Windows file's \r would end every token.
            lines[i] = lines[i].TrimEnd('\r');
            if (lines[i].Length == 0)
            {
                throw new ModelFileException(path, $"line {i + 1} is empty: every line holds the token of the id it stands for.");
            }
        }
        return new WordPieceVocabulary(path, lines);
    }

    /// <summary>Reads <c>model.vocab</c> of a tokenizer.json (an object token → id).</summary>
    public static WordPieceVocabulary FromTokenizerJson(string path, JsonElement vocab)
    {
        if (vocab.ValueKind != JsonValueKind.Object)
        {
            throw new ModelFileException(path, "'model.vocab' is not an object of token → id.");
        }
        var entries = new List<(string Token, int Id)>();
        foreach (JsonProperty entry in vocab.EnumerateObject())
        {
            if (entry.Value.ValueKind != JsonValueKind.Number || !entry.Value.TryGetInt32(out int id) || id < 0)
            {
                throw new ModelFileException(path, $"'model.vocab' maps '{entry.Name}' to {entry.Value.GetRawText()}, not an id ≥ 0.");
            }
            entries.Add((entry.Name, id));
        }
        var tokens = new string?[entries.Count];
        foreach ((string token, int id) in entries)
        {
            if (id >= tokens.Length)
            {
                throw new ModelFileException(path, $"'model.vocab' gives '{token}' id {id}, but the vocabulary has {tokens.Length} tokens: ids must be 0..{tokens.Length - 1}.");
            }
            if (tokens[id] is { } other)
            {
                throw new ModelFileException(path, $"'model.vocab' gives id {id} to both '{other}' and '{token}'.");
            }
            tokens[id] = token;
        }
        if (tokens.Length == 0)
        {
            throw new ModelFileException(path, "'model.vocab' is empty.");
        }
        return new WordPieceVocabulary(path, tokens!);
    }

    /// <summary>The id of a special token the tokenizer needs, or a <see cref="ModelFileException"/> naming the file.</summary>
    public int Require(string token, string role) =>
        Ids.TryGetValue(token, out int id) ? id
        : throw new ModelFileException(FilePath, $"does not contain the {role} token '{token}': the vocabulary is damaged or belongs to another tokenizer.");

    /// <summary>The vocabulary as vocab.txt text, for Microsoft.ML.Tokenizers' loader.</summary>
    public MemoryStream ToVocabTxtStream() => new(Encoding.UTF8.GetBytes(string.Join('\n', Tokens) + "\n"));
}
