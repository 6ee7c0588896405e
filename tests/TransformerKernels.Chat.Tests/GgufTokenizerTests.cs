using System.Text;
using System.Text.Json;
using Microsoft.Extensions.AI;
using TransformerKernels.Fortunes;

namespace TransformerKernels.Chat.Tests;

/// <summary>
/// <see cref="HuggingFaceTokenizer.FromGguf(string)"/> and the GGUF chat template against the same independent references as
/// the directory tokenizers: GGUF files whose tokenizer.* metadata tools/fixtures/gguf_tokenizers.py wrote as llama.cpp's
/// converter does — from the fortune models' tokenizer.model (python3-sentencepiece) and from the byte-level BPE of Data/bpe
/// — must give python3-sentencepiece's and the Python GPT-2 encoder's ids (expected.json), and the template python3-jinja2's
/// text.
/// </summary>
public sealed class GgufTokenizerTests
{
    private static string Gguf(string name) => Path.Combine(TokenizerFixtures.Data, "gguf", name);

    [Fact]
    public void ASentencePieceTokenizerRebuiltFromMetadataGivesSentencePiecesIds()
    {
        HuggingFaceTokenizer tokenizer = HuggingFaceTokenizer.FromGguf(Gguf("fortune-sentencepiece.gguf"));
        TokenizerFixtures.AssertFortuneSentencePiece(tokenizer);
        // Decoding agrees with the tokenizer.model read directly (itself checked against sentencepiece's decoding).
        HuggingFaceTokenizer direct = HuggingFaceTokenizer.FromDirectory(FortuneFiles.DefaultDirectory);
        foreach ((_, int[] ids) in TokenizerFixtures.Expected("sentencepiece_decode").Concat(TokenizerFixtures.SentencePieceReference()))
        {
            Assert.Equal(direct.Decode(ids), tokenizer.Decode(ids));
        }
    }

    [Fact]
    public void AByteLevelBpeFromMetadataGivesTheGpt2EncodersIds()
    {
        HuggingFaceTokenizer tokenizer = HuggingFaceTokenizer.FromGguf(Gguf("bpe.gguf"));
        Assert.Equal(TokenizerKind.ByteLevelBpe, tokenizer.Kind);
        HuggingFaceTokenizer direct = HuggingFaceTokenizer.FromDirectory(TokenizerFixtures.BpeDirectory);
        foreach ((string text, int[] ids) in TokenizerFixtures.Expected("bpe"))
        {
            Assert.Equal(ids, tokenizer.Encode(text, addSpecialTokens: false));
            Assert.Equal(direct.Decode(ids), tokenizer.Decode(ids));
        }
        Assert.Equal([656], tokenizer.EndOfSequenceIds);
        Assert.False(tokenizer.AddBeginningOfSequence);
        // Control tokens are whole tokens in text and absent from decoded text.
        int[] turn = tokenizer.Encode("<|user|>Hello<|assistant|>", addSpecialTokens: false);
        Assert.Equal(657, turn[0]);
        Assert.Equal(658, turn[^1]);
        Assert.Equal("Hello", tokenizer.Decode(turn));
    }

    [Fact]
    public void TheChatTemplateRendersAsJinja2AndItsBosIsOneToken()
    {
        using GgufFile file = GgufFile.Open(Gguf("fortune-sentencepiece.gguf"));
        using JsonDocument render = JsonDocument.Parse(File.ReadAllText(Gguf("fortune-sentencepiece.render.json")));
        ChatMessage[] messages = [.. render.RootElement.GetProperty("messages").EnumerateArray()
            .Select(m => new ChatMessage(new ChatRole(m.GetProperty("role").GetString()!), m.GetProperty("content").GetString()))];
        Func<IReadOnlyList<ChatMessage>, string> formatter = ChatPromptFormatter.FromGguf(file)!;
        string text = formatter(messages);
        Assert.Equal(render.RootElement.GetProperty("text").GetString(), text);
        HuggingFaceTokenizer tokenizer = HuggingFaceTokenizer.FromGguf(file);
        int[] ids = tokenizer.Encode(text, addSpecialTokens: false);
        Assert.Equal(tokenizer.BeginningOfSequenceId, ids[0]);
        Assert.Equal(2, ids.Count(id => id == tokenizer.EndOfSequenceIds[0]));
    }

    [Fact]
    public async Task AChatClientFromGgufUsesItsTemplateAndTokenizer()
    {
        using FortuneLlama model = FortuneFiles.LoadLlama(maxBatch: 1);
        using TransformerChatClient client = TransformerChatClient.FromGguf(model, Gguf("fortune-sentencepiece.gguf"));
        using JsonDocument render = JsonDocument.Parse(File.ReadAllText(Gguf("fortune-sentencepiece.render.json")));
        ChatResponse response = await client.GetResponseAsync(
            [new ChatMessage(ChatRole.System, "Answer in one fortune."), new ChatMessage(ChatRole.User, "Life")], new ChatOptions { MaxOutputTokens = 4, Temperature = 0 });
        int prompt = HuggingFaceTokenizer.FromGguf(Gguf("fortune-sentencepiece.gguf")).Encode(render.RootElement.GetProperty("text").GetString()!, addSpecialTokens: false).Length;
        Assert.Equal(prompt, response.Usage!.InputTokenCount);
        Assert.Equal("fortune tokenizer", client.GetService<ChatClientMetadata>()!.DefaultModelId);
    }

    public static TheoryData<string, string> BadMetadata => new()
    {
        { """{"general.architecture": "llama"}""", "tokenizer.ggml.model" },
        { """{"tokenizer.ggml.model": "bert", "tokenizer.ggml.tokens": ["a"]}""", "\"llama\"" },
        { """{"tokenizer.ggml.model": "llama"}""", "tokenizer.ggml.tokens" },
        { """{"tokenizer.ggml.model": "llama", "tokenizer.ggml.tokens": ["<unk>", "a"], "tokenizer.ggml.scores": [0.5]}""", "tokenizer.ggml.scores" },
        { """{"tokenizer.ggml.model": "llama", "tokenizer.ggml.tokens": ["<unk>", "a"], "tokenizer.ggml.bos_token_id": 7}""", "tokenizer.ggml.bos_token_id" },
        { """{"tokenizer.ggml.model": "llama", "tokenizer.ggml.tokens": [1, 2]}""", "tokenizer.ggml.tokens'[0]" },
        { """{"tokenizer.ggml.model": "gpt2", "tokenizer.ggml.tokens": ["a", "b", "ab"], "tokenizer.ggml.merges": ["a b"], "tokenizer.ggml.pre": "llama-bpe"}""", "tokenizer.ggml.pre" },
        { """{"tokenizer.ggml.model": "gpt2", "tokenizer.ggml.tokens": ["a", "b"]}""", "tokenizer.ggml.merges" },
        { """{"tokenizer.ggml.model": "gpt2", "tokenizer.ggml.tokens": ["a", "b"], "tokenizer.ggml.merges": ["a c"]}""", "tokenizer.ggml.merges[0]" },
    };

    [Theory]
    [MemberData(nameof(BadMetadata))]
    public void BadTokenizerMetadataNamesTheKey(string metadata, string named)
    {
        using var directory = new TokenizerFixtures.TempDirectory();
        string path = Path.Combine(directory.Path, "bad.gguf");
        File.WriteAllBytes(path, MetadataOnlyGguf(metadata));
        TokenizerFileException error = Assert.Throws<TokenizerFileException>(() => HuggingFaceTokenizer.FromGguf(path));
        Assert.Equal(path, error.FilePath);
        Assert.Contains(named, error.Message, StringComparison.Ordinal);
    }

    /// <summary>A GGUF v3 file with no tensors and the given metadata (strings, integers as INT32, reals as FLOAT32, bools, arrays).</summary>
    private static byte[] MetadataOnlyGguf(string json)
    {
        using JsonDocument document = JsonDocument.Parse(json);
        var stream = new MemoryStream();
        var writer = new BinaryWriter(stream);
        writer.Write("GGUF"u8);
        writer.Write(3u);
        writer.Write(0UL);
        writer.Write((ulong)document.RootElement.EnumerateObject().Count());
        void String(string text)
        {
            byte[] bytes = Encoding.UTF8.GetBytes(text);
            writer.Write((ulong)bytes.Length);
            writer.Write(bytes);
        }
        uint TypeOf(JsonElement value) => value.ValueKind switch
        {
            JsonValueKind.String => 8u,
            JsonValueKind.Number => value.TryGetInt32(out _) ? 5u : 6u,
            JsonValueKind.True or JsonValueKind.False => 7u,
            _ => 9u,
        };
        void Value(JsonElement value)
        {
            switch (TypeOf(value))
            {
                case 8: String(value.GetString()!); break;
                case 5: writer.Write(value.GetInt32()); break;
                case 6: writer.Write(value.GetSingle()); break;
                case 7: writer.Write(value.GetBoolean()); break;
                default:
                    JsonElement[] items = [.. value.EnumerateArray()];
                    writer.Write(items.Length > 0 ? TypeOf(items[0]) : 8u);
                    writer.Write((ulong)items.Length);
                    foreach (JsonElement item in items)
                    {
                        Value(item);
                    }
                    break;
            }
        }
        foreach (JsonProperty entry in document.RootElement.EnumerateObject())
        {
            String(entry.Name);
            writer.Write(TypeOf(entry.Value));
            Value(entry.Value);
        }
        // The (empty) tensor data starts at the next multiple of the default alignment, 32 bytes.
        writer.Write(new byte[(32 - stream.Length % 32) % 32]);
        return stream.ToArray();
    }
}
