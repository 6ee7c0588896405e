using System.Text.Json;

namespace TransformerKernels.Chat.Tests;

/// <summary>The tokenizer directories and reference ids tools/fixtures/tokenizer_dirs.py wrote under Data/.</summary>
internal static class TokenizerFixtures
{
    public static string Data => Path.Combine(AppContext.BaseDirectory, "Data");

    public static string BpeDirectory => Path.Combine(Data, "bpe");

    public static string BpeJsonDirectory => Path.Combine(Data, "bpe-json");

    /// <summary>(text, ids) pairs of "bpe" (the Python GPT-2 encoder) or "sentencepiece" (python3-sentencepiece).</summary>
    public static (string Text, int[] Ids)[] Expected(string kind)
    {
        using JsonDocument document = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(Data, "expected.json")));
        return [.. document.RootElement.GetProperty(kind).EnumerateArray()
            .Select(e => (e.GetProperty("text").GetString()!, e.GetProperty("ids").EnumerateArray().Select(i => i.GetInt32()).ToArray()))];
    }

    /// <summary>python3-sentencepiece's ids for the fortune tokenizer.model: expected.json's texts and the fortune reference texts.</summary>
    public static IEnumerable<(string Text, int[] Ids)> SentencePieceReference() =>
        Expected("sentencepiece").Concat(TransformerKernels.Fortunes.FortuneReference.Load().Texts.Select(t => (t.Text, t.Ids)));

    /// <summary>
    /// The checks every SentencePiece tokenizer of the fortune models must pass: python3-sentencepiece's ids, the model's own
    /// &lt;s&gt; and &lt;/s&gt;, the beginning marker added, 2048 ids.
    /// </summary>
    public static void AssertFortuneSentencePiece(HuggingFaceTokenizer tokenizer)
    {
        Assert.Equal(TokenizerKind.SentencePiece, tokenizer.Kind);
        foreach ((string text, int[] ids) in SentencePieceReference())
        {
            Assert.Equal(ids, tokenizer.Encode(text, addSpecialTokens: false));
        }
        TransformerKernels.Fortunes.FortuneTokenizer fortunes = TransformerKernels.Fortunes.FortuneFiles.LoadTokenizer();
        Assert.Equal(fortunes.BeginningOfSentence, tokenizer.BeginningOfSequenceId);
        Assert.Equal([fortunes.EndOfSentence], tokenizer.EndOfSequenceIds);
        Assert.True(tokenizer.AddBeginningOfSequence);
        Assert.Equal(2048, tokenizer.Count);
    }

    /// <summary>A new empty directory under the temp folder, deleted by disposing.</summary>
    public sealed class TempDirectory : IDisposable
    {
        public TempDirectory() => Directory.CreateDirectory(Path);

        public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "tk-chat-" + Guid.NewGuid().ToString("N"));

        public string File(string name) => System.IO.Path.Combine(Path, name);

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}
