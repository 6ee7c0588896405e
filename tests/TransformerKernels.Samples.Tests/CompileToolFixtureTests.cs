using System.Text.Json;
using System.Text.Json.Nodes;

namespace TransformerKernels.Samples.Tests;

/// <summary>
/// A Hugging Face fixture directory of tests/TransformerKernels.HuggingFace.Tests/Data compiled once by
/// `transformerkernels compile` (one Native AOT publish per fixture, shared by the tests of its class), and the PyTorch
/// greedy continuation of a text prompt tools/fixtures/hf_families.py wrote beside it (<c>&lt;fixture&gt;.text.json</c>).
/// </summary>
public abstract class CompiledFixture : IDisposable
{
    /// <param name="fixture">The directory under Data/.</param>
    /// <param name="compileArguments">Extra arguments of the compile command.</param>
    protected CompiledFixture(string fixture, params string[] compileArguments)
    {
        Fixture = fixture;
        Output = Path.Combine(Path.GetTempPath(), $"tk-compiled-{fixture}-{Environment.ProcessId}");
        Binary = Path.Combine(Output, "model-binary");
        Compile = CompileTool.RunTool(["compile", Path.Combine(CompileTool.HuggingFaceData, fixture), "-o", Output, "--name", "model-binary", .. compileArguments]);
        using JsonDocument reference = JsonDocument.Parse(File.ReadAllText(Path.Combine(CompileTool.HuggingFaceData, fixture + ".text.json")));
        JsonElement root = reference.RootElement;
        Prompt = root.GetProperty("prompt").GetString()!;
        MaxNewTokens = root.GetProperty("max_new_tokens").GetInt32();
        ExpectedText = root.GetProperty("text").GetString()!;
    }

    public string Fixture { get; }

    /// <summary>The compile command's result (asserted by each test, so that a failed compile reads as such).</summary>
    public SampleResult Compile { get; }

    /// <summary>The compiled binary.</summary>
    public string Binary { get; }

    public string Output { get; }

    /// <summary>The reference's prompt text and the most tokens its continuation was given.</summary>
    public string Prompt { get; }

    public int MaxNewTokens { get; }

    /// <summary>SentencePiece's decoding of the prompt's ids and PyTorch's greedy continuation of them (ending early at &lt;/s&gt;).</summary>
    public string ExpectedText { get; }

    public void Dispose()
    {
        if (Directory.Exists(Output))
        {
            Directory.Delete(Output, recursive: true);
        }
        GC.SuppressFinalize(this);
    }
}

public sealed class CompiledQwen2() : CompiledFixture("qwen2_tiny");

// The config's 64 positions exceed its sliding_window of 32, which the kernels only equal within the window (TK diagnostic).
public sealed class CompiledMistral() : CompiledFixture("mistral_tiny", "--max-seq-len", "32");

public sealed class CompiledLlama3Scaled() : CompiledFixture("llama3_scaled_tiny");

/// <summary>
/// What a compiled decoder fixture owes: its greedy continuation is PyTorch's (the printed text, the prompt's and the
/// continuation's tokens decoded, equals SentencePiece's decoding of PyTorch's ids), and a prompt too long for its
/// positions is refused by name.
/// </summary>
public abstract class CompiledDecoderTests(CompiledFixture binary)
{
    [Fact]
    public void TheGreedyContinuationIsPyTorchs()
    {
        Assert.True(binary.Compile.ExitCode == 0, binary.Compile.ToString());
        SampleResult generate = CompileTool.Run(binary.Binary, "--max-tokens", binary.MaxNewTokens.ToString(System.Globalization.CultureInfo.InvariantCulture), binary.Prompt);
        Assert.True(generate.ExitCode == 0, generate.ToString());
        Assert.Equal(binary.ExpectedText, generate.Output.TrimEnd('\n'));
    }

    [Fact]
    public void APromptBeyondThePositionsIsRefusedByName()
    {
        Assert.True(binary.Compile.ExitCode == 0, binary.Compile.ToString());
        SampleResult refused = CompileTool.Run(binary.Binary, "--max-tokens", "4", string.Join(' ', Enumerable.Repeat(binary.Prompt, 200)));
        SampleAssert.AssertInputError(refused, "--max-tokens", "positions");
    }
}

public sealed class CompiledQwen2Tests(CompiledQwen2 binary) : CompiledDecoderTests(binary), IClassFixture<CompiledQwen2>;

public sealed class CompiledMistralTests(CompiledMistral binary) : CompiledDecoderTests(binary), IClassFixture<CompiledMistral>;

public sealed class CompiledLlama3ScaledTests(CompiledLlama3Scaled binary) : CompiledDecoderTests(binary), IClassFixture<CompiledLlama3Scaled>;

/// <summary>A fixture directory whose config.json is broken: the compile fails (before any binary exists) naming the field.</summary>
public sealed class CompileToolConfigErrorTests
{
    [Fact]
    public void AnUnsupportedRopeScalingIsNamedAndNothingIsWritten()
    {
        string model = Path.Combine(Path.GetTempPath(), $"tk-broken-qwen2-{Environment.ProcessId}");
        string output = model + "-compiled";
        try
        {
            Directory.CreateDirectory(model);
            foreach (string file in Directory.GetFiles(Path.Combine(CompileTool.HuggingFaceData, "qwen2_tiny")))
            {
                File.Copy(file, Path.Combine(model, Path.GetFileName(file)));
            }
            JsonObject config = JsonNode.Parse(File.ReadAllText(Path.Combine(model, "config.json")))!.AsObject();
            config["rope_scaling"] = new JsonObject { ["rope_type"] = "yarn", ["factor"] = 4.0 };
            File.WriteAllText(Path.Combine(model, "config.json"), config.ToJsonString());
            SampleResult compile = CompileTool.RunTool("compile", model, "-o", output, "--name", "broken");
            Assert.True(compile.ExitCode != 0, compile.ToString());
            Assert.Contains("rope_scaling.rope_type", compile.Output + compile.Error);
            Assert.False(File.Exists(Path.Combine(output, "broken")), "a binary was written");
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
}
