using System.Text.Json;
using Microsoft.Extensions.AI;

namespace TransformerKernels.Chat.Tests;

/// <summary>A directory's chat template reaches the chat client's prompt as python3-jinja2 renders it.</summary>
public class ChatPromptFormatterTests
{
    [Theory]
    [InlineData("llama2-chat")]
    [InlineData("qwen2-instruct")]
    [InlineData("gemma2-instruct")]
    public void TheDirectorysTemplateRendersAsJinjaDoes(string name)
    {
        string data = Path.Combine(AppContext.BaseDirectory, "Data", "templates");
        using JsonDocument renders = JsonDocument.Parse(File.ReadAllText(Path.Combine(data, "renders.json")));
        // A committed reference render of this template with the generation prompt, messages only as roles and text.
        JsonElement reference = renders.RootElement.GetProperty("cases").EnumerateArray().First(c =>
            c.GetProperty("template").GetString() == name && c.GetProperty("add_generation_prompt").GetBoolean() && c.TryGetProperty("rendered", out _)
            && c.GetProperty("variables").EnumerateObject().All(v => v.Name is "bos_token" or "eos_token")
            && c.GetProperty("messages").GetArrayLength() > 1);
        string directory = Path.Combine(Path.GetTempPath(), $"tk-template-{Environment.ProcessId}-{name}");
        Directory.CreateDirectory(directory);
        try
        {
            JsonElement variables = reference.GetProperty("variables");
            File.WriteAllText(Path.Combine(directory, "tokenizer_config.json"), JsonSerializer.Serialize(new Dictionary<string, string>
            {
                ["chat_template"] = File.ReadAllText(Path.Combine(data, name + ".jinja")),
                ["bos_token"] = variables.GetProperty("bos_token").GetString()!,
                ["eos_token"] = variables.GetProperty("eos_token").GetString()!,
            }));
            Func<IReadOnlyList<ChatMessage>, string> format = ChatPromptFormatter.FromDirectory(directory)!;
            ChatMessage[] messages = [.. reference.GetProperty("messages").EnumerateArray().Select(m => new ChatMessage(new ChatRole(m.GetProperty("role").GetString()!), m.GetProperty("content").GetString()))];
            Assert.Equal(reference.GetProperty("rendered").GetString(), format(messages));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void ADirectoryWithoutATemplateHasNoFormatter()
    {
        string directory = Path.Combine(Path.GetTempPath(), $"tk-template-{Environment.ProcessId}-none");
        Directory.CreateDirectory(directory);
        try
        {
            File.WriteAllText(Path.Combine(directory, "tokenizer_config.json"), """{"bos_token": "<s>"}""");
            Assert.Null(ChatPromptFormatter.FromDirectory(directory));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
