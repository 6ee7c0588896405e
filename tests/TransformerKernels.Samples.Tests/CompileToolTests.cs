using System.Diagnostics;
using System.Text.Json;

namespace TransformerKernels.Samples.Tests;

/// <summary>
/// `transformerkernels compile` turns a Hugging Face directory into a Native AOT binary that computes what the PyTorch
/// references say: the sentence-transformers fixture's embeddings (tools/fixtures/sentence_transformers.py) and the trained
/// fortune Llama's greedy continuation (tools/train-generate/fixtures.py).
/// </summary>
public class CompileToolTests
{
    private static string Repository => SampleProcess.Repository;

    private static SampleResult Run(string executable, params string[] arguments)
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

    private static string Tool => Path.Combine(Repository, "src", "TransformerKernels.Tool", "bin", SampleProcess.Configuration, "net10.0", "transformerkernels");

    [Fact]
    public void ACompiledSentenceTransformerPrintsThePyTorchEmbeddings()
    {
        string data = Path.Combine(Repository, "tests", "TransformerKernels.Embeddings.Tests", "Data");
        string output = Path.Combine(Path.GetTempPath(), $"tk-compiled-st-{Environment.ProcessId}");
        try
        {
            SampleResult compile = Run(Tool, "compile", Path.Combine(data, "st-cls"), "--task", "embed", "-o", output, "--name", "st");
            Assert.True(compile.ExitCode == 0, compile.ToString());
            using JsonDocument expected = JsonDocument.Parse(File.ReadAllText(Path.Combine(data, "st-cls.expected.json")));
            JsonElement[] cases = [.. expected.RootElement.GetProperty("cases").EnumerateArray()];
            SampleResult embed = Run(Path.Combine(output, "st"), ["--json", .. cases.Select(c => c.GetProperty("text").GetString()!)]);
            Assert.True(embed.ExitCode == 0, embed.ToString());
            string[] lines = embed.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(cases.Length, lines.Length);
            for (int i = 0; i < cases.Length; i++)
            {
                float[] actual = JsonSerializer.Deserialize<float[]>(lines[i])!;
                double[] reference = [.. cases[i].GetProperty("embedding").EnumerateArray().Select(v => v.GetDouble())];
                Assert.Equal(reference.Length, actual.Length);
                // 1e-4: float32 kernels against the float64 PyTorch reference, as the library's own tests.
                Assert.All(reference.Zip(actual), pair => Assert.True(Math.Abs(pair.First - pair.Second) <= 1e-4, $"case {i}: {pair.Second} vs {pair.First}"));
            }
        }
        finally
        {
            if (Directory.Exists(output))
            {
                Directory.Delete(output, recursive: true);
            }
        }
    }

    [Fact]
    public void ACompiledLlamaContinuesAsPyTorchDid()
    {
        string fortunes = Path.Combine(Repository, "src", "TransformerKernels.Fortunes", "model");
        string model = Path.Combine(Path.GetTempPath(), $"tk-fortune-llama-{Environment.ProcessId}");
        string output = model + "-compiled";
        try
        {
            // The directory as a user has it: config.json, weights and the tokenizer side by side.
            Directory.CreateDirectory(model);
            foreach (string file in Directory.GetFiles(Path.Combine(fortunes, "llama")))
            {
                File.Copy(file, Path.Combine(model, Path.GetFileName(file)));
            }
            File.Copy(Path.Combine(fortunes, "tokenizer.model"), Path.Combine(model, "tokenizer.model"));
            SampleResult compile = Run(Tool, "compile", model, "-o", output, "--name", "fortune");
            Assert.True(compile.ExitCode == 0, compile.ToString());
            using JsonDocument reference = JsonDocument.Parse(File.ReadAllText(Path.Combine(fortunes, "reference.json")));
            JsonElement life = reference.RootElement.GetProperty("greedy").EnumerateArray().First(g => g.GetProperty("prompt").GetString() == "Life");
            SampleResult generate = Run(Path.Combine(output, "fortune"), "--max-tokens", "40", "Life");
            Assert.True(generate.ExitCode == 0, generate.ToString());
            Assert.Equal(life.GetProperty("llama_text").GetString(), generate.Output.TrimEnd('\n'));
        }
        finally
        {
            foreach (string directory in new[] { model, output })
            {
                if (Directory.Exists(directory))
                {
                    Directory.Delete(directory, recursive: true);
                }
            }
        }
    }

    [Fact]
    public void BadDirectoriesAndTasksAreNamed()
    {
        string missing = Path.Combine(Path.GetTempPath(), "tk-no-such-model");
        SampleResult absent = Run(Tool, "compile", missing, "-o", missing + "-out");
        SampleAssert.AssertInputError(absent, missing);
        string llama = Path.Combine(Repository, "src", "TransformerKernels.Fortunes", "model", "llama");
        SampleResult wrongTask = Run(Tool, "compile", llama, "--task", "embed", "-o", missing + "-out");
        SampleAssert.AssertInputError(wrongTask, "--task generate");
        Assert.False(Directory.Exists(missing + "-out"));
    }
}
