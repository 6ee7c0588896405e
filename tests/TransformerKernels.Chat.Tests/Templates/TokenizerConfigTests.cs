namespace TransformerKernels.Chat.Tests.Templates;

/// <summary>Reading chat_template and the special tokens from tokenizer_config.json files of the shapes the Hub uses.</summary>
public sealed class TokenizerConfigTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("tk-chattpl-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string Write(string json)
    {
        string path = Path.Combine(_directory, $"tokenizer_config_{Guid.NewGuid():N}.json");
        File.WriteAllText(path, json);
        return path;
    }

    [Fact]
    public void AStringTemplateAndPlainTokens()
    {
        string path = Write("""{"bos_token": "<s>", "eos_token": "</s>", "chat_template": "{{ bos_token }}{% for m in messages %}{{ m.content }}{% endfor %}{{ eos_token }}"}""");
        var template = ChatTemplate.FromTokenizerConfig(path, out var tokens);
        Assert.NotNull(template);
        Assert.Equal("<s>", tokens["bos_token"]);
        Assert.Equal("<s>hi</s>", template.Render([new("user", "hi")], false, tokens));
    }

    [Fact]
    public void TokensWrittenAsAddedTokenObjectsAndNull()
    {
        string path = Write("""{"bos_token": {"__type": "AddedToken", "content": "<|begin_of_text|>", "lstrip": false}, "eos_token": null, "chat_template": "x"}""");
        ChatTemplate.FromTokenizerConfig(path, out var tokens);
        Assert.Equal("<|begin_of_text|>", tokens["bos_token"]);
        Assert.Null(tokens["eos_token"]);
    }

    [Fact]
    public void AListOfNamedTemplatesUsesDefault()
    {
        string path = Write("""{"chat_template": [{"name": "tool_use", "template": "tools"}, {"name": "default", "template": "plain {{ messages|length }}"}]}""");
        var template = ChatTemplate.FromTokenizerConfig(path, out _);
        Assert.Equal("plain 1", template!.Render([new("user", "hi")], false));
    }

    [Fact]
    public void NoChatTemplateIsNull()
    {
        Assert.Null(ChatTemplate.FromTokenizerConfig(Write("""{"eos_token": "</s>"}"""), out var tokens));
        Assert.Equal("</s>", tokens["eos_token"]);
    }

    [Fact]
    public void AMissingFileIsFileNotFoundNamingIt()
    {
        string path = Path.Combine(_directory, "absent.json");
        var error = Assert.Throws<FileNotFoundException>(() => ChatTemplate.FromTokenizerConfig(path, out _));
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{not json")]
    [InlineData("[1, 2]")]
    [InlineData("""{"chat_template": 5}""")]
    [InlineData("""{"chat_template": [{"name": "tool_use", "template": "t"}]}""")]
    [InlineData("""{"chat_template": [{"name": "default"}]}""")]
    [InlineData("""{"bos_token": 3, "chat_template": "x"}""")]
    public void MalformedConfigsNameTheFile(string json)
    {
        string path = Write(json);
        var error = Assert.Throws<TokenizerConfigException>(() => ChatTemplate.FromTokenizerConfig(path, out _));
        Assert.Equal(path, error.Path);
        Assert.StartsWith(path, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AnUnsupportedTemplateInTheConfigFailsByName()
    {
        string path = Write("""{"chat_template": "{% include 'x' %}"}""");
        var error = Assert.Throws<ChatTemplateException>(() => ChatTemplate.FromTokenizerConfig(path, out _));
        Assert.Contains("include", error.Message, StringComparison.Ordinal);
    }
}
