using System.Diagnostics;

namespace TransformerKernels.Tool;

/// <summary>Runs <c>dotnet publish</c> on a written project, its output passed through, and refuses a failed build.</summary>
internal static class Publisher
{
    /// <exception cref="ToolException">dotnet could not be started or the publish failed.</exception>
    public static void Publish(string project, string output, bool verbose)
    {
        // Published inside the project first: a publish directory that contains the project (OUT/source under OUT) would
        // exclude the project's own sources from its default globs. Then copied up.
        string staging = Path.Combine(Path.GetDirectoryName(project)!, "bin", "publish");
        if (Directory.Exists(staging))
        {
            Directory.Delete(staging, recursive: true);
        }
        var start = new ProcessStartInfo("dotnet") { UseShellExecute = false };
        foreach (string argument in new[] { "publish", project, "-c", "Release", "-o", staging, "-nologo", verbose ? "-v:n" : "-v:q" })
        {
            start.ArgumentList.Add(argument);
        }
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        using Process process = Process.Start(start) ?? throw new ToolException("could not start 'dotnet' (is the .NET SDK on PATH?)");
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new ToolException($"dotnet publish of '{project}' failed (exit {process.ExitCode}); its output is above");
        }
        foreach (string file in Directory.EnumerateFiles(staging, "*", SearchOption.AllDirectories))
        {
            string target = Path.Combine(output, Path.GetRelativePath(staging, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target, overwrite: true);
        }
    }
}
