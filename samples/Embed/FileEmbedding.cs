using System.Diagnostics;
using System.Globalization;
using System.Text;
using TransformerKernels.MiniLM;

/// <summary>
/// <c>embed --file FILE</c>: every non-blank line of FILE (or standard input) embedded in order and written as a JSON line.
/// Lines are read and embedded a block at a time, so memory stays bounded however long the input; a progress bar goes to
/// standard error when it is a terminal; the throughput is printed at the end.
/// </summary>
internal static class FileEmbedding
{
    /// <summary>Lines read, embedded (as packed batches) and written per block.</summary>
    private const int BlockLines = 1024;

    public static int Run(SentenceEmbedder embedder, string path)
    {
        using TextReader input = path == "-" ? Console.In : new StreamReader(path, Encoding.UTF8);
        long total = path == "-" ? -1 : File.ReadLines(path).LongCount(line => !string.IsNullOrWhiteSpace(line));
        bool bar = !Console.IsErrorRedirected && (total < 0 || total > BlockLines / 4);
        using var output = new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(false), 1 << 16);
        var clock = Stopwatch.StartNew();
        long done = 0;
        var block = new List<string>(BlockLines);
        var line = new StringBuilder();
        while (true)
        {
            block.Clear();
            while (block.Count < BlockLines && input.ReadLine() is { } text)
            {
                if (!string.IsNullOrWhiteSpace(text))
                {
                    block.Add(text);
                }
            }
            if (block.Count == 0)
            {
                break;
            }
            long before = done;
            var progress = bar ? new InlineProgress(count => Draw(before + count, total, clock.Elapsed)) : null;
            foreach (float[] embedding in embedder.Embed(block, CancellationToken.None, progress))
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
            $"embed: {done} texts in {clock.Elapsed.TotalSeconds:F2} s = {done / Math.Max(clock.Elapsed.TotalSeconds, 1e-9):F1} sentences/s"));
        return 0;
    }

    private static void Draw(long done, long total, TimeSpan elapsed)
    {
        const int width = 30;
        string rate = (done / Math.Max(elapsed.TotalSeconds, 1e-9)).ToString("F0", CultureInfo.InvariantCulture);
        Console.Error.Write(total > 0
            ? $"\r[{new string('#', (int)(width * done / total)).PadRight(width)}] {done}/{total} ({rate}/s)"
            : $"\r{done} texts ({rate}/s)");
    }

    /// <summary>Reports on the calling thread, as the embedder makes progress (Progress&lt;T&gt; would post to the thread pool).</summary>
    private sealed class InlineProgress(Action<int> report) : IProgress<int>
    {
        public void Report(int value) => report(value);
    }
}
