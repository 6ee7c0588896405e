namespace TransformerKernels.ChineseEnglish;

/// <summary>
/// Tokenization of the translation sample: one token per Chinese character in, one token per English word out.
/// Ids are line numbers of the vocabulary files written by the training script; 0–3 are &lt;pad&gt;, &lt;s&gt;, &lt;/s&gt;, &lt;unk&gt;.
/// </summary>
public sealed class Vocabulary
{
    /// <summary>Start-of-sentence id.</summary>
    public const int Start = 1;

    /// <summary>End-of-sentence id.</summary>
    public const int End = 2;

    private readonly Dictionary<string, int> _sourceIds;
    private readonly string[] _targetWords;

    private Vocabulary(string[] source, string[] target)
    {
        _sourceIds = new Dictionary<string, int>(source.Length, StringComparer.Ordinal);
        for (int id = 0; id < source.Length; id++)
        {
            // The first occurrence wins, as in the training script's dictionary; a repeated line is a damaged file.
            if (!_sourceIds.TryAdd(source[id], id))
            {
                throw new InvalidDataException($"source vocabulary: token '{source[id]}' appears twice (lines {_sourceIds[source[id]] + 1} and {id + 1})");
            }
        }
        _targetWords = target;
        SourceSize = source.Length;
        TargetSize = target.Length;
    }

    /// <summary>Source tokens.</summary>
    public int SourceSize { get; }

    /// <summary>Target tokens.</summary>
    public int TargetSize { get; }

    /// <summary>The source vocabulary's file name.</summary>
    public const string SourceFileName = "source_vocab.txt";

    /// <summary>The target vocabulary's file name.</summary>
    public const string TargetFileName = "target_vocab.txt";

    /// <summary>Reads source_vocab.txt and target_vocab.txt from <paramref name="directory"/>.</summary>
    /// <exception cref="FileNotFoundException">A file is missing.</exception>
    /// <exception cref="InvalidDataException">A file is empty, repeats a token, or its size differs from the declared model's vocabulary.</exception>
    public static Vocabulary Load(string directory)
    {
        string sourcePath = Path.Combine(directory, SourceFileName), targetPath = Path.Combine(directory, TargetFileName);
        string[] source = ReadLines(sourcePath, ChineseEnglishTranslator.EncoderVocab);
        string[] target = ReadLines(targetPath, ChineseEnglishTranslator.DecoderVocab);
        try
        {
            return new Vocabulary(source, target);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{sourcePath}: {e.Message}");
        }
    }

    private static string[] ReadLines(string path, int declared)
    {
        if (Directory.Exists(path))
        {
            throw new InvalidDataException($"{path} is a directory, not a vocabulary file");
        }
        string[] tokens = File.ReadAllLines(path).Where(line => line.Length > 0).ToArray();
        if (tokens.Length != declared)
        {
            throw new InvalidDataException(tokens.Length == 0
                ? $"{path} is empty; a vocabulary has one token per line"
                : $"{path} has {tokens.Length} tokens; the declared model has a vocabulary of {declared}");
        }
        return tokens;
    }

    /// <summary>The corpus's lower-case English as the translator prints it ("i" as "I", the first letter capitalized).</summary>
    public static string SentenceCase(string lowercase)
    {
        string sentence = string.Join(' ', lowercase.Split(' ').Select(w => w == "i" ? "I" : w));
        return sentence.Length == 0 ? sentence : char.ToUpperInvariant(sentence[0]) + sentence[1..];
    }

    /// <summary>The characters of <paramref name="text"/> (whitespace ignored) as ids, or the characters it does not know.</summary>
    public bool TryEncode(string text, out int[] ids, out string[] unknown)
    {
        var result = new List<int>();
        var missing = new List<string>();
        var characters = System.Globalization.StringInfo.GetTextElementEnumerator(text);
        while (characters.MoveNext())
        {
            string character = characters.GetTextElement();
            if (string.IsNullOrWhiteSpace(character))
            {
                continue;
            }
            if (_sourceIds.TryGetValue(character, out int id) && id > 3)
            {
                result.Add(id);
            }
            else if (!missing.Contains(character))
            {
                missing.Add(character);
            }
        }
        ids = result.ToArray();
        unknown = missing.ToArray();
        return missing.Count == 0;
    }

    /// <summary>A target token as text.</summary>
    public string Word(int id) => id >= 0 && id < _targetWords.Length ? _targetWords[id] : "<?>";

    /// <summary>Target ids as an English sentence: words joined by spaces, "i" as "I", the first letter capitalized.</summary>
    public string Decode(ReadOnlySpan<int> ids)
    {
        var words = new List<string>();
        foreach (int id in ids)
        {
            words.Add(Word(id));
        }
        return SentenceCase(string.Join(' ', words));
    }
}
