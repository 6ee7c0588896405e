namespace TransformerKernels.Samples.Tests;

/// <summary>The embedding sample's command line and cache settings: one line per problem, documented exit codes.</summary>
public sealed class EmbedCommandTests : IDisposable
{
    private readonly string _scratch = Directory.CreateTempSubdirectory("tk-embed-cli").FullName;

    private SampleResult Embed(string cache, params string[] arguments) =>
        SampleProcess.Run("Embed", "embed", arguments, new Dictionary<string, string?> { ["TK_CACHE"] = cache });

    [Fact]
    public void ACachePathThatIsAFileOrBelowOneIsOneLine()
    {
        string file = Path.Combine(_scratch, "a-file");
        File.WriteAllText(file, "not a directory");
        foreach ((string cache, string expected) in new[] { (file, "is a file"), (Path.Combine(file, "below"), "lies below the file") })
        {
            SampleResult result = Embed(cache, "Hello");
            Assert.True(result.ExitCode == 2, result.ToString());
            Assert.True(result.ErrorLines.Length == 1, result.ToString());
            Assert.Contains(cache, result.Error);
            Assert.Contains(expected, result.Error);
            Assert.Contains("TK_CACHE", result.Error);
        }
    }

    [Fact]
    public void TextsStartingWithDoubleDashAreEmbeddedAfterTheSeparatorAndEmptyTextsAreRefused()
    {
        string cache = Path.Combine(_scratch, "cache");
        SampleResult result = Embed(cache, "--json", "--", "--not-an-option", "Hello");
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(2, result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);

        SampleResult unknown = Embed(cache, "--not-an-option");
        Assert.True(unknown.ExitCode == 2 && unknown.ErrorLines.Length == 1, unknown.ToString());
        Assert.Contains("--not-an-option", unknown.Error);

        SampleResult empty = Embed(cache, "Hello", " ");
        Assert.True(empty.ExitCode == 2 && empty.ErrorLines.Length == 1, empty.ToString());
        Assert.Contains("sentence 2 has nothing to embed", empty.Error);

        // --file: one JSON line per non-blank line, in order, each equal to embedding that text alone; throughput at the end.
        string[] texts = ["The first line.", "A second, longer line about something else entirely.", "--looks like an option"];
        string file = Path.Combine(_scratch, "texts.txt");
        File.WriteAllLines(file, [texts[0], "", texts[1], "   ", texts[2]]);
        SampleResult lines = Embed(cache, "--file", file);
        Assert.True(lines.ExitCode == 0, lines.ToString());
        string[] written = lines.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(texts.Length, written.Length);
        for (int i = 0; i < texts.Length; i++)
        {
            Assert.Equal(Embed(cache, "--json", "--", texts[i]).Output.Trim(), written[i]);
        }
        Assert.Contains("sentences/s", lines.Error);
        SampleResult missing = Embed(cache, "--file", Path.Combine(_scratch, "nothing.txt"));
        Assert.True(missing.ExitCode == 2 && missing.ErrorLines.Length == 1, missing.ToString());
    }

    public void Dispose() => Directory.Delete(_scratch, recursive: true);
}
