using TransformerKernels.Generators.Config;

namespace TransformerKernels.Generators.Tests;

/// <summary>The generator's own JSON reader against what RFC 8259 (and System.Text.Json, its reference here) accepts.</summary>
public class JsonReaderTests
{
    [Fact]
    public void ReadsEveryKindOfValue()
    {
        var root = Assert.IsType<JsonObject>(JsonReader.Parse("\uFEFF { \"a\": [1, -2.5e-3, 0, 1E+2], \"s\": \"q\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00\", \"t\": true, \"f\": false, \"n\": null, \"o\": {} } "));
        var numbers = Assert.IsType<JsonArray>(root["a"]).Items.Cast<JsonNumber>().Select(n => n.Value).ToArray();
        Assert.Equal([1, -2.5e-3, 0, 100], numbers);
        Assert.Equal("q\"\\/\b\f\n\r\té😀", Assert.IsType<JsonString>(root["s"]).Value);
        Assert.True(Assert.IsType<JsonBool>(root["t"]).Value);
        Assert.False(Assert.IsType<JsonBool>(root["f"]).Value);
        Assert.IsType<JsonNull>(root["n"]);
        Assert.Empty(Assert.IsType<JsonObject>(root["o"]).Members);
    }

    [Theory]
    [InlineData("{\"a\": 1,}", 1, 9, "expected a member name")]
    [InlineData("[1, 2,]", 1, 7, "unexpected character ']'")]
    [InlineData("{\"a\": 01}", 1, 8, "expected ',' or '}'")]
    [InlineData("{\"a\": .5}", 1, 7, "unexpected character '.'")]
    [InlineData("{\"a\": 1.}", 1, 9, "expected a digit after the decimal point")]
    [InlineData("{\"a\": NaN}", 1, 7, "unexpected character 'N'")]
    [InlineData("{\"a\": Infinity}", 1, 7, "unexpected character 'I'")]
    [InlineData("{\"a\": tru}", 1, 7, "unexpected character 't'")]
    [InlineData("{\n  \"a\": \"x\ny\"}", 2, 10, "control character in a string")]
    [InlineData("{\"a\": \"\\x\"}", 1, 8, "unknown escape '\\x'")]
    [InlineData("{\"a\": \"\\u12\"}", 1, 8, "four hexadecimal digits")]
    [InlineData("{\"a\": 1} x", 1, 10, "unexpected text after the end")]
    [InlineData("{\"a\": 1", 1, 8, "unexpected end of the file")]
    [InlineData("{\"a\": \"open", 1, 12, "unterminated string")]
    [InlineData("// comment\n{}", 1, 1, "unexpected character '/'")]
    [InlineData("{'a': 1}", 1, 2, "expected a member name in double quotes")]
    public void RefusesWhatTheGrammarRefusesWithLineAndColumn(string text, int line, int column, string problem)
    {
        Assert.ThrowsAny<System.Text.Json.JsonException>(() => System.Text.Json.JsonDocument.Parse(text).Dispose());
        JsonSyntaxException error = Assert.Throws<JsonSyntaxException>(() => JsonReader.Parse(text));
        Assert.Contains(problem, error.Problem, StringComparison.Ordinal);
        Assert.Equal((line, column), (error.Line, error.Column));
    }

    [Theory]
    [InlineData("{\"a\": 1, \"a\": 2}", 1, 10, "duplicate member \"a\"")]
    [InlineData("{\"a\": 1e999}", 1, 7, "out of range")]
    public void RefusesWhatAConfigCannotMeanStricterThanTheGrammar(string text, int line, int column, string problem)
    {
        // The grammar allows both; System.Text.Json reads them (last duplicate wins, 1e999 as a token). A config with two
        // values for one field, or an infinite one, is refused instead of guessed at.
        JsonSyntaxException error = Assert.Throws<JsonSyntaxException>(() => JsonReader.Parse(text));
        Assert.Contains(problem, error.Problem, StringComparison.Ordinal);
        Assert.Equal((line, column), (error.Line, error.Column));
    }

    [Fact]
    public void DeepNestingIsRefusedNotOverflowed()
    {
        string deep = new string('[', 10_000) + new string(']', 10_000);
        Assert.Contains("nesting deeper", Assert.Throws<JsonSyntaxException>(() => JsonReader.Parse(deep)).Problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("bge-small-en-v1.5")]
    [InlineData("Llama-3.2-1B")]
    [InlineData("gpt2")]
    public void PublicConfigsReadAsSystemTextJsonReadsThem(string model)
    {
        string text = GeneratorHarness.ConfigText(model);
        using var reference = System.Text.Json.JsonDocument.Parse(text);
        var root = Assert.IsType<JsonObject>(JsonReader.Parse(text));
        Assert.Equal(reference.RootElement.EnumerateObject().Select(p => p.Name).Order(), root.Members.Keys.Order());
        foreach (System.Text.Json.JsonProperty property in reference.RootElement.EnumerateObject())
        {
            switch (property.Value.ValueKind)
            {
                case System.Text.Json.JsonValueKind.Number:
                    Assert.Equal(property.Value.GetDouble(), Assert.IsType<JsonNumber>(root[property.Name]).Value);
                    break;
                case System.Text.Json.JsonValueKind.String:
                    Assert.Equal(property.Value.GetString(), Assert.IsType<JsonString>(root[property.Name]).Value);
                    break;
            }
        }
    }
}
