using System.Diagnostics;

namespace TransformerKernels.Samples.Tests;

/// <summary>
/// Runs a bash script with the samples' executables on PATH, for what only a shell can set up: pipes, FIFOs, process
/// substitution, closed standard streams. Bounded in time; optionally samples the peak memory of a process the script starts.
/// </summary>
public static class ShellRun
{
    /// <summary>The samples' build output directories, joined as a PATH prefix.</summary>
    private static string SamplesPath => string.Join(':', new[] { "Embed", "Generate", "Translate" }.Select(SampleProcess.OutputDirectory));

    /// <summary>Runs <paramref name="script"/> under bash; a run longer than <paramref name="limit"/> is killed and fails the test.</summary>
    public static SampleResult Run(string script, TimeSpan limit, IDictionary<string, string?>? environment = null)
    {
        var start = new ProcessStartInfo("/bin/bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(script);
        start.Environment["PATH"] = SamplesPath + ":" + Environment.GetEnvironmentVariable("PATH");
        foreach ((string name, string? value) in environment ?? new Dictionary<string, string?>())
        {
            start.Environment[name] = value;
        }
        using var process = Process.Start(start)!;
        Task<string> output = process.StandardOutput.ReadToEndAsync(), error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(limit))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"bash -c '{script}' did not finish within {limit.TotalSeconds:F0} s");
        }
        return new SampleResult(process.ExitCode, output.Result, error.Result);
    }

    /// <summary>
    /// Starts <paramref name="executable"/> of samples/<paramref name="project"/> with its standard output discarded, lets
    /// it run until it exits or <paramref name="limit"/> passes (then kills it), and returns its exit code (null when killed)
    /// and the largest resident set it reached (VmHWM, sampled every 50 ms), in bytes.
    /// </summary>
    public static (int? ExitCode, long PeakBytes, string Error) PeakMemory(string project, string executable, string[] arguments, TimeSpan limit,
                                                                        IDictionary<string, string?>? environment = null)
    {
        var start = new ProcessStartInfo(Path.Combine(SampleProcess.OutputDirectory(project), executable))
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        foreach ((string name, string? value) in environment ?? new Dictionary<string, string?>())
        {
            start.Environment[name] = value;
        }
        using var process = Process.Start(start)!;
        Task output = process.StandardOutput.BaseStream.CopyToAsync(Stream.Null);
        Task<string> error = process.StandardError.ReadToEndAsync();
        long peak = 0;
        var clock = Stopwatch.StartNew();
        while (!process.HasExited && clock.Elapsed < limit)
        {
            peak = Math.Max(peak, HighWaterMark(process.Id));
            Thread.Sleep(50);
        }
        int? exitCode = null;
        if (process.HasExited)
        {
            exitCode = process.ExitCode;
        }
        else
        {
            peak = Math.Max(peak, HighWaterMark(process.Id));
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
        }
        output.Wait();
        return (exitCode, peak, error.Result);
    }

    private static long HighWaterMark(int pid)
    {
        try
        {
            string? line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
            return line is null ? 0 : long.Parse(line[6..].Trim().Split(' ')[0]) * 1024;
        }
        catch (IOException)
        {
            return 0; // exited between the check and the read
        }
    }

    /// <summary>Quotes <paramref name="value"/> for bash.</summary>
    public static string Quote(string value) => "'" + value.Replace("'", "'\\''") + "'";
}
