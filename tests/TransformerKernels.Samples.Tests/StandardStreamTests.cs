namespace TransformerKernels.Samples.Tests;

/// <summary>
/// The samples with a closed standard stream or a reader that goes away, as shells make them: no hang, no abort, one line
/// naming the stream, and generation that stops when nobody reads it.
/// </summary>
public sealed class StandardStreamTests : IDisposable
{
    private readonly string _scratch = Directory.CreateTempSubdirectory("tk-streams").FullName;
    private Dictionary<string, string?> Environment => new() { ["TK_CACHE"] = Path.Combine(_scratch, "cache") };

    private SampleResult Shell(string script) => ShellRun.Run(script, TimeSpan.FromSeconds(90), Environment);

    [Fact]
    public void AClosedStandardInputReadsAsClosedInsteadOfHanging()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }
        // The runtime's own pipe used to land on fd 0, and embed waited on it for ever.
        SampleResult result = Shell("embed --file - <&-");
        SampleAssert.AssertInputError(result, "standard input is closed");
    }

    [Fact]
    public void AClosedStandardOutputIsNamed()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }
        foreach (string command in new[] { "embed Hello", "generate --max-tokens 4 Hello", "translate 我有一只猫" })
        {
            SampleResult result = Shell($"{command} >&-");
            SampleAssert.AssertInputError(result, "standard output is closed");
        }
    }

    [Fact]
    public void AClosedStandardErrorDoesNotAbort()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }
        SampleResult generated = Shell("generate --seed 3 --max-tokens 8 'Life is' 2>&-");
        Assert.True(generated.ExitCode == 0, generated.ToString());
        Assert.StartsWith("Life is", generated.Output);
        SampleResult translated = Shell("translate --verbose 我有一只猫 2>&-");
        Assert.True(translated.ExitCode == 0, translated.ToString());
        Assert.Contains("I have a cat", translated.Output);
    }

    [Fact]
    public void GenerationStopsWhenItsReaderGoesAway()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }
        // head exits after 10 bytes; generate stops at its next write with SIGPIPE's status (141) and prints no speed line,
        // which it prints only after generating all it was asked for. 1,000 tokens do not fit the model: ask for its most.
        SampleResult result = Shell("generate --seed 1 --max-tokens 200 'Life is' | head -c 10 > /dev/null; echo \"status ${PIPESTATUS[0]}\"");
        Assert.True(result.Output.Trim() == "status 141", result.ToString());
        Assert.DoesNotContain("tokens/s", result.Error);
        SampleResult embedded = Shell($"embed --json {string.Join(' ', Enumerable.Range(0, 40).Select(i => $"'text {i}'"))} | head -c 10 > /dev/null; echo \"status ${{PIPESTATUS[0]}}\"");
        Assert.True(embedded.Output.Trim() == "status 141", embedded.ToString());
    }

    [Fact]
    public void ProgramsWritingOneFileInTurnKeepEachOthersOutput()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }
        // A stream of one's own over fd 1 kept its own offset: the second translation overwrote the first.
        string file = Path.Combine(_scratch, "out.txt");
        SampleResult result = Shell($"{{ echo start; translate 我有一只猫; generate --seed 1 --max-tokens 4 'Life is' 2> /dev/null; translate 她喜欢两条鱼; echo end; }} > '{file}'");
        Assert.True(result.ExitCode == 0, result.ToString());
        string[] lines = File.ReadAllLines(file);
        Assert.True(lines.Length == 5, string.Join('\n', lines));
        Assert.Equal(["start", "I have a cat"], lines[..2]);
        Assert.StartsWith("Life is", lines[2]);
        Assert.Equal(["She likes two fish", "end"], lines[3..]);
    }

    public void Dispose() => Directory.Delete(_scratch, recursive: true);
}
