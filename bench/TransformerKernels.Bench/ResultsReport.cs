using System.Globalization;
using System.Text.Json;
using System.Text;
using BenchmarkDotNet.Reports;

namespace TransformerKernels.Bench;

/// <summary>Turns BenchmarkDotNet summaries into bench/RESULTS.md: the peak measured in this run, then every figure as % of it and as a ratio.</summary>
internal static class ResultsReport
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public static string Build(Summary[] summaries, bool quick)
    {
        BenchmarkReport[] reports = summaries.SelectMany(s => s.Reports).Where(r => r.ResultStatistics is not null).ToArray();
        double Mean(BenchmarkReport r) => r.ResultStatistics!.Mean; // ns
        string P(BenchmarkReport r, string name) => r.BenchmarkCase.Parameters[name]?.ToString() ?? "";
        string Method(BenchmarkReport r) => r.BenchmarkCase.Descriptor.WorkloadMethod.Name;

        double probe512 = reports.Where(r => Method(r) == nameof(PeakBenchmarks.FmaPeak512)).Select(r => PeakBenchmarks.Flops512 / Mean(r)).DefaultIfEmpty(0).First();
        double probe256 = reports.Where(r => Method(r) == nameof(PeakBenchmarks.FmaPeak256)).Select(r => PeakBenchmarks.Flops256 / Mean(r)).DefaultIfEmpty(0).First();
        // The native loop (bench/native/fma-peak.c, run by bench/run.sh just before this run): a peak that a kernel beats is
        // no peak, so "% of peak" divides by the higher of the two measurements.
        JsonElement? native = PeerSections.ReadJson("native-peak.json");
        double native512 = native?.GetProperty("fma512_gflops").GetDouble() ?? 0, native256 = native?.GetProperty("fma256_gflops").GetDouble() ?? 0;
        double peak512 = Math.Max(probe512, native512), peak256 = Math.Max(probe256, native256);
        double peak = KernelPaths.Active == KernelPath.Avx512 ? peak512 : peak256;

        var md = new StringBuilder();
        md.AppendLine("# Benchmark results");
        md.AppendLine();
        md.AppendLine(quick
            ? "**Quick mode (BenchmarkDotNet dry job): one iteration each — a smoke run, not a measurement.**"
            : "Regenerate with `bench/run.sh` (BenchmarkDotNet, in-process, 3 warm-up + 10 measured iterations).");
        md.AppendLine();
        md.AppendLine($"- CPU: {CpuDescription()}; {Environment.ProcessorCount} logical cores; .NET {Environment.Version}; kernel path {KernelPaths.Describe()}");
        md.AppendLine($"- Measured FP32 FMA peak, one core: **{peak512:F1} GFLOP/s** with 512-bit FMA, {peak256:F1} GFLOP/s with 256-bit — the higher of the C# probe " +
                      $"(PeakBenchmarks: {probe512:F1} / {probe256:F1}) and the native gcc loop (bench/native/fma-peak.c: " +
                      (native is null ? "not run; `bench/run.sh` runs it" : $"{native512:F1} / {native256:F1}") + "). \"% of peak\" below divides by the active path's peak × threads.");
        md.AppendLine($"- Date: {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
        md.AppendLine("- \"allocated\" is what BenchmarkDotNet's in-process toolchain reports; it shows about 1 KB of its own bookkeeping on some rows " +
                      "(the FMA loop, which allocates nothing, included). Zero managed allocations per forward pass and decoding step are asserted by " +
                      "tests with GC.GetAllocatedBytesForCurrentThread.");
        md.AppendLine();

        md.AppendLine("## GEMM (generated, prepacked weights) vs TensorPrimitives.Dot per output");
        md.AppendLine();
        md.AppendLine("| shape | M | threads | generated | GFLOP/s | % of peak | TensorPrimitives | speed-up | allocated |");
        md.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var group in reports.Where(r => r.BenchmarkCase.Descriptor.Type == typeof(GemmBenchmarks))
                     .GroupBy(r => (Shape: P(r, "Gemm"), M: P(r, "M"), Threads: P(r, "Threads"))))
        {
            BenchmarkReport? generated = group.FirstOrDefault(r => Method(r) == nameof(GemmBenchmarks.Generated));
            BenchmarkReport? baseline = group.FirstOrDefault(r => Method(r) == nameof(GemmBenchmarks.TensorPrimitivesDot));
            if (generated is null)
            {
                continue;
            }
            var shape = (GemmBenchmarks.Shape)generated.BenchmarkCase.Parameters["Gemm"]!;
            int m = int.Parse(group.Key.M, Invariant), threads = int.Parse(group.Key.Threads, Invariant);
            double flops = 2.0 * m * shape.K * shape.N;
            double gflops = flops / Mean(generated);
            md.AppendLine(Invariant, $"| {group.Key.Shape} | {m} | {threads} | {Time(Mean(generated))} | {gflops:F1} | {Percent(gflops, peak * threads)} | " +
                                     $"{(baseline is null ? "–" : Time(Mean(baseline)))} | {(baseline is null ? "–" : $"{Mean(baseline) / Mean(generated):F1}×")} | {PeerSections.Allocated(generated)} |");
        }
        md.AppendLine();

        md.AppendLine("## Encoder block (seq × d), and the share of its non-GEMM kernels");
        md.AppendLine();
        md.AppendLine("| model | seq | threads | block | GFLOP/s | % of peak | attention + softmax | 2 × Add & Norm | non-GEMM share | allocated |");
        md.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var group in reports.Where(r => r.BenchmarkCase.Descriptor.Type == typeof(LayerBenchmarks))
                     .GroupBy(r => (Model: P(r, "Model"), Length: P(r, "Length"), Threads: P(r, "Threads"))))
        {
            BenchmarkReport? block = group.FirstOrDefault(r => Method(r) == nameof(LayerBenchmarks.EncoderBlock));
            BenchmarkReport? attention = group.FirstOrDefault(r => Method(r) == nameof(LayerBenchmarks.AttentionOnly));
            BenchmarkReport? norms = group.FirstOrDefault(r => Method(r) == nameof(LayerBenchmarks.TwoAddNorms));
            if (block is null || attention is null || norms is null)
            {
                continue;
            }
            ModelShape shape = group.Key.Model.StartsWith("seed", StringComparison.Ordinal) ? SeedTransformer.Shape : MiniLm.Shape;
            int length = int.Parse(group.Key.Length, Invariant), threads = int.Parse(group.Key.Threads, Invariant);
            double flops = 2.0 * length * shape.DModel * (4.0 * shape.DModel + 2.0 * shape.FfnDim) + 4.0 * length * length * shape.DModel;
            double gflops = flops / Mean(block);
            md.AppendLine(Invariant, $"| {group.Key.Model} | {length} | {threads} | {Time(Mean(block))} | {gflops:F1} | {Percent(gflops, peak * threads)} | " +
                                     $"{Time(Mean(attention))} | {Time(Mean(norms))} | {(Mean(attention) + Mean(norms)) / Mean(block) * 100:F1}% | {PeerSections.Allocated(block)} |");
        }
        md.AppendLine();
        md.AppendLine("GFLOP/s counts 2·M·K·N per GEMM and 4·seq²·d for attention; the block row includes everything between input and output.");
        md.AppendLine();
        PrecisionSections.Append(md, reports, peak);
        PeerSections.Append(md, reports, peak, quick);
        return md.ToString();
    }

    private static string Time(double nanoseconds) => nanoseconds >= 1e6
        ? (nanoseconds / 1e6).ToString("F2", Invariant) + " ms"
        : (nanoseconds / 1e3).ToString("F1", Invariant) + " µs";

    private static string Percent(double value, double peak) => peak > 0 ? (value / peak * 100).ToString("F0", Invariant) + "%" : "–";

    private static string CpuDescription()
    {
        try
        {
            string[] lines = File.ReadAllLines("/proc/cpuinfo");
            string Field(string name) => lines.FirstOrDefault(l => l.StartsWith(name, StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "?";
            string family = Field("cpu family"), model = Field("model\t");
            string vendor = Field("vendor_id");
            string core = (vendor, family, model) switch
            {
                ("AuthenticAMD", "25", _) when int.TryParse(model, out int m) && m >= 0x10 => "Zen 4",
                ("AuthenticAMD", "25", _) => "Zen 3",
                ("AuthenticAMD", "26", _) => "Zen 5",
                ("GenuineIntel", "6", "207") => "Emerald Rapids",
                ("GenuineIntel", "6", "143") => "Sapphire Rapids",
                _ => "",
            };
            return $"{Field("model name")} ({vendor}, family {family}, model {model}{(core.Length > 0 ? ", " + core : "")})";
        }
        catch (IOException)
        {
            return "unknown";
        }
    }
}
