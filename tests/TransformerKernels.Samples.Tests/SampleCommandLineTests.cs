using System.Reflection;
using static TransformerKernels.Samples.Tests.SampleAssert;

namespace TransformerKernels.Samples.Tests;

/// <summary>
/// What every sample's command line gives (System.CommandLine for translate, generate and embed; the server's own parser):
/// <c>--version</c> prints the build's informational version, <c>--help</c> lists every option and the exit codes, and the
/// parser's own mistakes (a missing value, an unknown option, --version with more) are one line and exit code 2.
/// </summary>
public sealed class SampleCommandLineTests
{
    public static TheoryData<string, string> Samples => new()
    {
        { "Translate", "translate" },
        { "Generate", "generate" },
        { "Embed", "embed" },
        { "EmbeddingServer", "embedding-server" },
    };

    /// <summary>The options each sample's help must list.</summary>
    private static readonly Dictionary<string, string[]> Options = new()
    {
        ["translate"] = ["--beam", "--eval", "--attention", "--precision", "--model", "--verbose", "--self-test", "--version"],
        ["generate"] = ["--temperature", "--top-k", "--top-p", "--repetition-penalty", "--seed", "--max-tokens", "--greedy", "--gpt2",
                        "--precision", "--model", "--verbose", "--self-test", "--version"],
        ["embed"] = ["--json", "--file", "--precision", "--verbose", "--self-test", "--version"],
        ["embedding-server"] = ["--precision", "--chat-model", "--chat-precision", "--port", "--urls", "--version"],
    };

    private static SampleResult Run(string project, string executable, params string[] arguments) =>
        SampleProcess.Run(project, executable, arguments, new Dictionary<string, string?> { ["TK_CACHE"] = Path.Combine(Path.GetTempPath(), "tk-cli-unused-cache") });

    [Theory]
    [MemberData(nameof(Samples))]
    public void VersionIsTheInformationalVersion(string project, string executable)
    {
        // The samples and this assembly are built together from one commit with the same version properties.
        string expected = typeof(SampleCommandLineTests).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion;
        SampleResult result = Run(project, executable, "--version");
        Assert.True(result.ExitCode == 0 && result.Error.Length == 0, result.ToString());
        Assert.Equal(expected, result.Output.Trim());
    }

    [Theory]
    [MemberData(nameof(Samples))]
    public void HelpListsEveryOptionAndTheExitCodes(string project, string executable)
    {
        foreach (string help in new[] { "--help", "-h" })
        {
            SampleResult result = Run(project, executable, help);
            Assert.True(result.ExitCode == 0 && result.Error.Length == 0, result.ToString());
            foreach (string option in Options[executable])
            {
                Assert.Contains(option, result.Output);
            }
            Assert.Contains(executable == "embedding-server" ? "SIGTERM" : "exit codes:", result.Output);
        }
    }

    [Theory]
    [InlineData("Translate", "translate", "--beam")]
    [InlineData("Generate", "generate", "--seed")]
    [InlineData("Embed", "embed", "--file")]
    public void AnOptionWithoutItsValueIsOneLine(string project, string executable, string option) =>
        AssertInputError(Run(project, executable, option), option);

    [Theory]
    [InlineData("Translate", "translate")]
    [InlineData("Generate", "generate")]
    [InlineData("Embed", "embed")]
    public void AnUnknownOptionIsOneLineNamingIt(string project, string executable) =>
        AssertInputError(Run(project, executable, "--no-such-option", "text"), "'--no-such-option'");

    [Theory]
    [InlineData("Translate", "translate")]
    [InlineData("Generate", "generate")]
    [InlineData("Embed", "embed")]
    public void VersionWithOtherArgumentsIsOneLine(string project, string executable) =>
        AssertInputError(Run(project, executable, "--version", "text"), "--version");

    [Fact]
    public void AFirstArgumentInBracketsIsADirectiveAndAfterDoubleDashAText()
    {
        AssertInputError(Run("Translate", "translate", "[no-such-directive]", "我有一只猫"), "[no-such-directive]", "put -- before text");
        AssertInputError(Run("Translate", "translate", "--", "[no-such-directive]"), "cannot translate \"[no-such-directive]\"");
    }

    [Fact]
    public void ASwitchDoesNotTakeTheTextAfterIt()
    {
        // System.CommandLine's switches take an optional true/false by default: "--verbose true" would lose the text.
        SampleResult result = SampleProcess.Run("Generate", "generate", ["--max-tokens", "4", "--greedy", "true"]);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.StartsWith("true", result.Output);
    }
}
