using System.Text.Json;

namespace TransformerKernels.Chat.Tests.Templates;

/// <summary>
/// Every render python3-jinja2 made (real templates of Llama 2/3/3.1, Mistral v0.1/v0.3, Qwen2, Phi-3, Gemma 2 and
/// SmolLM2 over many conversations, and synthetic templates exercising one construct each) is reproduced byte for
/// byte; every case where Jinja failed fails here too, and where the template itself raised, with its message.
/// </summary>
public class ReferenceRenderTests
{
    public static TheoryData<int, string> CaseIndices()
    {
        var data = new TheoryData<int, string>();
        var cases = ReferenceRenders.Cases;
        for (int i = 0; i < cases.Count; i++)
        {
            var c = cases[i];
            data.Add(i, $"{c.GetProperty("template").GetString()} / {c.GetProperty("conversation").GetString()} / "
                + $"add_generation_prompt={c.GetProperty("add_generation_prompt").GetBoolean()} / {c.GetProperty("variables").GetRawText()}");
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(CaseIndices))]
    public void MatchesJinja(int index, string description)
    {
        var testCase = ReferenceRenders.Cases[index];
        string source = ReferenceRenders.SourceOf(testCase);
        var messages = ReferenceRenders.MessagesOf(testCase);
        bool addGenerationPrompt = testCase.GetProperty("add_generation_prompt").GetBoolean();
        var variables = ReferenceRenders.VariablesOf(testCase);
        string Render() => ChatTemplate.Parse(source, ReferenceRenders.FixedClock).Render(messages, addGenerationPrompt, variables);

        if (testCase.TryGetProperty("rendered", out var rendered))
        {
            string expected = rendered.GetString()!;
            string actual = Render();
            Assert.True(expected == actual, $"{description}\nexpected (Jinja): {JsonSerializer.Serialize(expected)}\nactual:           {JsonSerializer.Serialize(actual)}");
            return;
        }
        string jinjaError = testCase.GetProperty("error").GetString()!;
        var error = Assert.Throws<ChatTemplateException>(Render);
        const string raised = "TemplateError: ";
        if (jinjaError.StartsWith(raised, StringComparison.Ordinal))
        {
            Assert.True(error.RaisedByTemplate, $"{description}: Jinja's error came from raise_exception, ours: {error.Message}");
            Assert.Equal(jinjaError[raised.Length..], error.Message);
        }
    }

    [Fact]
    public void FixturesCoverEveryRealTemplateWithRendersAndErrors()
    {
        var real = ReferenceRenders.Cases.Where(c => !c.TryGetProperty("source", out _)).ToList();
        var names = real.Select(c => c.GetProperty("template").GetString()).Distinct().ToList();
        foreach (string file in Directory.GetFiles(ReferenceRenders.Directory, "*.jinja"))
            Assert.Contains(Path.GetFileNameWithoutExtension(file), names);
        Assert.Contains(real, c => c.GetProperty("template").GetString() == "gemma2-instruct" && c.GetProperty("conversation").GetString() == "system-user"
            && c.TryGetProperty("error", out _));
        Assert.True(real.Count(c => c.TryGetProperty("rendered", out _)) > 150);
    }
}
