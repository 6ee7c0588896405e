using System.Globalization;
using System.Text;
using System.Text.Json;
using BenchmarkDotNet.Reports;

namespace TransformerKernels.Bench;

/// <summary>
/// The sections of RESULTS.md that compare with the peers a user would pick instead: ONNX Runtime (measured here by
/// BenchmarkDotNet), PyTorch (bench/pytorch-results.json, written by bench/pytorch_bench.py in the same session) and cold
/// start (bench/coldstart.json, written by bench/coldstart.sh). Every figure is a ratio, ours ÷ theirs.
/// </summary>
internal static class PeerSections
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public static void Append(StringBuilder md, BenchmarkReport[] reports, double peak, bool quick)
    {
        string Method(BenchmarkReport r) => r.BenchmarkCase.Descriptor.WorkloadMethod.Name;
        string P(BenchmarkReport r, string name) => r.BenchmarkCase.Parameters[name]?.ToString() ?? "";
        double Mean(BenchmarkReport r) => r.ResultStatistics!.Mean;
        var chart = new List<(string Label, double Ours, double Theirs, string Peer)>();

        md.AppendLine("## all-MiniLM-L6-v2 end to end vs ONNX Runtime 1.31.1 (same token ids, threads matched)");
        md.AppendLine();
        md.AppendLine("ONNX Runtime's settings: `IntraOpNumThreads` = the row's threads, `InterOpNumThreads` = 1, `ORT_SEQUENTIAL`, " +
                      "`ORT_ENABLE_ALL` graph optimizations, CPU execution provider (MLAS picks its kernels from CPUID at run time); " +
                      "inputs and outputs are OrtValues built once.");
        md.AppendLine();
        md.AppendLine("| seq | batch | threads | TransformerKernels | % of peak | ONNX Runtime | % of peak | ours ÷ ORT | allocated (ours) |");
        md.AppendLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var group in reports.Where(r => r.BenchmarkCase.Descriptor.Type == typeof(MiniLmBenchmarks))
                     .GroupBy(r => (Length: int.Parse(P(r, "Length"), Invariant), Batch: int.Parse(P(r, "Batch"), Invariant), Threads: int.Parse(P(r, "Threads"), Invariant)))
                     .OrderBy(g => g.Key.Threads).ThenBy(g => g.Key.Length).ThenBy(g => g.Key.Batch))
        {
            BenchmarkReport? ours = group.FirstOrDefault(r => Method(r) == nameof(MiniLmBenchmarks.TransformerKernels));
            BenchmarkReport? ort = group.FirstOrDefault(r => Method(r) == nameof(MiniLmBenchmarks.OnnxRuntime));
            if (ours is null || ort is null)
            {
                continue;
            }
            double flops = MiniLmBenchmarks.Flops(group.Key.Batch, group.Key.Length);
            double totalPeak = peak * group.Key.Threads;
            string Percent(double ns) => totalPeak > 0 ? (flops / ns / totalPeak * 100).ToString("F0", Invariant) + "%" : "–";
            md.AppendLine(Invariant, $"| {group.Key.Length} | {group.Key.Batch} | {group.Key.Threads} | {Ms(Mean(ours))} | {Percent(Mean(ours))} | {Ms(Mean(ort))} | {Percent(Mean(ort))} | **{Mean(ours) / Mean(ort):F2}** | {Allocated(ours)} |");
            if (group.Key.Batch == 1)
            {
                chart.Add(($"MiniLM seq {group.Key.Length}, {group.Key.Threads}T", Mean(ours) / 1e6, Mean(ort) / 1e6, "ONNX Runtime"));
            }
        }
        md.AppendLine();

        AppendCorpus(md, reports);
        AppendTranslationBatches(md, reports);
        AppendGeneration(md, reports, peak);
        AppendDecodingSteps(md, reports);

        JsonElement? torch = ReadJson("pytorch-results.json");
        md.AppendLine("## vs PyTorch (bench/pytorch_bench.py, same session)");
        md.AppendLine();
        if (torch is { } t)
        {
            string core = t.TryGetProperty("openblas_core", out JsonElement coreName) && coreName.ValueKind == JsonValueKind.String
                ? $"; OpenBLAS kernel {coreName.GetString()} ({t.GetProperty("openblas_core_chosen").GetString()})"
                : "; OpenBLAS kernel not recorded (older pytorch_bench.py)";
            md.AppendLine($"PyTorch {t.GetProperty("torch").GetString()}, BLAS loaded: {string.Join(", ", t.GetProperty("blas").EnumerateArray().Select(b => b.GetString()))}{core}.");
            md.AppendLine();
            md.AppendLine("| workload | threads | TransformerKernels | PyTorch | ours ÷ PyTorch |");
            md.AppendLine("|---|---:|---:|---:|---:|");
            foreach (JsonElement c in t.GetProperty("cases").EnumerateArray())
            {
                string name = c.GetProperty("name").GetString()!;
                int threads = c.GetProperty("threads").GetInt32();
                if (name == "encoder_layer_d512")
                {
                    BenchmarkReport? block = reports.FirstOrDefault(r => r.BenchmarkCase.Descriptor.Type == typeof(LayerBenchmarks) && Method(r) == nameof(LayerBenchmarks.EncoderBlock)
                        && P(r, "Model").StartsWith("seed", StringComparison.Ordinal) && P(r, "Length") == "128" && P(r, "Threads") == threads.ToString(Invariant));
                    double theirs = c.GetProperty("ms").GetDouble();
                    md.AppendLine(Invariant, $"| encoder layer d512, seq 128 | {threads} | {(block is null ? "–" : Ms(Mean(block)))} | {theirs:F2} ms | {(block is null ? "–" : $"**{Mean(block) / 1e6 / theirs:F2}**")} |");
                    if (block is not null)
                    {
                        chart.Add(($"layer d512, {threads}T", Mean(block) / 1e6, theirs, "PyTorch"));
                    }
                }
                else if (name == "minilm_encoder")
                {
                    int seq = c.GetProperty("seq").GetInt32();
                    BenchmarkReport? ours = reports.FirstOrDefault(r => r.BenchmarkCase.Descriptor.Type == typeof(MiniLmBenchmarks) && Method(r) == nameof(MiniLmBenchmarks.TransformerKernels)
                        && P(r, "Length") == seq.ToString(Invariant) && P(r, "Batch") == "1" && P(r, "Threads") == threads.ToString(Invariant));
                    double theirs = c.GetProperty("ms").GetDouble();
                    md.AppendLine(Invariant, $"| MiniLM-shaped 6-layer encoder, seq {seq} (ours: whole model incl. embeddings) | {threads} | {(ours is null ? "–" : Ms(Mean(ours)))} | {theirs:F2} ms | {(ours is null ? "–" : $"**{Mean(ours) / 1e6 / theirs:F2}**")} |");
                }
                else if (name == "encoder_stack_d512")
                {
                    md.AppendLine(Invariant, $"| 6-layer encoder d512, seq 128 (PyTorch only; ours ≈ 6 × the layer) | {threads} | – | {c.GetProperty("ms").GetDouble():F2} ms | – |");
                }
                else if (name == "translate_tokens_s" && threads == 1)
                {
                    BenchmarkReport? ours = reports.FirstOrDefault(r => r.BenchmarkCase.Descriptor.Type == typeof(TranslationBenchmarks) && P(r, "Precision") == nameof(WeightPrecision.Fp32));
                    double theirs = c.GetProperty("tokens_per_s").GetDouble();
                    double oursRate = ours is null ? 0 : TranslationBenchmarks.TokensPerCall / (Mean(ours) / 1e9);
                    md.AppendLine(Invariant, $"| greedy translation of 我有一只猫, tokens/s (higher is better; PyTorch recomputes the target each step) | 1 | {(ours is null ? "–" : $"{oursRate:F0} tok/s")} | {theirs:F0} tok/s | {(ours is null ? "–" : $"**{oursRate / theirs:F1}× faster**")} |");
                }
                else if (name == "fortune_llama_tokens_s")
                {
                    BenchmarkReport? ours = reports.FirstOrDefault(r => r.BenchmarkCase.Descriptor.Type == typeof(FortuneGenerationBenchmarks) && P(r, "Threads") == threads.ToString(Invariant));
                    double theirs = c.GetProperty("tokens_per_s").GetDouble();
                    double oursRate = ours is null ? 0 : FortuneGenerationBenchmarks.NewTokens / (Mean(ours) / 1e9);
                    md.AppendLine(Invariant, $"| greedy generation, trained Llama-style fortune model, {FortuneGenerationBenchmarks.NewTokens} tokens, tokens/s (higher is better; both with a key/value cache) | {threads} | {(ours is null ? "–" : $"{oursRate:F0} tok/s")} | {theirs:F0} tok/s | {(ours is null ? "–" : $"**{oursRate / theirs:F1}× faster**")} |");
                }
            }
        }
        else
        {
            md.AppendLine("bench/pytorch-results.json is missing: run `bench/run.sh` (it installs Debian's torch and runs bench/pytorch_bench.py).");
        }
        md.AppendLine();

        JsonElement? cold = ReadJson("coldstart.json");
        md.AppendLine("## Cold start: process start → first result (median of repeated runs, bench/coldstart.sh)");
        md.AppendLine();
        if (cold is { } c2)
        {
            md.AppendLine("| program | median | runs |");
            md.AppendLine("|---|---:|---:|");
            foreach (JsonProperty p in c2.EnumerateObject())
            {
                md.AppendLine(Invariant, $"| {p.Name} | {p.Value.GetProperty("median_ms").GetDouble():F0} ms | {p.Value.GetProperty("runs").GetInt32()} |");
            }
        }
        else
        {
            md.AppendLine("bench/coldstart.json is missing: run `bench/coldstart.sh`.");
        }
        md.AppendLine();
        // The committed chart comes from a measured run: a quick (dry) run must not overwrite it.
        if (chart.Count > 0 && !quick)
        {
            string svg = Path.Combine(BenchDirectory, "latency.svg");
            Chart.Write(svg, chart);
            md.AppendLine("![latency, ours vs peer](latency.png)");
            md.AppendLine();
            md.AppendLine("`latency.svg` (and `latency.png`, converted by bench/run.sh): milliseconds per call, lower is better.");
        }
    }

    /// <summary>Sentences per second over the fortunes corpus: packed vs padded batches, ours and ONNX Runtime's.</summary>
    private static void AppendCorpus(StringBuilder md, BenchmarkReport[] reports)
    {
        BenchmarkReport[] corpus = reports.Where(r => r.BenchmarkCase.Descriptor.Type == typeof(CorpusBenchmarks)).ToArray();
        if (corpus.Length == 0)
        {
            return;
        }
        int texts = CorpusBenchmarks.CorpusSize;
        md.AppendLine($"## Embedding a corpus: {texts} texts of natural lengths (bench/corpus/fortunes.txt)");
        md.AppendLine();
        md.AppendLine($"Sentences per second (higher is better). Packed: the embedder's batches, rows back to back up to its token budget " +
                      $"(tokenization and pooling included). Padded: batches of {CorpusBenchmarks.PaddedBatch} texts padded to their longest, " +
                      "ours and ONNX Runtime's (real attention mask, ids prepared once), in corpus order and sorted by length (padding's best case). " +
                      "Int8: our embedder with int8 weights, packed, and ONNX Runtime's dynamically quantized graph on sorted padded batches.");
        md.AppendLine();
        md.AppendLine("| threads | ours packed | ours padded | ours padded, sorted | ONNX Runtime padded | ONNX Runtime padded, sorted | packed ÷ ours padded | packed ÷ ONNX Runtime's best | ours int8 packed | ONNX Runtime int8 padded, sorted | ours int8 ÷ ONNX Runtime FP32's best | ours int8 ÷ ONNX Runtime int8 |");
        md.AppendLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var group in corpus.GroupBy(r => r.BenchmarkCase.Parameters["Threads"]?.ToString() ?? "").OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            double Rate(string method) => group.Where(r => r.BenchmarkCase.Descriptor.WorkloadMethod.Name == method)
                .Select(r => texts / (r.ResultStatistics!.Mean / 1e9)).DefaultIfEmpty(double.NaN).First();
            double packed = Rate(nameof(CorpusBenchmarks.Packed)), padded = Rate(nameof(CorpusBenchmarks.Padded)), sorted = Rate(nameof(CorpusBenchmarks.PaddedSorted));
            double ort = Rate(nameof(CorpusBenchmarks.OnnxRuntimePadded)), ortSorted = Rate(nameof(CorpusBenchmarks.OnnxRuntimePaddedSorted));
            double int8 = Rate(nameof(CorpusBenchmarks.PackedInt8)), ortInt8 = Rate(nameof(CorpusBenchmarks.OnnxRuntimeInt8PaddedSorted));
            md.AppendLine(string.Create(Invariant, $"| {group.Key} | {packed:F0} | {padded:F0} | {sorted:F0} | {ort:F0} | {ortSorted:F0} | {packed / padded:F2}× | {packed / Math.Max(ort, ortSorted):F2}× | " +
                                                   $"{int8:F0} | {ortInt8:F0} | {int8 / Math.Max(ort, ortSorted):F2}× | {int8 / ortInt8:F2}× |"));
        }
        md.AppendLine();
    }

    /// <summary>Sentences per second translating the held-out set: one at a time against batched decoding.</summary>
    private static void AppendTranslationBatches(StringBuilder md, BenchmarkReport[] reports)
    {
        BenchmarkReport[] runs = reports.Where(r => r.BenchmarkCase.Descriptor.Type == typeof(TranslationBatchBenchmarks)).ToArray();
        if (runs.Length == 0)
        {
            return;
        }
        int sentences = TranslationBatchBenchmarks.SentenceCount;
        md.AppendLine($"## Translating {sentences} held-out sentences: one at a time vs batched");
        md.AppendLine();
        md.AppendLine($"Sentences per second (higher is better). Batched: `TranslateBatch` in batches of {ChineseEnglish.SentenceTranslator.DefaultBatch} " +
                      "(encoder packed; each decoding step one pass over the weights for every live beam of every running sentence).");
        md.AppendLine();
        md.AppendLine("| threads | beams | one at a time | batched | batched ÷ one at a time |");
        md.AppendLine("|---:|---:|---:|---:|---:|");
        foreach (var group in runs.GroupBy(r => (Threads: r.BenchmarkCase.Parameters["Threads"]?.ToString() ?? "", Beam: r.BenchmarkCase.Parameters["Beam"]?.ToString() ?? ""))
                     .OrderBy(g => g.Key.Threads, StringComparer.Ordinal).ThenBy(g => g.Key.Beam, StringComparer.Ordinal))
        {
            double Rate(string method) => group.Where(r => r.BenchmarkCase.Descriptor.WorkloadMethod.Name == method)
                .Select(r => sentences / (r.ResultStatistics!.Mean / 1e9)).DefaultIfEmpty(double.NaN).First();
            double single = Rate(nameof(TranslationBatchBenchmarks.OneAtATime)), batched = Rate(nameof(TranslationBatchBenchmarks.Batched));
            md.AppendLine(string.Create(Invariant, $"| {group.Key.Threads} | {group.Key.Beam} | {single:F0} | {batched:F0} | {batched / single:F2}× |"));
        }
        md.AppendLine();
    }

    /// <summary>Decoder-only generation: prefill as % of peak, decoding steps against streaming the weights at the measured bandwidth.</summary>
    private static void AppendGeneration(StringBuilder md, BenchmarkReport[] reports, double peak)
    {
        BenchmarkReport[] runs = reports.Where(r => r.BenchmarkCase.Descriptor.Type == typeof(GenerationBenchmarks)).ToArray();
        if (runs.Length == 0)
        {
            return;
        }
        double mb = GenerationBenchmarks.WeightBytes / 1e6;
        md.AppendLine($"## Decoder-only generation: a Llama-style model of {mb:F0} MB (FP32, random weights)");
        md.AppendLine();
        md.AppendLine($"`BenchLlama`: d512, 8 query heads over 2 key/value heads, SwiGLU 1408, 4 layers, vocabulary 8000, RMSNorm, rotary positions. " +
                      $"Prefill: one prompt of {GenerationBenchmarks.PromptLength} tokens (% of the FMA peak × threads). Decoding steps at position {GenerationBenchmarks.PromptLength}: " +
                      "time ÷ the time to stream the weights once at the bandwidth measured in the same run (one thread reading 256 MB with 512-bit loads).");
        md.AppendLine();
        md.AppendLine("| threads | prefill 128 | % of peak | bandwidth | weight stream | step, batch 1 | ÷ stream | step, batch 8 | ÷ stream | tokens/s, batch 8 |");
        md.AppendLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var group in runs.GroupBy(r => r.BenchmarkCase.Parameters["Threads"]?.ToString() ?? "").OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            double Mean(string method) => group.Where(r => r.BenchmarkCase.Descriptor.WorkloadMethod.Name == method).Select(r => r.ResultStatistics!.Mean).DefaultIfEmpty(double.NaN).First();
            double prefill = Mean(nameof(GenerationBenchmarks.Prefill128)), one = Mean(nameof(GenerationBenchmarks.DecodeStepBatch1)), eight = Mean(nameof(GenerationBenchmarks.DecodeStepBatch8));
            double stream = Mean(nameof(GenerationBenchmarks.StreamWeights));
            double bandwidth = GenerationBenchmarks.StreamBytes / stream; // bytes per ns = GB/s
            double weightStream = GenerationBenchmarks.WeightBytes / bandwidth; // ns
            int threads = int.Parse(group.Key, Invariant);
            string percent = peak > 0 ? (GenerationBenchmarks.PrefillFlops / prefill / (peak * threads) * 100).ToString("F0", Invariant) + "%" : "–";
            md.AppendLine(string.Create(Invariant, $"| {group.Key} | {Ms(prefill)} | {percent} | {bandwidth:F1} GB/s | {Ms(weightStream)} | {Ms(one)} | {one / weightStream:F2}× | {Ms(eight)} | {eight / weightStream:F2}× | {8 / (eight / 1e9):F0} |"));
        }
        md.AppendLine();
    }

    /// <summary>Warm decoding steps of the fortune Llama per session: time and managed bytes per step.</summary>
    private static void AppendDecodingSteps(StringBuilder md, BenchmarkReport[] reports)
    {
        BenchmarkReport[] runs = reports.Where(r => r.BenchmarkCase.Descriptor.Type == typeof(DecodingStepBenchmarks)).ToArray();
        if (runs.Length == 0)
        {
            return;
        }
        md.AppendLine("## Decoding steps per session, warm (trained fortune Llama)");
        md.AppendLine();
        md.AppendLine($"A session's single-row step, and a continuous batch's step over {DecodingStepBenchmarks.Slots} running generations (greedy and seeded " +
                      "sampling). \"allocated\" includes BenchmarkDotNet's in-process bookkeeping (see above); DecodingStepAllocationTests asserts 0 B per step.");
        md.AppendLine();
        md.AppendLine("| step | threads | time | allocated |");
        md.AppendLine("|---|---:|---:|---:|");
        foreach (BenchmarkReport run in runs.OrderBy(r => r.BenchmarkCase.Descriptor.WorkloadMethod.Name, StringComparer.Ordinal).ThenBy(r => r.BenchmarkCase.Parameters["Threads"]?.ToString(), StringComparer.Ordinal))
        {
            string step = run.BenchmarkCase.Descriptor.WorkloadMethod.Name == nameof(DecodingStepBenchmarks.SessionStep) ? "session, 1 row" : $"continuous batch, {DecodingStepBenchmarks.Slots} generations";
            md.AppendLine(Invariant, $"| {step} | {run.BenchmarkCase.Parameters["Threads"]} | {(run.ResultStatistics is { } stats ? $"{stats.Mean / 1e3:F1} µs" : "–")} | {Allocated(run)} |");
        }
        md.AppendLine();
    }

    /// <summary>The repository's bench/ folder, found upwards from the running binary.</summary>
    internal static string BenchDirectory
    {
        get
        {
            string directory = AppContext.BaseDirectory;
            while (!File.Exists(Path.Combine(directory, "Generated.sln")))
            {
                directory = Path.GetDirectoryName(directory) ?? throw new InvalidOperationException("Run from inside the repository.");
            }
            return Path.Combine(directory, "bench");
        }
    }

    internal static JsonElement? ReadJson(string name)
    {
        string path = Path.Combine(BenchDirectory, name);
        return File.Exists(path) ? JsonDocument.Parse(File.ReadAllText(path)).RootElement.Clone() : null;
    }

    private static string Ms(double nanoseconds) => (nanoseconds / 1e6).ToString(nanoseconds < 1e7 ? "F2" : "F1", Invariant) + " ms";

    /// <summary>Bytes per operation as BenchmarkDotNet's memory diagnoser reports them (shared by both report writers).</summary>
    internal static string Allocated(BenchmarkReport report) =>
        report.GcStats.GetBytesAllocatedPerOperation(report.BenchmarkCase) is long bytes ? bytes + " B" : "–";
}

/// <summary>A grouped bar chart as SVG (ours vs peer per workload), no plotting dependency.</summary>
internal static class Chart
{
    public static void Write(string path, List<(string Label, double Ours, double Theirs, string Peer)> bars)
    {
        const int rowHeight = 46, left = 300, width = 860, barArea = width - left - 90;
        double max = bars.Max(b => Math.Max(b.Ours, b.Theirs));
        var svg = new StringBuilder();
        int height = 60 + rowHeight * bars.Count + 30;
        svg.AppendLine($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" font-family=\"sans-serif\" font-size=\"13\">");
        svg.AppendLine($"<rect width=\"{width}\" height=\"{height}\" fill=\"white\"/>");
        svg.AppendLine("<text x=\"10\" y=\"22\" font-size=\"15\">Latency per call (ms, lower is better): TransformerKernels vs the peer</text>");
        svg.AppendLine("<rect x=\"10\" y=\"32\" width=\"12\" height=\"12\" fill=\"#2b6cb0\"/><text x=\"26\" y=\"43\">TransformerKernels</text>");
        svg.AppendLine("<rect x=\"170\" y=\"32\" width=\"12\" height=\"12\" fill=\"#c05621\"/><text x=\"186\" y=\"43\">ONNX Runtime / PyTorch</text>");
        for (int i = 0; i < bars.Count; i++)
        {
            var (label, ours, theirs, peer) = bars[i];
            int y = 60 + i * rowHeight;
            svg.AppendLine($"<text x=\"{left - 8}\" y=\"{y + 22}\" text-anchor=\"end\">{label} vs {peer}</text>");
            foreach (var (value, color, dy) in new[] { (ours, "#2b6cb0", 0), (theirs, "#c05621", 18) })
            {
                double w = Math.Max(1, value / max * barArea);
                svg.AppendLine(string.Create(CultureInfo.InvariantCulture, $"<rect x=\"{left}\" y=\"{y + dy}\" width=\"{w:F1}\" height=\"16\" fill=\"{color}\"/><text x=\"{left + w + 4:F1}\" y=\"{y + dy + 13}\">{value:F2}</text>"));
            }
        }
        svg.AppendLine("</svg>");
        File.WriteAllText(path, svg.ToString());
    }
}
