using System.Diagnostics;
using System.Reflection;

namespace TransformerKernels.Samples.Tests;

/// <summary>What a sample printed and returned.</summary>
public sealed record SampleResult(int ExitCode, string Output, string Error)
{
    /// <summary>Standard error's lines.</summary>
    public string[] ErrorLines => Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    /// <summary>A stack trace's telltale line.</summary>
    public bool HasStackTrace => Error.Contains("   at ", StringComparison.Ordinal);

    public override string ToString() => $"exit {ExitCode}\nstdout: {Output}\nstderr: {Error}";
}

/// <summary>Starts a sample's executable from its build output with arguments and environment, with a time limit.</summary>
public static class SampleProcess
{
    private static string Metadata(string key) =>
        typeof(SampleProcess).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value!;

    /// <summary>The PyTorch parity fixtures (a safetensors file of another model's shape).</summary>
    public static string Fixtures => Metadata("TestFixtures");

    /// <summary>The build configuration of this test run (Release in CI).</summary>
    public static string Configuration => Metadata("Configuration");

    /// <summary>The repository's root (the samples folder's parent).</summary>
    public static string Repository => Path.GetDirectoryName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(Metadata("SamplesRoot"))))!;

    /// <summary>Where samples/<paramref name="project"/> was built, in the configuration of this test run.</summary>
    public static string OutputDirectory(string project) => Path.Combine(Metadata("SamplesRoot"), project, "bin", Metadata("Configuration"), "net10.0");

    /// <summary>Runs samples/<paramref name="project"/>'s <paramref name="executable"/>; a run over two minutes is killed and fails the test.</summary>
    public static SampleResult Run(string project, string executable, IEnumerable<string> arguments, IDictionary<string, string?>? environment = null)
    {
        string path = Path.Combine(OutputDirectory(project), executable);
        Assert.True(File.Exists(path), $"{path} was not built");
        var start = new ProcessStartInfo(path) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        foreach ((string name, string? value) in environment ?? new Dictionary<string, string?>())
        {
            start.Environment[name] = value;
        }
        using var process = Process.Start(start)!;
        Task<string> output = process.StandardOutput.ReadToEndAsync(), error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{executable} {string.Join(' ', arguments)} did not finish within two minutes");
        }
        return new SampleResult(process.ExitCode, output.Result, error.Result);
    }
}

/// <summary>What every sample owes a user who got something wrong.</summary>
public static class SampleAssert
{
    /// <summary>One line on standard error naming each of <paramref name="names"/>, exit code 2, no stack trace.</summary>
    public static void AssertInputError(SampleResult result, params string[] names)
    {
        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.True(result.ErrorLines.Length == 1, $"expected one line on stderr\n{result}");
        Assert.False(result.HasStackTrace, result.ToString());
        foreach (string name in names)
        {
            Assert.Contains(name, result.Error);
        }
    }
}
