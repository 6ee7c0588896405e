namespace Translate;

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
        _sourceIds = source.Select((token, id) => (token, id)).ToDictionary(p => p.token, p => p.id, StringComparer.Ordinal);
        _targetWords = target;
        SourceSize = source.Length;
        TargetSize = target.Length;
    }

    /// <summary>Source tokens.</summary>
    public int SourceSize { get; }

    /// <summary>Target tokens.</summary>
    public int TargetSize { get; }

    /// <summary>Reads source_vocab.txt and target_vocab.txt from <paramref name="directory"/>.</summary>
    public static Vocabulary Load(string directory) =>
        new(ReadLines(Path.Combine(directory, "source_vocab.txt")), ReadLines(Path.Combine(directory, "target_vocab.txt")));

    private static string[] ReadLines(string path) =>
        File.ReadAllLines(path).Where(line => line.Length > 0).ToArray();

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
            string word = Word(id);
            words.Add(word == "i" ? "I" : word);
        }
        string sentence = string.Join(' ', words);
        return sentence.Length == 0 ? sentence : char.ToUpperInvariant(sentence[0]) + sentence[1..];
    }
}
