namespace TransformerKernels.Embeddings.Tests;

/// <summary>
/// tokenizer_config.json's settings change tokenization as Hugging Face's BERT tokenizer does. The fixture vocabulary holds
/// only lower-case, accent-free pieces, so a word that keeps a capital or an accent has no WordPiece split: [UNK].
/// </summary>
public class TokenizerConfigurationTests
{
    private static BertWordPieceTokenizer WithConfig(string json)
    {
        string directory = Fixtures.Copy(Fixtures.Cls);
        File.WriteAllText(Path.Combine(directory, "tokenizer_config.json"), json);
        return BertWordPieceTokenizer.FromDirectory(directory);
    }

    private static Dictionary<string, int> Vocabulary() =>
        File.ReadAllLines(Path.Combine(Fixtures.Directory(Fixtures.Cls), "vocab.txt")).Select((token, id) => (token, id)).ToDictionary(p => p.token, p => p.id);

    [Fact]
    public void ACasedTokenizerKeepsCapitals()
    {
        Dictionary<string, int> vocab = Vocabulary();
        BertWordPieceTokenizer cased = WithConfig("{\"do_lower_case\": false}");
        Assert.Equal([vocab["[CLS]"], vocab["[UNK]"], vocab["world"], vocab["[SEP]"]], cased.Encode("Hello world", 32));
        BertWordPieceTokenizer uncased = WithConfig("{\"do_lower_case\": true}");
        Assert.Equal([vocab["[CLS]"], vocab["hello"], vocab["world"], vocab["[SEP]"]], uncased.Encode("Hello world", 32));
    }

    [Fact]
    public void StripAccentsFalseKeepsAccentsWhileLowerCasing()
    {
        Dictionary<string, int> vocab = Vocabulary();
        BertWordPieceTokenizer keeping = WithConfig("{\"do_lower_case\": true, \"strip_accents\": false}");
        Assert.Equal([vocab["[CLS]"], vocab["[UNK]"], vocab["world"], vocab["[SEP]"]], keeping.Encode("CAFÉ world", 32));
        BertWordPieceTokenizer stripping = WithConfig("{\"do_lower_case\": true}");
        Assert.Equal([vocab["[CLS]"], vocab["cafe"], vocab["world"], vocab["[SEP]"]], stripping.Encode("CAFÉ world", 32));
    }

    [Fact]
    public void SpecialTokensComeFromTheConfig()
    {
        Dictionary<string, int> vocab = Vocabulary();
        // [unused0] declared as the separator: it ends sequences and is kept whole when written in the text.
        BertWordPieceTokenizer custom = WithConfig("{\"sep_token\": \"[unused0]\"}");
        Assert.Equal(vocab["[unused0]"], custom.SeparatorTokenId);
        Assert.Equal([vocab["[CLS]"], vocab["hello"], vocab["[unused0]"], vocab["world"], vocab["[unused0]"]], custom.Encode("hello[unused0]world", 32));
    }

    [Fact]
    public void ADamagedTokenizerConfigIsNamed()
    {
        string directory = Fixtures.Copy(Fixtures.Cls);
        string config = Path.Combine(directory, "tokenizer_config.json");
        File.WriteAllText(config, "{\"do_lower_case\": \"yes\"}");
        ModelFileException e = Assert.Throws<ModelFileException>(() => BertWordPieceTokenizer.FromDirectory(directory));
        Assert.Equal(config, e.FilePath);
        Assert.Contains("do_lower_case", e.Message);
    }
}
