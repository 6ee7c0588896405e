namespace TransformerKernels.Chat.Tests.Templates;

/// <summary>
/// Real Jinja outside the subset (python3-jinja2's own result for each is in the fixture) fails with an error naming
/// the construct — never a prompt rendered without it.
/// </summary>
public class UnsupportedConstructTests
{
    public static TheoryData<string> Names() => [.. ReferenceRenders.Unsupported.Select(u => u.GetProperty("name").GetString()!)];

    [Theory]
    [MemberData(nameof(Names))]
    public void FailsNamingTheConstruct(string name)
    {
        var entry = ReferenceRenders.Unsupported.Single(u => u.GetProperty("name").GetString() == name);
        string source = entry.GetProperty("source").GetString()!;
        string construct = entry.GetProperty("construct").GetString()!;
        var error = Assert.Throws<ChatTemplateException>(() => ChatTemplate.Parse(source).Render([new("user", "Hello!")], false));
        Assert.Contains(construct, error.Message, StringComparison.Ordinal);
        Assert.Contains("does not support", error.Message, StringComparison.Ordinal);
        Assert.False(error.RaisedByTemplate);
    }

    [Theory]
    [InlineData("hello\n  {% include 'x' %}", "{% include %}", 2, 6)]
    [InlineData("{{ 'a' }}\n{{ x | wordwrap(3) }}", "'wordwrap'", 2, 8)]
    [InlineData("{% if x is escaped %}{% endif %}", "'escaped'", 1, 12)]
    [InlineData("{% for x in y recursive %}{% endfor %}", "recursive", 1, 15)]
    [InlineData("{% macro m() %}{{ varargs }}{% endmacro %}", "'varargs'", 1, 19)]
    public void TagsFiltersAndTestsFailAtParseTimeWithTheirPosition(string source, string construct, int line, int column)
    {
        var error = Assert.Throws<ChatTemplateException>(() => ChatTemplate.Parse(source));
        Assert.Contains(construct, error.Message, StringComparison.Ordinal);
        Assert.Equal((line, column), (error.Line, error.Column));
        Assert.Contains($"line {line}, column {column}", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{{ 'a'.splitlines() }}", "splitlines")]
    [InlineData("{{ messages.append(1) }}", "append")]
    [InlineData("{{ {'a': 1}.pop('a') }}", "pop")]
    [InlineData("{{ cycler(1, 2) }}", "cycler")]
    [InlineData("{{ strftime_now('%c') }}", "%c")]
    [InlineData("{{ x|tojson(ensure_ascii=True) }}", "ensure_ascii")]
    public void MethodsAndFunctionsFailWhenCalledNamingThem(string source, string construct)
    {
        var template = ChatTemplate.Parse(source);
        var error = Assert.Throws<ChatTemplateException>(() => template.Render([new("user", "Hello!")], false, new Dictionary<string, object?> { ["x"] = 1L }));
        Assert.Contains(construct, error.Message, StringComparison.Ordinal);
        Assert.Equal(1, error.Line);
    }

    [Theory]
    [InlineData("{% if true %}never closed")]
    [InlineData("{{ 'unterminated }}")]
    [InlineData("{{ 1 + }}")]
    [InlineData("{% endfor %}")]
    [InlineData("{% break %}")]
    [InlineData("{{ x ")]
    [InlineData("{% frobnicate %}")]
    public void SyntaxErrorsAreChatTemplateExceptions(string source)
    {
        var error = Assert.Throws<ChatTemplateException>(() => ChatTemplate.Parse(source));
        Assert.True(error.Line >= 1, error.Message);
    }

    [Fact]
    public void ObjectsPythonWouldPrintAsAddressesAreRefused()
    {
        var error = Assert.Throws<ChatTemplateException>(() => ChatTemplate.Parse("{{ messages|select }}").Render([new("user", "x")], false));
        Assert.Contains("generator", error.Message, StringComparison.Ordinal);
    }
}
