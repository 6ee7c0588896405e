namespace TransformerKernels.Samples.Tests;

/// <summary>
/// <c>embed --file</c> at the boundaries of its blocks, on inputs that can be read only once, and on inputs with no end or
/// no line ends: one output per text, in order, with bounded memory.
/// </summary>
public sealed class EmbedFileTests : IDisposable
{
    private readonly string _scratch = Directory.CreateTempSubdirectory("tk-embed-file").FullName;
    private readonly Dictionary<string, string?> _environment;

    // Seven unrelated sentences repeated in turn: seven is prime to the block size (1,024), so a line lost or repeated at
    // any block boundary shifts every later output onto another sentence's embedding.
    private static readonly string[] Sentences =
    [
        "The cat sleeps on the warm windowsill.", "Quarterly revenue grew by eight percent.", "Photosynthesis turns light into sugar.",
        "She plays the violin every evening.", "The train to Lyon leaves at noon.", "Compilers translate source code into machine code.",
        "Heavy rain flooded the valley overnight.",
    ];

    public EmbedFileTests() => _environment = new() { ["TK_CACHE"] = Path.Combine(_scratch, "cache") };

    private string[] Expected()
    {
        SampleResult result = SampleProcess.Run("Embed", "embed", ["--json", "--", .. Sentences], _environment);
        Assert.True(result.ExitCode == 0, result.ToString());
        string[] lines = result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(Sentences.Length, lines.Length);
        return lines;
    }

    private static string[] Lines(SampleResult result) => result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    [Fact]
    public void EveryLineAtTheBlockBoundariesGivesOneOutputInOrder()
    {
        string[] expected = Expected();
        foreach (int count in new[] { 0, 1, 1023, 1024, 1025, 2049 })
        {
            // CRLF line ends in one case; the last line without a line end in every case.
            string end = count == 1025 ? "\r\n" : "\n";
            string file = Path.Combine(_scratch, $"lines-{count}.txt");
            File.WriteAllText(file, string.Join(end, Enumerable.Range(0, count).Select(i => Sentences[i % Sentences.Length])));
            SampleResult result = SampleProcess.Run("Embed", "embed", ["--file", file], _environment);
            Assert.True(result.ExitCode == 0, result.ToString());
            string[] written = Lines(result);
            Assert.True(written.Length == count, $"{count} lines gave {written.Length} embeddings");
            for (int i = 0; i < count; i++)
            {
                Assert.True(written[i] == expected[i % Sentences.Length], $"{count} lines: output {i} is not line {i}'s embedding");
            }
            Assert.Contains($"embed: {count} texts", result.Error);
        }
    }

    [Fact]
    public void InputsThatCanBeReadOnlyOnceStream()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }
        string[] expected = Expected()[..3];
        string file = Path.Combine(_scratch, "three.txt");
        File.WriteAllLines(file, Sentences[..3]);
        string fifo = Path.Combine(_scratch, "fifo");
        string quoted = ShellRun.Quote(file);
        foreach (string script in new[]
        {
            $"cat {quoted} | embed --file /dev/stdin",
            $"cat {quoted} | embed --file -",
            $"embed --file <(cat {quoted})",
            $"mkfifo {ShellRun.Quote(fifo)} && (cat {quoted} > {ShellRun.Quote(fifo)} &) && embed --file {ShellRun.Quote(fifo)}",
        })
        {
            SampleResult result = ShellRun.Run(script, TimeSpan.FromMinutes(1), _environment);
            Assert.True(result.ExitCode == 0, $"{script}\n{result}");
            Assert.True(expected.SequenceEqual(Lines(result)), $"{script}: not the three embeddings in order\n{result}");
            File.Delete(fifo);
        }
    }

    [Fact]
    public void TextsWithNothingToEmbedFollowOneRule()
    {
        // No tokens besides [CLS] and [SEP]: refused as arguments, skipped as lines of a file.
        foreach (string empty in new[] { "", " ", "\u0001\u0002", "\t\u200b", "\ue000" })
        {
            SampleResult refused = SampleProcess.Run("Embed", "embed", ["Hello", empty], _environment);
            SampleAssert.AssertInputError(refused, "sentence 2", "nothing to embed");
        }
        string file = Path.Combine(_scratch, "mixed.txt");
        File.WriteAllText(file, $"{Sentences[0]}\n\u0001\u0002\n   \n\u200b\u200b\n{Sentences[1]}\n");
        SampleResult result = SampleProcess.Run("Embed", "embed", ["--file", file], _environment);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.True(Expected()[..2].SequenceEqual(Lines(result)), result.ToString());
    }

    [Fact]
    public void MemoryStaysBoundedOnEndlessInputAndHugeLines()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }
        Expected(); // the cache exists before memory is measured
        // /dev/zero has no line end: reading whole lines reached 4.9 GB in 25 s (≈ 1.2 GB in the 6 s allowed here). Its NULs
        // are removed by the BERT clean-up, so it embeds nothing, for ever: the process is killed after 6 s.
        (int? endless, long endlessPeak, string endlessError) = ShellRun.PeakMemory("Embed", "embed", ["--file", "/dev/zero"], TimeSpan.FromSeconds(6), _environment);
        Assert.True(endless is null or 0, endlessError);
        Assert.True(endlessPeak < 600L << 20, $"embed --file /dev/zero reached {endlessPeak >> 20} MiB");

        // One 50 MB line: read whole and normalized whole it took 1.3 GB. Its first 64 Ki characters already hold more word
        // pieces than the model reads, so the embedding is that of the line's start.
        string file = Path.Combine(_scratch, "huge-line.txt");
        using (var writer = new StreamWriter(file))
        {
            for (int i = 0; i < 12_500_000 / 1000; i++)
            {
                writer.Write(string.Concat(Enumerable.Repeat("cat ", 1000)));
            }
        }
        (int? huge, long hugePeak, string hugeError) = ShellRun.PeakMemory("Embed", "embed", ["--file", file], TimeSpan.FromMinutes(1), _environment);
        Assert.True(huge == 0, hugeError);
        Assert.True(hugePeak < 600L << 20, $"a 50 MB line took {hugePeak >> 20} MiB");
        Assert.DoesNotContain("warning", hugeError);
        SampleResult whole = SampleProcess.Run("Embed", "embed", ["--file", file], _environment);
        SampleResult start = SampleProcess.Run("Embed", "embed", ["--json", string.Concat(Enumerable.Repeat("cat ", 300))], _environment);
        Assert.Equal(start.Output.Trim(), whole.Output.Trim());
    }

    public void Dispose() => Directory.Delete(_scratch, recursive: true);
}
