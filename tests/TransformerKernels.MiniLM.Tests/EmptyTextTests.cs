namespace TransformerKernels.MiniLM.Tests;

/// <summary>
/// One rule for EMPTY texts: no tokens besides [CLS] and [SEP]. <see cref="SentenceEmbedder.IsEmpty(string)"/> states it,
/// Embed refuses such texts by index before computing anything, and EmbedTokens checks what it is given the same way.
/// </summary>
[Collection(nameof(MiniLmCollection))]
public sealed class EmptyTextTests(MiniLmFixture fixture)
{
    public static TheoryData<string> EmptyTexts => ["", " ", "   ", "\t\r\n", "\0\0\0", "\u0001\u0002", "\ufffd", "\u200b\u00ad"];

    public static TheoryData<string> NonEmptyTexts => ["a", "!", "[UNK]", " x ", "\u0001x", "😀"];

    [Theory]
    [MemberData(nameof(EmptyTexts))]
    public void TextsWithOnlyClsAndSepAreEmpty(string text)
    {
        Assert.Equal(2, fixture.Embedder.Tokenize(text).Length);
        Assert.True(fixture.Embedder.IsEmpty(text));
    }

    [Theory]
    [MemberData(nameof(NonEmptyTexts))]
    public void TextsWithAnyOtherTokenAreNotEmpty(string text)
    {
        Assert.True(fixture.Embedder.Tokenize(text).Length > 2);
        Assert.False(fixture.Embedder.IsEmpty(text));
    }

    [Theory]
    [MemberData(nameof(EmptyTexts))]
    public void EmbedRefusesAnEmptyTextByIndexBeforeAnyPass(string text)
    {
        // 20 full-length texts first, one pass each: a refusal found while embedding would come after 20 progress reports.
        using var embedder = new SentenceEmbedder(fixture.Files, maxBatch: 1) { TokenBudget = AllMiniLmL6V2.MaxSeqLen };
        string[] texts = [.. Enumerable.Repeat(new string('!', 300), 20), text];
        int reports = 0;
        var progress = new SynchronousProgress(_ => reports++);
        ArgumentException refused = Assert.Throws<ArgumentException>(() => embedder.Embed(texts, CancellationToken.None, progress));
        Assert.Equal("texts", refused.ParamName);
        Assert.Contains("Text 20 ", refused.Message);
        Assert.Equal(0, reports);
    }

    [Fact]
    public void EmbedTokensChecksEverySequenceBeforeAnyPass()
    {
        int[] hello = fixture.Embedder.Tokenize("Hello world");
        Assert.Equal("sequences", Assert.Throws<ArgumentException>(() => fixture.Embedder.EmbedTokens([hello, [101, 102]], CancellationToken.None)).ParamName);
        Assert.Equal("sequences", Assert.Throws<ArgumentException>(() => fixture.Embedder.EmbedTokens([hello[1..]], CancellationToken.None)).ParamName);
        Assert.Equal("sequences", Assert.Throws<ArgumentOutOfRangeException>(() => fixture.Embedder.EmbedTokens([[101, 30522, 102]], CancellationToken.None)).ParamName);
        Assert.Equal(fixture.Embedder.Embed(["Hello world"])[0], fixture.Embedder.EmbedTokens([hello], CancellationToken.None)[0]);
    }

    /// <summary>Progress&lt;T&gt; posts to the thread pool; this one reports on the embedding thread, so counts are exact.</summary>
    private sealed class SynchronousProgress(Action<int> report) : IProgress<int>
    {
        public void Report(int value) => report(value);
    }
}
