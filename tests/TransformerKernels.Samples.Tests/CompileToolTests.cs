using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using TransformerKernels.Chat;
using TransformerKernels.Tokenizers;

namespace TransformerKernels.Samples.Tests;

/// <summary>
/// The two binaries the compile tests share (each Native AOT publish takes a minute or two): the sentence-transformers
/// fixture (tools/fixtures/sentence_transformers.py) compiled for embed, and the trained fortune Llama compiled for generate
/// from a directory as a user has it — config.json, weights and tokenizer side by side — plus a tokenizer_config.json whose
/// chat template keeps only the user's messages, so a served chat shows whether the template was applied.
/// </summary>
public sealed class CompiledModels : IDisposable
{
    /// <summary>A template unlike the base-model prompt (every message's content): system messages are dropped.</summary>
    public const string UserOnlyTemplate = "{{ bos_token }}{% for message in messages %}{% if message['role'] == 'user' %}{{ message['content'] }}{% endif %}{% endfor %}";

    private readonly string _root = Directory.CreateTempSubdirectory("tk-compiled").FullName;

    public CompiledModels()
    {
        EmbeddingsData = Path.Combine(SampleProcess.Repository, "tests", "TransformerKernels.Embeddings.Tests", "Data");
        Fortunes = Path.Combine(SampleProcess.Repository, "src", "TransformerKernels.Fortunes", "model");
        SampleResult embed = CompileTool.Run(CompileTool.Tool, "compile", Path.Combine(EmbeddingsData, "st-cls"), "--task", "embed", "-o", Path.Combine(_root, "st"), "--name", "st");
        Assert.True(embed.ExitCode == 0, embed.ToString());
        Embedder = Path.Combine(_root, "st", "st");

        FortuneDirectory = Path.Combine(_root, "fortune-llama");
        Directory.CreateDirectory(FortuneDirectory);
        foreach (string file in Directory.GetFiles(Path.Combine(Fortunes, "llama")))
        {
            File.Copy(file, Path.Combine(FortuneDirectory, Path.GetFileName(file)));
        }
        File.Copy(Path.Combine(Fortunes, "tokenizer.model"), Path.Combine(FortuneDirectory, "tokenizer.model"));
        File.WriteAllText(Path.Combine(FortuneDirectory, "tokenizer_config.json"), JsonSerializer.Serialize(new Dictionary<string, string>
        {
            ["bos_token"] = "<s>", ["eos_token"] = "</s>", ["chat_template"] = UserOnlyTemplate,
        }));
        SampleResult generate = CompileTool.Run(CompileTool.Tool, "compile", FortuneDirectory, "-o", Path.Combine(_root, "fortune"), "--name", "fortune");
        Assert.True(generate.ExitCode == 0, generate.ToString());
        Generator = Path.Combine(_root, "fortune", "fortune");
    }

    public string EmbeddingsData { get; }

    public string Fortunes { get; }

    public string FortuneDirectory { get; }

    /// <summary>The compiled sentence-transformers binary.</summary>
    public string Embedder { get; }

    /// <summary>The compiled fortune Llama binary.</summary>
    public string Generator { get; }

    /// <summary>The PyTorch reference's cases for st-cls: texts and their embeddings.</summary>
    public JsonElement[] EmbeddingCases()
    {
        using JsonDocument expected = JsonDocument.Parse(File.ReadAllText(Path.Combine(EmbeddingsData, "st-cls.expected.json")));
        return [.. expected.RootElement.GetProperty("cases").EnumerateArray().Select(c => c.Clone())];
    }

    /// <summary>PyTorch's greedy continuation of <paramref name="prompt"/> (tools/train-generate/fixtures.py): its ids and full text.</summary>
    public (int[] Ids, string Text) Greedy(string prompt)
    {
        using JsonDocument reference = JsonDocument.Parse(File.ReadAllText(Path.Combine(Fortunes, "reference.json")));
        JsonElement entry = reference.RootElement.GetProperty("greedy").EnumerateArray().First(g => g.GetProperty("prompt").GetString() == prompt);
        return ([.. entry.GetProperty("llama").EnumerateArray().Select(t => t.GetInt32())], entry.GetProperty("llama_text").GetString()!);
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);
}

/// <summary>Runs the tool and the binaries it writes.</summary>
internal static class CompileTool
{
    public static string Tool => Path.Combine(SampleProcess.Repository, "src", "TransformerKernels.Tool", "bin", SampleProcess.Configuration, "net10.0", "TransformerKernels.Tool");

    /// <summary>The Hugging Face fixture directories (tools/fixtures/hf_families.py).</summary>
    public static string HuggingFaceData => Path.Combine(SampleProcess.Repository, "tests", "TransformerKernels.HuggingFace.Tests", "Data");

    /// <summary>Runs the tool (a compile publishes Native AOT: minutes, on a shared machine).</summary>
    public static SampleResult RunTool(params string[] arguments) => Run(Tool, arguments);

    public static SampleResult Run(string executable, params string[] arguments)
    {
        var start = new ProcessStartInfo(executable) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start)!;
        Task<string> output = process.StandardOutput.ReadToEndAsync(), error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(8)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{executable} {string.Join(' ', arguments)} did not finish within eight minutes");
        }
        return new SampleResult(process.ExitCode, output.Result, error.Result);
    }

    /// <summary>Every value within 1e-4 of the float64 PyTorch reference, as the library's own tests (float32 kernels).</summary>
    public static void AssertEmbedding(JsonElement reference, float[] actual, string what)
    {
        double[] expected = [.. reference.EnumerateArray().Select(v => v.GetDouble())];
        Assert.Equal(expected.Length, actual.Length);
        Assert.All(expected.Zip(actual), pair => Assert.True(Math.Abs(pair.First - pair.Second) <= 1e-4, $"{what}: {pair.Second} vs {pair.First}"));
    }
}

/// <summary>
/// `transformerkernels compile` turns a Hugging Face directory into a Native AOT binary that computes what the PyTorch
/// references say — printing embeddings or a continuation, or, with --serve, answering the OpenAI API.
/// </summary>
public class CompileToolTests(CompiledModels compiled) : IClassFixture<CompiledModels>
{
    [Fact]
    public void ACompiledSentenceTransformerPrintsThePyTorchEmbeddings()
    {
        JsonElement[] cases = compiled.EmbeddingCases();
        SampleResult embed = CompileTool.Run(compiled.Embedder, ["--json", .. cases.Select(c => c.GetProperty("text").GetString()!)]);
        Assert.True(embed.ExitCode == 0, embed.ToString());
        string[] lines = embed.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(cases.Length, lines.Length);
        for (int i = 0; i < cases.Length; i++)
        {
            CompileTool.AssertEmbedding(cases[i].GetProperty("embedding"), JsonSerializer.Deserialize<float[]>(lines[i])!, $"case {i}");
        }
    }

    [Fact]
    public void ACompiledLlamaContinuesAsPyTorchDid()
    {
        SampleResult generate = CompileTool.Run(compiled.Generator, "--max-tokens", "40", "Life");
        Assert.True(generate.ExitCode == 0, generate.ToString());
        Assert.Equal(compiled.Greedy("Life").Text, generate.Output.TrimEnd('\n'));
    }

    [Fact]
    public async Task ACompiledSentenceTransformerServesThePyTorchEmbeddings()
    {
        using var cache = new TemporaryDirectory("tk-serve-st");
        using ServerProcess server = ServerProcess.Start(compiled.Embedder, cache.Path, "--serve");
        using var http = new HttpClient { BaseAddress = server.BaseAddress };
        // The server refuses an empty text (a 400 naming input[i], as OpenAI's does), which sentence-transformers embeds.
        JsonElement[] cases = [.. compiled.EmbeddingCases().Where(c => c.GetProperty("text").GetString() is { Length: > 0 })];
        using HttpResponseMessage response = await http.PostAsJsonAsync("v1/embeddings", new { model = "st-cls", input = cases.Select(c => c.GetProperty("text").GetString()).ToArray() });
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, body);
        using JsonDocument answer = JsonDocument.Parse(body);
        Assert.Equal("st-cls", answer.RootElement.GetProperty("model").GetString());
        JsonElement[] data = [.. answer.RootElement.GetProperty("data").EnumerateArray()];
        Assert.Equal(cases.Length, data.Length);
        for (int i = 0; i < cases.Length; i++)
        {
            CompileTool.AssertEmbedding(cases[i].GetProperty("embedding"), JsonSerializer.Deserialize<float[]>(data[i].GetProperty("embedding").GetRawText())!, $"served case {i}");
        }
        // An embedding binary serves no chat: a clear 404, not a crash.
        using HttpResponseMessage chat = await http.PostAsJsonAsync("v1/chat/completions", new { messages = new[] { new { role = "user", content = "hi" } } });
        Assert.Equal(System.Net.HttpStatusCode.NotFound, chat.StatusCode);
        server.Terminate();
        Assert.True(server.Process.WaitForExit(TimeSpan.FromSeconds(30)), "the served binary did not stop on SIGTERM: " + server.Log);
        Assert.Equal(0, server.Process.ExitCode);
    }

    [Fact]
    public async Task ACompiledLlamaServesChatThroughItsDirectorysTemplate()
    {
        using var cache = new TemporaryDirectory("tk-serve-llama");
        using ServerProcess server = ServerProcess.Start(compiled.Generator, cache.Path, "--serve", "--max-sessions", "2");
        using var http = new HttpClient { BaseAddress = server.BaseAddress };
        (int[] ids, string text) = compiled.Greedy("Life");
        // The system message would change the base-model prompt ("Say nothing.\nLife"); the directory's template drops it,
        // so the prompt is <s>Life and the completion must be PyTorch's greedy continuation of "Life".
        using HttpResponseMessage response = await http.PostAsJsonAsync("v1/chat/completions", new
        {
            model = "fortune-llama",
            messages = new[] { new { role = "system", content = "Say nothing." }, new { role = "user", content = "Life" } },
            max_tokens = ids.Length,
            temperature = 0,
        });
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, body);
        using JsonDocument answer = JsonDocument.Parse(body);
        string content = answer.RootElement.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString()!;
        Assert.Equal(text["Life".Length..].TrimStart(), content.TrimStart());
        Assert.Equal(HuggingFaceTokenizer.FromDirectory(compiled.FortuneDirectory).Encode("Life").Length, answer.RootElement.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
        using HttpResponseMessage models = await http.GetAsync("v1/models");
        Assert.Contains("\"fortune-llama\"", await models.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        server.Terminate();
        Assert.True(server.Process.WaitForExit(TimeSpan.FromSeconds(30)), "the served binary did not stop on SIGTERM: " + server.Log);
        Assert.Equal(0, server.Process.ExitCode);
    }

    [Fact]
    public void ServerOptionsThatDoNotParseAreNamed()
    {
        SampleResult bad = CompileTool.Run(compiled.Generator, "--serve", "--max-sessions", "0");
        SampleAssert.AssertInputError(bad, "--max-sessions 0");
        SampleResult help = CompileTool.Run(compiled.Embedder, "--serve", "--help");
        Assert.True(help.ExitCode == 0, help.ToString());
        Assert.Contains("--api-key", help.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void ADamagedModelDirectoryIsOneLineNamingTheFile()
    {
        string tokenizer = Path.Combine(Path.GetDirectoryName(compiled.Generator)!, "model", "tokenizer.model");
        byte[] original = File.ReadAllBytes(tokenizer);
        try
        {
            File.WriteAllBytes(tokenizer, [1, 2, 3, 4, 5, 6, 7, 8]);
            SampleResult damaged = CompileTool.Run(compiled.Generator, "Life");
            Assert.True(damaged.ExitCode == 1, damaged.ToString());
            Assert.True(damaged.ErrorLines.Length == 1 && !damaged.HasStackTrace, damaged.ToString());
            Assert.Contains("tokenizer.model", damaged.Error, StringComparison.Ordinal);
        }
        finally
        {
            File.WriteAllBytes(tokenizer, original);
        }
    }

    [Fact]
    public void BadDirectoriesAndTasksAreNamed()
    {
        string missing = Path.Combine(Path.GetTempPath(), "tk-no-such-model");
        SampleResult absent = CompileTool.Run(CompileTool.Tool, "compile", missing, "-o", missing + "-out");
        SampleAssert.AssertInputError(absent, missing);
        string llama = Path.Combine(SampleProcess.Repository, "src", "TransformerKernels.Fortunes", "model", "llama");
        SampleResult wrongTask = CompileTool.Run(CompileTool.Tool, "compile", llama, "--task", "embed", "-o", missing + "-out");
        SampleAssert.AssertInputError(wrongTask, "--task generate");
        Assert.False(Directory.Exists(missing + "-out"));
    }
}

/// <summary>A temporary directory removed at the end of a test.</summary>
internal sealed class TemporaryDirectory(string prefix) : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory(prefix).FullName;

    public void Dispose() => Directory.Delete(Path, recursive: true);
}

/// <summary>
/// The tool reads the weights' tensor shapes before it publishes: a config.json that does not describe them is one line
/// naming the field and the tensor, exit 2, in seconds — and no project is written.
/// </summary>
public class CompilePreflightTests
{
    [Theory]
    [InlineData("st-cls", "\"vocab_size\": 256", "\"vocab_size\": 300", "vocab_size = 300", "embeddings.word_embeddings.weight")]
    [InlineData("st-cls", "\"hidden_size\": 32", "\"hidden_size\": 48", "hidden_size = 48", "embeddings.word_embeddings.weight")]
    [InlineData("st-cls", "\"num_hidden_layers\": 2", "\"num_hidden_layers\": 3", "num_hidden_layers = 3", "hold 2 layers")]
    [InlineData("llama", "\"intermediate_size\": 704", "\"intermediate_size\": 768", "intermediate_size = 768", "mlp.gate_proj.weight")]
    [InlineData("gpt2", "\"n_layer\": 4", "\"n_layer\": 5", "n_layer = 5", "hold 4 layers")]
    public void AConfigThatDoesNotDescribeTheWeightsIsRefusedBeforePublishing(string fixture, string field, string edited, string said, string tensor)
    {
        using var temporary = new TemporaryDirectory("tk-preflight");
        string source = fixture == "st-cls"
            ? Path.Combine(SampleProcess.Repository, "tests", "TransformerKernels.Embeddings.Tests", "Data", fixture)
            : Path.Combine(SampleProcess.Repository, "src", "TransformerKernels.Fortunes", "model", fixture);
        string model = Path.Combine(temporary.Path, "model"), output = Path.Combine(temporary.Path, "out");
        Directory.CreateDirectory(model);
        foreach (string file in Directory.GetFiles(source))
        {
            File.Copy(file, Path.Combine(model, Path.GetFileName(file)));
        }
        if (fixture == "llama")
        {
            File.Copy(Path.Combine(source, "..", "tokenizer.model"), Path.Combine(model, "tokenizer.model"));
        }
        string config = Path.Combine(model, "config.json");
        string text = File.ReadAllText(config);
        Assert.Contains(field, text);
        File.WriteAllText(config, text.Replace(field, edited, StringComparison.Ordinal));
        SampleResult result = CompileTool.RunTool("compile", model, "-o", output);
        SampleAssert.AssertInputError(result, said, tensor, config);
        Assert.False(Directory.Exists(Path.Combine(output, "source")), "nothing is written before the weights agree");
    }
}
