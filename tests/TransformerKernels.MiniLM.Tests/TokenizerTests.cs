using System.Text.Json;

namespace TransformerKernels.MiniLM.Tests;

/// <summary>
/// The tokenizer gives the ids the Hugging Face BERT uncased tokenizer gives: [CLS]/[SEP], lower-casing, accents stripped
/// (a word is not [UNK] only because of its accents), CJK characters split, truncation to the model's limit.
/// </summary>
[Collection(nameof(MiniLmCollection))]
public class TokenizerTests(MiniLmFixture fixture)
{
    private int[] Ids(string text) => fixture.Embedder.Tokenize(text);

    [Fact]
    public void HelloWorldHasTheDocumentedIds() => Assert.Equal([101, 7592, 2088, 102], Ids("Hello world"));

    [Fact]
    public void AccentsAreStrippedNotUnknown()
    {
        Assert.Equal(Ids("cafe resume naive"), Ids("Café résumé naïve"));
        Assert.DoesNotContain(100, Ids("Café résumé naïve Ángel Über")); // 100 = [UNK]
    }

    [Fact]
    public void CjkCharactersAreSeparateTokens()
    {
        // One token per character, as Hugging Face's BasicTokenizer does; 只 and 猫 are not in BERT's uncased vocabulary,
        // so Hugging Face gives [UNK] (100) for them too.
        int[] ids = Ids("我有一只猫");
        Assert.Equal([101, 1855, 1873, 1740, 100, 100, 102], ids);
        Assert.Equal(Ids("我 有 一 只 猫"), ids);
    }

    [Fact]
    public void LongTextIsTruncatedToTheModelLimit()
    {
        int[] ids = Ids(string.Join(' ', Enumerable.Repeat("word", 1000)));
        Assert.Equal(AllMiniLmL6V2.MaxSeqLen, ids.Length);
        Assert.Equal(101, ids[0]);
        Assert.Equal(102, ids[^1]);
    }

    public sealed record Case(string Text, int[] Ids);

    public static TheoryData<int> CaseIndices()
    {
        var data = new TheoryData<int>();
        for (int i = 0; i < IndependentCases.Length; i++)
        {
            data.Add(i);
        }
        return data;
    }

    /// <summary>
    /// Ids from tools/fixtures/bert_tokenizer.py, an independent Python implementation of Hugging Face's BasicTokenizer and
    /// WordPiece, for kana, emoji, Cyrillic, Greek, accents, URLs, addresses, full-width letters and invisible characters.
    /// </summary>
    private static readonly Case[] IndependentCases = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Data", "tokenizer_cases.json")))
        .RootElement.GetProperty("cases").Deserialize<Case[]>(new System.Text.Json.JsonSerializerOptions { PropertyNameCaseInsensitive = true })!;

    [Theory]
    [MemberData(nameof(CaseIndices))]
    public void MatchesAnIndependentWordPieceImplementation(int index)
    {
        Case c = IndependentCases[index];
        int[] actual = Ids(c.Text);
        Assert.True(c.Ids.SequenceEqual(actual), $"\"{c.Text}\": ours [{string.Join(", ", actual)}], reference [{string.Join(", ", c.Ids)}]");
    }

    [Fact]
    public void EveryOtherCategoryIsRemovedAsHuggingFaceDoes()
    {
        // Private use (Co), unassigned (Cn), noncharacters (Cn), format (Cf) and control (Cc) characters all vanish, so the
        // words around them join, as in Hugging Face's BERT normalizer ("hello\uE000world" embeds as "helloworld").
        int[] joined = Ids("helloworld");
        foreach (string other in new[] { "\uE000", "\U000F0000", "\u0378", "\uFFFE", "\uFFFF", "\U0001FFFE", "\u200B", "\u0007" })
        {
            Assert.True(joined.SequenceEqual(Ids("hello" + other + "world")), $"U+{char.ConvertToUtf32(other, 0):X4} was not removed");
        }
    }

    [Fact]
    public void AnyStringTokenizesWithoutThrowing()
    {
        // Lone surrogates, noncharacters and random code units: string.Normalize throws on some of these, the tokenizer must not.
        Assert.Equal([101, 102], Ids("\ud800"));
        Assert.Equal([101, 102], Ids("\udfff\ud800\ufffe"));
        Assert.Equal(Ids("a b"), Ids("a\ud800 b"));
        var random = new Random(30);
        for (int n = 0; n < 2000; n++)
        {
            char[] text = new char[random.Next(1, 40)];
            for (int i = 0; i < text.Length; i++)
            {
                // Half the draws from the surrogate and specials ranges, where the failures were.
                text[i] = (char)(random.Next(2) == 0 ? random.Next(0xD800, 0x10000) : random.Next(0, 0x3000));
            }
            int[] ids = Ids(new string(text));
            Assert.True(ids.Length >= 2 && ids[0] == 101 && ids[^1] == 102 && ids.All(id => id >= 0 && id < AllMiniLmL6V2.EncoderVocab));
        }
    }
}
