using TransformerKernels.Fortunes;
using static TransformerKernels.Samples.Tests.SampleAssert;

namespace TransformerKernels.Samples.Tests;

/// <summary>
/// The generation sample as its users run it: streams a continuation and reports its speed, is reproducible with --seed,
/// greedy gives PyTorch's continuation, --self-test passes, and every bad option ends in one line naming it and exit code 2.
/// </summary>
public sealed class GenerateCommandTests
{
    private static SampleResult Generate(params string[] arguments) => SampleProcess.Run("Generate", "generate", arguments);

    [Fact]
    public void SelfTestPasses()
    {
        SampleResult result = Generate("--self-test");
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("self-test passed", result.Output);
        Assert.DoesNotContain("FAIL", result.Output);
    }

    [Theory]
    [InlineData("llama")]
    [InlineData("gpt2")]
    public void GreedyContinuesAsPyTorchDoes(string model)
    {
        GreedyContinuation expected = FortuneReference.Load(Path.Combine(SampleProcess.OutputDirectory("Generate"), "fortunes")).Continuations[1];
        // --repetition-penalty 1: the sample's default (1.1) would steer away from PyTorch's plain greedy choice.
        string[] greedy = ["--greedy", "--repetition-penalty", "1", "--max-tokens", "40"];
        SampleResult result = model == "gpt2" ? Generate([.. greedy, "--gpt2", expected.Prompt]) : Generate([.. greedy, expected.Prompt]);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(model == "gpt2" ? expected.Gpt2Text : expected.LlamaText, result.Output.TrimEnd('\n'));
        Assert.Matches(@"^\d+ tokens in [\d.]+ ms — \d+ tokens/s", result.Error);
    }

    [Fact]
    public void ASeedMakesTheContinuationReproducible()
    {
        SampleResult first = Generate("--seed", "42", "--max-tokens", "30", "Life is");
        SampleResult second = Generate("--seed", "42", "--max-tokens", "30", "Life is");
        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.StartsWith("Life is", first.Output);
        Assert.Equal(first.Output, second.Output);
    }

    [Theory]
    [InlineData("1e-38", "1")]
    [InlineData("1e-45", "1")]
    [InlineData("1e-38", "1e-45")]
    [InlineData("1e-45", "3e38")]
    public void ATinyTemperatureContinuesAsGreedyDoes(string temperature, string penalty)
    {
        // Issue 30 item 7: logits × (1 / T) overflowed to ∞ and sampling returned a wrong token. A temperature near 0 is
        // greedy in the limit, with the sample's default top-k and top-p, with top-k 1, and with penalties at float's ends.
        string[] common = ["--repetition-penalty", penalty, "--max-tokens", "24", "--seed", "3", "Life is"];
        SampleResult greedy = Generate(["--greedy", .. common]);
        Assert.True(greedy.ExitCode == 0, greedy.ToString());
        foreach (string[] sampling in new[] { new[] { "--temperature", temperature }, ["--temperature", temperature, "--top-k", "1"] })
        {
            SampleResult tiny = Generate([.. sampling, .. common]);
            Assert.True(tiny.ExitCode == 0, tiny.ToString());
            Assert.Equal(greedy.Output, tiny.Output);
        }
    }

    [Theory]
    [InlineData("--temperature", "0")]
    [InlineData("--temperature", "-1")]
    [InlineData("--top-p", "0")]
    [InlineData("--top-p", "1.5")]
    [InlineData("--top-k", "-3")]
    [InlineData("--max-tokens", "0")]
    [InlineData("--repetition-penalty", "0")]
    [InlineData("--seed", "x")]
    [InlineData("--precision", "fp8")]
    public void AnOptionOutOfRangeIsOneLine(string option, string value) => AssertInputError(Generate(option, value, "Life is"), option);

    [Fact]
    public void MoreTokensThanThePositionsHoldIsNamed() =>
        AssertInputError(Generate("--max-tokens", "300", "Life is"), "MaxNewTokens", "256");

    [Fact]
    public void AMissingPromptIsOneLine() => AssertInputError(Generate(), "prompt");

    [Fact]
    public void AModelDirectoryWithoutTheTokenizerIsNamed()
    {
        string directory = Directory.CreateTempSubdirectory("tk-generate").FullName;
        try
        {
            AssertInputError(Generate("--model", directory, "Life is"), "tokenizer.model");
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
