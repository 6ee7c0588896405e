using System.Text.Json;
using System.Text.Json.Nodes;

namespace TransformerKernels.Chat.Tests;

/// <summary>
/// A tokenizer.json whose pre-tokenizer is a Split by its own regex before a non-splitting ByteLevel step (Llama 3's and
/// Qwen2's layout) splits text by that regex, not GPT-2's: its ids are those of tools/fixtures/split_pretokenizer.py, which
/// splits with python3-regex and encodes with the reference BPE; configurations not read here are refused by name.
/// </summary>
public sealed class SplitPreTokenizerTests
{
    private static string Directory => Path.Combine(TokenizerFixtures.Data, "bpe-llama3");

    private static (string Text, int[] Ids)[] Expected()
    {
        using JsonDocument document = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(TokenizerFixtures.Data, "bpe-llama3.expected.json")));
        return [.. document.RootElement.EnumerateArray().Select(e => (e.GetProperty("text").GetString()!, e.GetProperty("ids").EnumerateArray().Select(i => i.GetInt32()).ToArray()))];
    }

    [Fact]
    public void TheFilesOwnSplitPatternDecidesTheIds()
    {
        HuggingFaceTokenizer tokenizer = HuggingFaceTokenizer.FromDirectory(Directory);
        HuggingFaceTokenizer gpt2Split = HuggingFaceTokenizer.FromDirectory(TokenizerFixtures.BpeJsonDirectory);
        int differing = 0;
        foreach ((string text, int[] ids) in Expected())
        {
            Assert.Equal(ids, tokenizer.Encode(text, addSpecialTokens: false));
            Assert.Equal(gpt2Split.Decode(ids), tokenizer.Decode(ids));
            differing += gpt2Split.Encode(text, addSpecialTokens: false).SequenceEqual(ids) ? 0 : 1;
        }
        // The same vocabulary and merges split by GPT-2's pattern give other ids for some texts: the pattern is what is tested.
        Assert.True(differing >= 2, $"only {differing} texts tokenize differently under GPT-2's split");
    }

    public static TheoryData<string, string> Refused => new()
    {
        { """{"type": "Sequence", "pretokenizers": [{"type": "Digits", "individual_digits": true}, {"type": "ByteLevel", "use_regex": true}]}""", "Digits" },
        { """{"type": "Sequence", "pretokenizers": [{"type": "Split", "pattern": {"Regex": "\\s+"}, "behavior": "Removed", "invert": false}, {"type": "ByteLevel", "use_regex": false}]}""", "Removed" },
        { """{"type": "Sequence", "pretokenizers": [{"type": "Split", "pattern": {"Regex": "\\s+"}, "behavior": "Isolated", "invert": true}, {"type": "ByteLevel", "use_regex": false}]}""", "inverted" },
        { """{"type": "Sequence", "pretokenizers": [{"type": "Split", "pattern": {"Regex": "(?<"}, "behavior": "Isolated", "invert": false}, {"type": "ByteLevel", "use_regex": false}]}""", "regular expression" },
        { """{"type": "ByteLevel", "add_prefix_space": true, "use_regex": true}""", "add_prefix_space" },
        { """{"type": "Sequence", "pretokenizers": [{"type": "Split", "pattern": {"Regex": "\\s+"}, "behavior": "Isolated", "invert": false}, {"type": "ByteLevel", "use_regex": true}]}""", "splits twice" },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public void PreTokenizersNotReadHereAreNamed(string preTokenizer, string named)
    {
        using var directory = new TokenizerFixtures.TempDirectory();
        JsonNode tokenizer = JsonNode.Parse(File.ReadAllText(Path.Combine(Directory, "tokenizer.json")))!;
        tokenizer["pre_tokenizer"] = JsonNode.Parse(preTokenizer);
        File.WriteAllText(Path.Combine(directory.Path, "tokenizer.json"), tokenizer.ToJsonString());
        TokenizerFileException error = Assert.Throws<TokenizerFileException>(() => HuggingFaceTokenizer.FromDirectory(directory.Path));
        Assert.Contains("tokenizer.json", error.FilePath, StringComparison.Ordinal);
        Assert.Contains(named, error.Message, StringComparison.Ordinal);
    }
}
