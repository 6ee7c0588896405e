namespace TransformerKernels.Chat.Tests.Templates;

/// <summary>The public surface: raised messages, variables of every accepted kind, bad input, concurrent renders.</summary>
public class TemplateApiTests
{
    [Fact]
    public void RaiseExceptionCarriesTheTemplatesMessage()
    {
        var template = ChatTemplate.Parse("{% if messages[0].role == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}");
        var error = Assert.Throws<ChatTemplateException>(() => template.Render([new("system", "s")], false));
        Assert.True(error.RaisedByTemplate);
        Assert.Equal("System role not supported", error.Message);
    }

    [Fact]
    public void UndefinedErrorsNameTheVariableAndPosition()
    {
        var error = Assert.Throws<ChatTemplateException>(() => ChatTemplate.Parse("ok\n  {{ tools.first }}").Render([], false));
        Assert.Contains("'tools' is undefined", error.Message, StringComparison.Ordinal);
        Assert.Equal(2, error.Line);
    }

    [Fact]
    public void VariablesOfEveryAcceptedKindReachTheTemplate()
    {
        var variables = new Dictionary<string, object?>
        {
            ["s"] = "text", ["b"] = true, ["i"] = 3, ["l"] = 4L, ["f"] = 0.5f, ["d"] = 1.25, ["n"] = null,
            ["list"] = new[] { "a", "b" }, ["dict"] = new Dictionary<string, object?> { ["k"] = new List<object?> { 1, "x" } },
        };
        string rendered = ChatTemplate.Parse("{{ s }} {{ b }} {{ i + l }} {{ f + d }} {{ n }} {{ list }} {{ dict }} {{ dict.k[1] }}").Render([], false, variables);
        Assert.Equal("text True 7 1.75 None ['a', 'b'] {'k': [1, 'x']} x", rendered);
    }

    [Fact]
    public void AVariableOfAnUnusableTypeIsAnArgumentExceptionNamingIt()
    {
        var error = Assert.Throws<ArgumentException>(() => ChatTemplate.Parse("{{ x }}").Render([], false, new Dictionary<string, object?> { ["when"] = DateTime.UnixEpoch }));
        Assert.Contains("'when'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void NullArgumentsAreRefused()
    {
        Assert.Throws<ArgumentNullException>(() => ChatTemplate.Parse(null!));
        Assert.Throws<ArgumentNullException>(() => ChatTemplate.Parse("x").Render(null!, false));
    }

    [Fact]
    public async Task ConcurrentRendersOfOneTemplateEqualSequentialOnes()
    {
        string source = File.ReadAllText(Path.Combine(ReferenceRenders.Directory, "llama3.1-instruct.jinja"));
        var template = ChatTemplate.Parse(source);
        var variables = new Dictionary<string, object?> { ["bos_token"] = "<|begin_of_text|>" };
        List<ChatTemplateMessage> Conversation(int i) => [new("system", $"sys {i}"), new("user", $"question {i}"), new("assistant", $"answer {i}"), new("user", "more")];
        var expected = Enumerable.Range(0, 64).Select(i => template.Render(Conversation(i), i % 2 == 0, variables)).ToArray();
        var actual = await Task.WhenAll(Enumerable.Range(0, 64).Select(i => Task.Run(() => template.Render(Conversation(i), i % 2 == 0, variables))));
        Assert.Equal(expected, actual);
        Assert.Equal(64, expected.Distinct().Count());
    }
}
