using static TransformerKernels.Samples.Tests.SampleAssert;

namespace TransformerKernels.Samples.Tests;

/// <summary>
/// The translation sample as a hostile user meets it: every bad option, model file and setting ends in one line on
/// standard error that names what is wrong, exit code 2, and a stack trace only with --verbose.
/// </summary>
public sealed class TranslateCommandTests : IDisposable
{
    private readonly string _scratch = Directory.CreateTempSubdirectory("tk-translate-cli").FullName;

    private static SampleResult Translate(params string[] arguments) => SampleProcess.Run("Translate", "translate", arguments);

    private static SampleResult TranslateWith(IDictionary<string, string?> environment, params string[] arguments) =>
        SampleProcess.Run("Translate", "translate", arguments, environment);

    [Fact]
    public void TranslatesTheSeedsExample()
    {
        SampleResult result = Translate("我有一只猫");
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("I have a cat", result.Output.Trim());
    }

    [Theory]
    [InlineData("100000")]
    [InlineData("2147483647")]
    [InlineData("0")]
    [InlineData("abc")]
    public void ABeamWidthOutsideTheLimitIsOneLine(string beam) => AssertInputError(Translate("--beam", beam, "我有一只猫"), "--beam", "128");

    /// <summary>A model directory holding the committed model with one file changed.</summary>
    private string ModelWith(string file, Action<string> change)
    {
        string directory = Path.Combine(_scratch, Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        foreach (string source in Directory.EnumerateFiles(Path.Combine(SampleProcess.OutputDirectory("Translate"), "model")))
        {
            File.Copy(source, Path.Combine(directory, Path.GetFileName(source)));
        }
        change(Path.Combine(directory, file));
        return directory;
    }

    public static TheoryData<string, string> DamagedWeights => new()
    {
        { "missing", "translator.safetensors" },
        { "directory", "is a directory" },
        { "truncated", "translator.safetensors" },
        { "random", "translator.safetensors" },
        { "other shape", "the declared model needs" },
    };

    [Theory]
    [MemberData(nameof(DamagedWeights))]
    public void ABadWeightsFileIsOneLineNamingIt(string damage, string expected)
    {
        string model = ModelWith("translator.safetensors", path =>
        {
            switch (damage)
            {
                case "missing":
                    File.Delete(path);
                    break;
                case "directory":
                    File.Delete(path);
                    Directory.CreateDirectory(path);
                    break;
                case "truncated":
                    using (var stream = new FileStream(path, FileMode.Open))
                    {
                        stream.SetLength(stream.Length / 2);
                    }
                    break;
                case "random":
                    File.WriteAllBytes(path, Enumerable.Range(0, 100_000).Select(i => (byte)(i * 7919 % 251)).ToArray());
                    break;
                case "other shape":
                    File.Copy(Path.Combine(SampleProcess.Fixtures, "transformer_post_relu.safetensors"), path, overwrite: true);
                    break;
            }
        });
        AssertInputError(Translate("--model", model, "我有一只猫"), expected);
        SampleResult verbose = Translate("--model", model, "--verbose", "我有一只猫");
        Assert.Equal(2, verbose.ExitCode);
        Assert.True(verbose.HasStackTrace, "--verbose shows where\n" + verbose);
    }

    [Fact]
    public void AMissingModelDirectoryIsOneLine() => AssertInputError(Translate("--model", Path.Combine(_scratch, "nothing"), "我有一只猫"), "nothing");

    [Fact]
    public void AnEmptyVocabularyIsOneLineNamingIt() =>
        AssertInputError(Translate("--model", ModelWith("target_vocab.txt", path => File.WriteAllText(path, "")), "我有一只猫"), "target_vocab.txt", "empty");

    [Fact]
    public void AnAttentionFileInAMissingDirectoryIsOneLine() =>
        AssertInputError(Translate("--attention", Path.Combine(_scratch, "no", "such", "map.svg"), "我有一只猫"), Path.Combine(_scratch, "no", "such"));

    [Fact]
    public void ALongInputIsQuotedByAPrefix()
    {
        SampleResult result = Translate(new string('我', 10_000));
        AssertInputError(result, "10000 characters");
        Assert.True(result.Error.Length < 300, $"{result.Error.Length} characters of error");
    }

    [Fact]
    public void ArgumentsAfterDoubleDashAreSentences() =>
        AssertInputError(Translate("--", "--beam"), "cannot translate \"--beam\"");

    [Theory]
    [InlineData("abc", "not a whole number")]
    [InlineData("0", "not a whole number")]
    [InlineData("-1", "not a whole number")]
    [InlineData("99999999", "more than the")]
    public void ABadThreadSettingIsNamedAndTheProcessorCountUsed(string threads, string expected)
    {
        SampleResult result = TranslateWith(new Dictionary<string, string?> { ["TK_THREADS"] = threads }, "--verbose", "我有一只猫");
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains($"TK_THREADS", result.Error);
        Assert.Contains(expected, result.Error);
        Assert.Contains($"threads: {Environment.ProcessorCount};", result.Output);
    }

    public void Dispose() => Directory.Delete(_scratch, recursive: true);
}
