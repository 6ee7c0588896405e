using TransformerKernels.Fortunes;

namespace TransformerKernels.Chat.Tests;

/// <summary>
/// <see cref="HuggingFaceTokenizer.FromDirectory"/> against independent references: python3-sentencepiece's ids for the
/// fortune models' tokenizer.model, and a Python GPT-2 BPE encoder's ids for a small byte-level BPE given as vocab.json +
/// merges.txt and as tokenizer.json (tools/fixtures/tokenizer_dirs.py); special tokens and end ids from the config files.
/// </summary>
public sealed class HuggingFaceTokenizerTests
{
    public static TheoryData<string> BpeDirectories => [TokenizerFixtures.BpeDirectory, TokenizerFixtures.BpeJsonDirectory];

    [Fact]
    public void SentencePieceIdsAreSentencePiecesOwn()
    {
        HuggingFaceTokenizer tokenizer = HuggingFaceTokenizer.FromDirectory(FortuneFiles.DefaultDirectory);
        // No config files: the model's own <s> and </s>, the beginning marker added (Llama's default).
        TokenizerFixtures.AssertFortuneSentencePiece(tokenizer);
        Assert.Equal([FortuneFiles.LoadTokenizer().BeginningOfSentence, .. TokenizerFixtures.Expected("sentencepiece")[0].Ids], tokenizer.Encode(TokenizerFixtures.Expected("sentencepiece")[0].Text));
    }

    [Theory]
    [MemberData(nameof(BpeDirectories))]
    public void ByteLevelBpeIdsAreTheGpt2EncodersOwn(string directory)
    {
        HuggingFaceTokenizer tokenizer = HuggingFaceTokenizer.FromDirectory(directory);
        Assert.Equal(TokenizerKind.ByteLevelBpe, tokenizer.Kind);
        foreach ((string text, int[] ids) in TokenizerFixtures.Expected("bpe"))
        {
            Assert.Equal(ids, tokenizer.Encode(text, addSpecialTokens: false));
            // Byte-level BPE loses nothing but the special tokens, which decoding leaves out.
            string withoutSpecial = text.Replace("<|user|>", "").Replace("<|assistant|>", "").Replace("<|endoftext|>", "");
            Assert.Equal(withoutSpecial, tokenizer.Decode(ids));
        }
        Assert.False(tokenizer.AddBeginningOfSequence); // add_bos_token: false
        Assert.Equal(TokenizerFixtures.Expected("bpe")[0].Ids, tokenizer.Encode(TokenizerFixtures.Expected("bpe")[0].Text));
    }

    [Fact]
    public void SpecialTokensAndEndIdsComeFromTheConfigFiles()
    {
        // 256 bytes + 400 merges, then <|endoftext|> 656, <|user|> 657, <|assistant|> 658.
        HuggingFaceTokenizer split = HuggingFaceTokenizer.FromDirectory(TokenizerFixtures.BpeDirectory);
        Assert.Equal(656, split.BeginningOfSequenceId);
        // generation_config.json's list [656, 657]; the eos_token (656) is already in it.
        Assert.Equal([656, 657], split.EndOfSequenceIds);
        HuggingFaceTokenizer single = HuggingFaceTokenizer.FromDirectory(TokenizerFixtures.BpeJsonDirectory);
        Assert.Null(single.BeginningOfSequenceId); // bos_token: null
        Assert.Equal([656], single.EndOfSequenceIds);
        Assert.Equal(659, single.Count);
    }

    [Fact]
    public void SentencePieceDecodesAsSentencePieceDoes()
    {
        HuggingFaceTokenizer tokenizer = HuggingFaceTokenizer.FromDirectory(FortuneFiles.DefaultDirectory);
        foreach ((string text, int[] ids) in TokenizerFixtures.Expected("sentencepiece_decode"))
        {
            // Invalid UTF-8 (random byte pieces): sentencepiece writes one U+FFFD per bad byte, .NET one per maximal bad
            // subsequence (Unicode's recommended practice); the runs are compared, not their lengths.
            string ours = tokenizer.Decode(ids);
            Assert.True(CollapseReplacements(text) == CollapseReplacements(ours), $"[{string.Join(", ", ids)}]: sentencepiece \"{text}\", ours \"{ours}\"");
        }
    }

    private static string CollapseReplacements(string text) => System.Text.RegularExpressions.Regex.Replace(text, "\uFFFD+", "\uFFFD");

    public static TheoryData<string> StreamDirectories => [FortuneFiles.DefaultDirectory, TokenizerFixtures.BpeDirectory];

    [Theory]
    [MemberData(nameof(StreamDirectories))]
    public void StreamedTextConcatenatesToTheWholeDecode(string directory)
    {
        HuggingFaceTokenizer tokenizer = HuggingFaceTokenizer.FromDirectory(directory);
        var sequences = File.ReadAllLines(Path.Combine(FortuneFiles.DefaultDirectory, FortuneFiles.HeldOutFileName)).Take(60)
            .Concat(TokenizerFixtures.Expected("bpe").Select(e => e.Text))
            .Select(text => tokenizer.Encode(text, addSpecialTokens: false)).ToList();
        // Random ids too: byte tokens in any order (incomplete and invalid UTF-8), special tokens, word starts.
        var random = new Random(25);
        for (int k = 0; k < 200; k++)
        {
            sequences.Add([.. Enumerable.Range(0, random.Next(1, 30)).Select(_ => random.Next(tokenizer.Count))]);
        }
        foreach (int[] ids in sequences)
        {
            TokenTextStream stream = tokenizer.CreateTextStream();
            string streamed = string.Concat(ids.Select(stream.Append));
            string whole = tokenizer.Decode(ids);
            // Text held back at the end (an incomplete character) is what a whole decode shows as U+FFFD.
            Assert.True(whole == streamed || (whole.StartsWith(streamed, StringComparison.Ordinal) && whole[streamed.Length..].All(c => c == '\uFFFD')),
                $"ids [{string.Join(", ", ids)}]: streamed \"{streamed}\", whole \"{whole}\"");
            Assert.Equal(whole, stream.Text);
        }
    }

    [Fact]
    public void MissingOrDamagedFilesAreNamed()
    {
        void Refused(string expectedFile, Action<TokenizerFixtures.TempDirectory> prepare)
        {
            using var directory = new TokenizerFixtures.TempDirectory();
            prepare(directory);
            var error = Assert.Throws<TokenizerFileException>(() => HuggingFaceTokenizer.FromDirectory(directory.Path));
            Assert.Equal(expectedFile == "" ? directory.Path : directory.File(expectedFile), error.FilePath);
            Assert.Contains(error.FilePath, error.Message, StringComparison.Ordinal);
        }
        string Bpe(string name) => File.ReadAllText(Path.Combine(TokenizerFixtures.BpeDirectory, name));
        Refused("", _ => { });
        Refused("merges.txt", d => File.WriteAllText(d.File("vocab.json"), Bpe("vocab.json")));
        Refused("vocab.json", d => File.WriteAllText(d.File("merges.txt"), Bpe("merges.txt")));
        Refused("vocab.json", d => { File.WriteAllText(d.File("vocab.json"), Bpe("vocab.json")[..500]); File.WriteAllText(d.File("merges.txt"), Bpe("merges.txt")); });
        Refused("merges.txt", d => { File.WriteAllText(d.File("vocab.json"), Bpe("vocab.json")); File.WriteAllText(d.File("merges.txt"), Bpe("merges.txt") + "onlyonetoken\n"); });
        Refused("merges.txt", d => { File.WriteAllText(d.File("vocab.json"), Bpe("vocab.json")); File.WriteAllText(d.File("merges.txt"), Bpe("merges.txt") + "qz xj\n"); });
        Refused("tokenizer.model", d => File.WriteAllBytes(d.File("tokenizer.model"), [1, 2, 3, 4, 5, 6, 7, 8]));
        Refused("tokenizer.json", d => File.WriteAllText(d.File("tokenizer.json"), Bpe("vocab.json").Replace("{", "[")));
        Refused("tokenizer.json", d => File.WriteAllText(d.File("tokenizer.json"), """{"model": {"type": "Unigram", "vocab": []}}"""));
        // A SentencePiece-style BPE (Metaspace pre-tokenizer, the first "ByteLevel" of the file) is not byte-level.
        string json = File.ReadAllText(Path.Combine(TokenizerFixtures.BpeJsonDirectory, "tokenizer.json"));
        int preTokenizer = json.IndexOf("\"ByteLevel\"", StringComparison.Ordinal);
        Refused("tokenizer.json", d => File.WriteAllText(d.File("tokenizer.json"), json[..preTokenizer] + "\"Metaspace\"" + json[(preTokenizer + "\"ByteLevel\"".Length)..]));
        void WithBpe(TokenizerFixtures.TempDirectory d)
        {
            File.WriteAllText(d.File("vocab.json"), Bpe("vocab.json"));
            File.WriteAllText(d.File("merges.txt"), Bpe("merges.txt"));
        }
        Refused("tokenizer_config.json", d => { WithBpe(d); File.WriteAllText(d.File("tokenizer_config.json"), "{\"eos_token\": "); });
        Refused("tokenizer_config.json", d => { WithBpe(d); File.WriteAllText(d.File("tokenizer_config.json"), "{\"eos_token\": \"<|never|>\"}"); });
        Refused("generation_config.json", d => { WithBpe(d); File.WriteAllText(d.File("generation_config.json"), "{\"eos_token_id\": \"two\"}"); });
        Refused("special_tokens_map.json", d => { WithBpe(d); File.WriteAllText(d.File("special_tokens_map.json"), "[1, 2]"); });
        var missing = Assert.Throws<TokenizerFileException>(() => HuggingFaceTokenizer.FromDirectory("/no/such/model"));
        Assert.Equal("/no/such/model", missing.FilePath);
    }
}
