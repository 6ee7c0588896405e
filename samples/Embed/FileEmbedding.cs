using System.Diagnostics;
using System.Globalization;
using System.Text;
using TransformerKernels.MiniLM;
using TransformerKernels.Samples;

/// <summary>
/// <c>embed --file FILE</c>: every line of FILE (or standard input) that has something to embed, embedded in order and
/// written as a JSON line. Lines are read, embedded (as packed batches) and written a block at a time, so memory stays
/// bounded however long the input, and any input streams: pipes, FIFOs, <c>/dev/stdin</c>, <c>&lt;(…)</c>. A line keeps at
/// most <see cref="MaxLineChars"/> characters. A progress bar goes to standard error when it is a terminal; the throughput
/// is printed at the end.
/// </summary>
internal static class FileEmbedding
{
    /// <summary>Lines embedded (as packed batches) and written per block.</summary>
    public const int BlockLines = 1024;

    /// <summary>
    /// Characters of a line that are kept. The model reads at most 254 word pieces, and a piece stands for at most 100
    /// characters of a word (longer words are one [UNK]) or one symbol, so text reaches the model's limit within a few
    /// thousand characters; the rest of a longer line is read and dropped, which bounds memory (a 50 MB line would otherwise
    /// be held and normalized whole). A line whose kept part does not reach the model's limit — mostly spaces or control
    /// characters — may embed differently from the whole line: it is named on standard error.
    /// </summary>
    public const int MaxLineChars = 1 << 16;

    public static int Run(SentenceEmbedder embedder, string path)
    {
        const string Tool = "embed";
        if (path == "-" && StandardStreams.InputClosed)
        {
            return CommandErrors.Usage(Tool, "--file -: standard input is closed; give a file or pipe text in");
        }
        Stream stream = path == "-" ? StandardStreams.OpenInput() : new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 16);
        using var input = new BoundedLineReader(new StreamReader(stream, Encoding.UTF8, detectEncodingFromByteOrderMarks: true, 1 << 16), MaxLineChars);
        bool bar = !Console.IsErrorRedirected;
        // The bar's total needs a first pass over the input: only for a regular file (a pipe or FIFO can be read once).
        long total = bar && stream.CanSeek && path != "-" ? CountLines(path) : -1;
        using var output = new StreamWriter(StandardStreams.OpenOutput(), new UTF8Encoding(false), 1 << 16);
        var clock = Stopwatch.StartNew();
        long done = 0;
        // Lines are tokenized once, as they are read: the empty-text rule, the truncation warning and the forward passes
        // all use these ids.
        var block = new List<int[]>(BlockLines);
        var line = new StringBuilder();
        while (true)
        {
            block.Clear();
            // The block is checked before a line is read: a line read into a full block would be lost.
            while (block.Count < BlockLines && input.ReadLine(out bool cut) is { } text)
            {
                int[] ids = embedder.Tokenize(text);
                if (SentenceEmbedder.IsEmptyTokenization(ids))
                {
                    continue;
                }
                if (cut && ids.Length < AllMiniLmL6V2.MaxSeqLen)
                {
                    Console.Error.WriteLine($"{Tool}: warning: line {input.LineNumber} is longer than {MaxLineChars} characters and they hold fewer word pieces than the model reads: only those characters are embedded");
                }
                block.Add(ids);
            }
            if (block.Count == 0)
            {
                break;
            }
            long before = done;
            var progress = bar ? new InlineProgress(count => Draw(before + count, total, clock.Elapsed)) : null;
            foreach (float[] embedding in embedder.EmbedTokens(block, CancellationToken.None, progress))
            {
                line.Clear().Append('[');
                for (int j = 0; j < embedding.Length; j++)
                {
                    line.Append(j == 0 ? "" : ",").Append(embedding[j].ToString("R", CultureInfo.InvariantCulture));
                }
                output.WriteLine(line.Append(']'));
            }
            done += block.Count;
        }
        output.Flush();
        if (bar)
        {
            Console.Error.WriteLine();
        }
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{Tool}: {done} texts in {clock.Elapsed.TotalSeconds:F2} s = {done / Math.Max(clock.Elapsed.TotalSeconds, 1e-9):F1} sentences/s"));
        return 0;
    }

    /// <summary>Lines that are not blank, for the progress bar (a few lines with nothing to embed make it end early).</summary>
    private static long CountLines(string path)
    {
        using var reader = new BoundedLineReader(new StreamReader(path, Encoding.UTF8, detectEncodingFromByteOrderMarks: true), MaxLineChars);
        long count = 0;
        while (reader.ReadLine(out _) is { } text)
        {
            count += string.IsNullOrWhiteSpace(text) ? 0 : 1;
        }
        return count;
    }

    private static void Draw(long done, long total, TimeSpan elapsed)
    {
        const int width = 30;
        string rate = (done / Math.Max(elapsed.TotalSeconds, 1e-9)).ToString("F0", CultureInfo.InvariantCulture);
        Console.Error.Write(total > 0
            ? $"\r[{new string('#', (int)(width * Math.Min(done, total) / total)).PadRight(width)}] {done}/{total} ({rate}/s)"
            : $"\r{done} texts ({rate}/s)");
    }

    /// <summary>Reports on the calling thread, as the embedder makes progress (Progress&lt;T&gt; would post to the thread pool).</summary>
    private sealed class InlineProgress(Action<int> report) : IProgress<int>
    {
        public void Report(int value) => report(value);
    }
}
