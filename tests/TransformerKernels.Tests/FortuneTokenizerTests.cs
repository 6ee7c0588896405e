using TransformerKernels.Fortunes;

namespace TransformerKernels.Tests;

/// <summary>
/// The SentencePiece model trained with python-sentencepiece, read by Microsoft.ML.Tokenizers: the same ids as
/// python-sentencepiece for every reference text (byte fallback, split digits, repeated spaces, CJK), and text streamed
/// token by token that never shows half a character.
/// </summary>
public sealed class FortuneTokenizerTests
{
    private static readonly FortuneTokenizer Tokenizer = FortuneFiles.LoadTokenizer();

    public static TheoryData<string, int[]> Texts()
    {
        var data = new TheoryData<string, int[]>();
        foreach (TokenizedText text in FortuneReference.Load().Texts)
        {
            data.Add(text.Text, text.Ids);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Texts))]
    public void IdsMatchPythonSentencePiece(string text, int[] expected)
    {
        Assert.Equal(expected, Tokenizer.Encode(text, beginningOfSentence: false));
        Assert.Equal([Tokenizer.BeginningOfSentence, .. expected], Tokenizer.Encode(text));
    }

    [Theory]
    [InlineData("A man is known by the company he organizes.")]
    [InlineData("Call 555-1234 before 9:30 p.m.")]
    [InlineData("Café naïve — “quoted” 我有一只猫")]
    public void DecodingGivesTheTextBack(string text) => Assert.Equal(text, Tokenizer.Decode(Tokenizer.Encode(text)));

    [Fact]
    public void StreamedTextNeverShowsHalfACharacter()
    {
        // The CJK characters are not pieces: each is three byte-fallback tokens, two of which end mid-character.
        const string text = "Café — 我有一只猫, said the cat.";
        int[] ids = Tokenizer.Encode(text, beginningOfSentence: false);
        Assert.True(ids.Length > text.Length / 2, "expected byte-fallback tokens");
        var stream = new TextStream(Tokenizer);
        var pieces = ids.Select(stream.Append).ToList();
        Assert.DoesNotContain(pieces, piece => piece.Contains('\uFFFD'));
        Assert.Contains("", pieces); // held back mid-character
        Assert.Equal(text, string.Concat(pieces));
        Assert.Equal(text, stream.Text);
    }

    [Fact]
    public void StreamedTextContinuesAPromptSplitAnywhere()
    {
        // Every split of one encoded text into prompt and generated tokens (except inside a character): the stream's
        // pieces are exactly what the whole decoded text adds to the decoded prompt — word-start spaces included, which
        // the stream only sees through the few tokens of context it decodes with each new one.
        int[] ids = Tokenizer.Encode("A man is known by the company he keeps.  Tabs\tand 42 digits — 我有一只猫, said the cat.");
        string whole = Tokenizer.Decode(ids);
        for (int split = 1; split < ids.Length; split++)
        {
            string prompt = Tokenizer.Decode(ids[..split]);
            if (prompt.Contains('\uFFFD'))
            {
                continue;
            }
            var stream = new TextStream(Tokenizer, ids.AsSpan(0, split));
            string generated = string.Concat(ids[split..].Select(stream.Append));
            Assert.Equal(whole[prompt.Length..], generated);
        }
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(2048)]
    public void AnIdOutsideTheVocabularyIsNamed(int id)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Tokenizer.Decode([5, id]));
        Assert.Contains(id.ToString(System.Globalization.CultureInfo.InvariantCulture), e.Message);
    }
}
