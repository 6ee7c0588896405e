using System.Text;
using Microsoft.Win32.SafeHandles;

namespace TransformerKernels.Samples;

/// <summary>
/// Makes the samples behave when a standard stream is closed or its reader goes away, as Unix tools do:
/// <list type="bullet">
/// <item>A closed standard input (<c>&lt;&amp;-</c>) reads as closed, not as the runtime's own pipe: the .NET runtime opens
/// pipes of its own at start-up, and the first one lands on the lowest free descriptor, so a program started without fd 0
/// would otherwise wait forever on a pipe only it can write to. The same holds for fds 1 and 2.</item>
/// <item>A closed standard error (<c>2&gt;&amp;-</c>) swallows diagnostics instead of aborting the process.</item>
/// <item>A closed standard output is reported by name (<see cref="OutputClosed"/>) before any work is done.</item>
/// <item>A reader that goes away (<c>| head -c 10</c>) stops the program at the next write: .NET's console stream ignores
/// EPIPE, so standard output, when it is a pipe or a socket, is replaced by a stream that throws
/// <see cref="OutputClosedException"/> instead, which <see cref="CommandErrors.Report"/> turns into exit code 141, the
/// status of a Unix tool ended by SIGPIPE.</item>
/// </list>
/// Call <see cref="Guard"/> first thing in Main. Descriptors are read from /proc/self/fd (Linux); elsewhere nothing changes.
/// </summary>
internal static class StandardStreams
{
    /// <summary>Standard input was closed when the program started (reads give end of input).</summary>
    public static bool InputClosed { get; private set; }

    /// <summary>Standard output was closed when the program started: nothing the program prints can be seen.</summary>
    public static bool OutputClosed { get; private set; }

    /// <summary>
    /// Standard output is a pipe or a socket: the only kinds whose reader can go away. A regular file keeps the console's
    /// stream, which writes at the descriptor's shared offset (a FileStream over fd 1 would keep an offset of its own and
    /// overwrite what another program wrote to the same file, as in <c>{ translate …; translate …; } &gt; out.txt</c>).
    /// </summary>
    private static bool OutputToPipe { get; set; }

    /// <summary>Exit code of a program whose standard output was closed by its reader (128 + SIGPIPE).</summary>
    public const int BrokenPipeExitCode = 141;

    /// <summary>Checks fds 0–2 and replaces the console's streams where they are closed or could hide a closed reader.</summary>
    public static void Guard()
    {
        if (!OperatingSystem.IsLinux() || !Directory.Exists("/proc/self/fd"))
        {
            return;
        }
        string?[] targets = new string?[3];
        var reading = new HashSet<string>(StringComparer.Ordinal);
        var writing = new HashSet<string>(StringComparer.Ordinal);
        foreach (string entry in Directory.EnumerateFileSystemEntries("/proc/self/fd"))
        {
            if (!int.TryParse(Path.GetFileName(entry), out int fd) || LinkTarget(entry) is not { } target)
            {
                continue;
            }
            if (fd is >= 0 and <= 2)
            {
                targets[fd] = target;
            }
            if (target.StartsWith("pipe:", StringComparison.Ordinal) && AccessMode(fd) is { } mode)
            {
                (mode == 0 ? reading : writing).Add(target);
            }
        }
        // Closed: no such descriptor, or one of the runtime's own pipes (this process holds both of its ends; a pipe from
        // the shell has one end here) or event objects took its number.
        bool Closed(int fd) => targets[fd] is not { } target || target.StartsWith("anon_inode:", StringComparison.Ordinal)
                               || reading.Contains(target) && writing.Contains(target);
        if (Closed(0))
        {
            InputClosed = true;
            Console.SetIn(TextReader.Null);
        }
        if (Closed(2))
        {
            Console.SetError(TextWriter.Null);
        }
        if (Closed(1))
        {
            OutputClosed = true;
            Console.SetOut(TextWriter.Null);
        }
        else if (targets[1] is { } output && (output.StartsWith("pipe:", StringComparison.Ordinal) || output.StartsWith("socket:", StringComparison.Ordinal)))
        {
            OutputToPipe = true;
            Console.SetOut(new StreamWriter(new OutputStream(), new UTF8Encoding(false), 1 << 12) { AutoFlush = true });
        }
    }

    /// <summary>Opens standard input as a stream: the real one, or an empty one when it was closed at start.</summary>
    public static Stream OpenInput() => InputClosed ? Stream.Null : Console.OpenStandardInput();

    /// <summary>
    /// Opens standard output as a stream to write through a buffer of one's own: one that throws
    /// <see cref="OutputClosedException"/> when the reader went away (a pipe or socket, as <see cref="Guard"/> found), else the console's.
    /// </summary>
    public static Stream OpenOutput() => OutputToPipe ? new OutputStream() : Console.OpenStandardOutput();

    /// <summary>O_ACCMODE of an open descriptor (0 read, 1 write, 2 both), from the "flags:" line of /proc/self/fdinfo.</summary>
    private static int? AccessMode(int fd)
    {
        try
        {
            foreach (string line in File.ReadLines($"/proc/self/fdinfo/{fd}"))
            {
                if (line.StartsWith("flags:", StringComparison.Ordinal))
                {
                    return (int)(Convert.ToInt64(line[6..].Trim(), 8) & 3);
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
        }
        return null;
    }

    private static string? LinkTarget(string entry)
    {
        try
        {
            return new FileInfo(entry).LinkTarget;
        }
        catch (IOException)
        {
            return null; // the descriptor closed while we looked (the enumeration's own, for one)
        }
    }

    /// <summary>Standard output (fd 1) written directly, so that a write to a pipe without reader throws.</summary>
    private sealed class OutputStream : Stream
    {
        private readonly FileStream _fd = new(new SafeFileHandle(1, ownsHandle: false), FileAccess.Write, bufferSize: 0);

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            try
            {
                _fd.Write(buffer);
            }
            catch (IOException e)
            {
                throw new OutputClosedException(e);
            }
        }
    }
}

/// <summary>Standard output could not be written: its reader went away (<see cref="BrokenPipe"/>) or the write failed.</summary>
internal sealed class OutputClosedException(IOException inner) : IOException("standard output could not be written: " + inner.Message, inner)
{
    private const int Epipe = 32; // Linux's errno, which .NET keeps as the HResult of the I/O error it raises

    /// <summary>The reader of a pipe went away: the normal end of <c>… | head</c>, not a failure to report.</summary>
    public bool BrokenPipe => inner.HResult == Epipe || inner.Message.Contains("Broken pipe", StringComparison.Ordinal);
}
