using TransformerKernels;

namespace TransformerKernels.Samples;

/// <summary>
/// How the samples end on failure: one line on standard error naming the file or setting and what is wrong with it, the
/// stack trace only with --verbose, and an exit code a script can act on.
/// </summary>
internal static class CommandErrors
{
    /// <summary>Exit code for a bad command line, input file or environment setting: the user can fix it.</summary>
    public const int UsageOrInput = 2;

    /// <summary>Exit code for everything else: a self-test mismatch or an unexpected failure.</summary>
    public const int Failure = 1;

    /// <summary>Prints <paramref name="message"/> as one line prefixed by the tool's name; returns <see cref="UsageOrInput"/>.</summary>
    public static int Usage(string tool, string message)
    {
        Console.Error.WriteLine($"{tool}: {message}");
        return UsageOrInput;
    }

    /// <summary>Reports an exception as one line (and its stack with <paramref name="verbose"/>); returns its exit code.</summary>
    /// <param name="tool">The program's name, the start of the line.</param>
    /// <param name="error">What was thrown.</param>
    /// <param name="verbose">Also print the exception with its stack trace.</param>
    /// <param name="file">The file being read when it was thrown, named when the message does not name it already.</param>
    public static int Report(string tool, Exception error, bool verbose, string? file = null)
    {
        if (error is OutputClosedException { BrokenPipe: true })
        {
            return StandardStreams.BrokenPipeExitCode; // the reader has all it wanted: stop quietly, as `yes | head` does
        }
        string message = error.Message.ReplaceLineEndings(" ");
        if (file is not null && !message.Contains(Path.GetFileName(file), StringComparison.Ordinal))
        {
            message = $"{file}: {message}";
        }
        else if (error is SafeTensorsFormatException format && !message.Contains(format.FilePath, StringComparison.Ordinal))
        {
            message = $"{Path.GetDirectoryName(Path.GetFullPath(format.FilePath))}/{message}";
        }
        Console.Error.WriteLine($"{tool}: {message}");
        if (verbose)
        {
            Console.Error.WriteLine(error);
        }
        return IsInputError(error) ? UsageOrInput : Failure;
    }

    /// <summary>
    /// Runs a sample's command: standard streams checked first (<see cref="GuardStandardStreams"/>), and a standard output
    /// that fails at any write — inside or outside the command's own error handling — reported as <see cref="Report"/> does.
    /// </summary>
    public static int Run(string tool, string[] args, Func<string[], int> run)
    {
        if (GuardStandardStreams(tool) is { } closed)
        {
            return closed;
        }
        try
        {
            return run(args);
        }
        catch (OutputClosedException e)
        {
            return Report(tool, e, verbose: false);
        }
    }

    /// <inheritdoc cref="Run"/>
    public static async Task<int> RunAsync(string tool, string[] args, Func<string[], Task<int>> run)
    {
        if (GuardStandardStreams(tool) is { } closed)
        {
            return closed;
        }
        try
        {
            return await run(args).ConfigureAwait(false);
        }
        catch (OutputClosedException e)
        {
            return Report(tool, e, verbose: false);
        }
    }

    /// <summary>
    /// Checks the standard streams (<see cref="StandardStreams.Guard"/>); returns the exit code to stop with when standard
    /// output is closed (nothing the program does could be seen), else null.
    /// </summary>
    private static int? GuardStandardStreams(string tool)
    {
        StandardStreams.Guard();
        return StandardStreams.OutputClosed ? Usage(tool, "standard output is closed: there is nowhere to write the results (was it started with >&-?)") : null;
    }

    /// <summary>Errors in what the user gave: files that are missing, unreadable or malformed, settings that cannot work.</summary>
    public static bool IsInputError(Exception error) => error is FileNotFoundException or DirectoryNotFoundException
        or UnauthorizedAccessException or FormatException or InvalidDataException or ModelWeightsException or ArgumentException
        or CacheDirectoryException;
}
