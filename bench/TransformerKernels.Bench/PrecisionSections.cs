using System.Globalization;
using System.Text;
using BenchmarkDotNet.Reports;

namespace TransformerKernels.Bench;

/// <summary>
/// The sections of RESULTS.md about weight precision: the int8 peak, GEMMs in FP32 / BF16 / int8 (% of their peaks, speed-up
/// over FP32 in the same run), MiniLM end to end in every precision against ONNX Runtime's FP32 and int8, and weight bytes.
/// </summary>
internal static class PrecisionSections
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public static void Append(StringBuilder md, BenchmarkReport[] reports, double fp32Peak)
    {
        string Method(BenchmarkReport r) => r.BenchmarkCase.Descriptor.WorkloadMethod.Name;
        string P(BenchmarkReport r, string name) => r.BenchmarkCase.Parameters[name]?.ToString() ?? "";
        double Mean(BenchmarkReport r) => r.ResultStatistics!.Mean;

        double int8Peak = reports.Where(r => Method(r) == nameof(Int8PeakBenchmarks.Int8Peak)).Select(r => Int8PeakBenchmarks.Ops / Mean(r)).DefaultIfEmpty(0).First();
        md.AppendLine("## Weight precision: FP32, BF16, int8");
        md.AppendLine();
        md.AppendLine(Invariant, $"- Int8 path {Int8Paths.Describe()}; its own register tile on L1-resident data (the int8 peak): **{int8Peak:F1} GOP/s** on one core " +
                                 $"({(fp32Peak > 0 ? int8Peak / fp32Peak : 0):F2}× the FP32 FMA peak; an op is a multiply or an add, as for FLOP).");
        double bwPeak = reports.Where(r => Method(r) == nameof(Int8PeakBenchmarks.Avx512BWTilePeak)).Select(r => Int8PeakBenchmarks.OpsOf(Int8KernelPath.Avx512BW) / Mean(r)).DefaultIfEmpty(0).First();
        if (bwPeak > 0 && Int8Paths.Active != Int8KernelPath.Avx512BW)
        {
            md.AppendLine(Invariant, $"- The C# Avx512BW tile (VPMADDUBSW + VPMADDWD + VPADDD) in the same run: {bwPeak:F1} GOP/s ({(fp32Peak > 0 ? bwPeak / fp32Peak : 0):F2}× the FP32 FMA peak); " +
                                     $"the active path's tile is {(int8Peak > 0 ? int8Peak / bwPeak : 0):F2}× it.");
        }
        md.AppendLine();
        md.AppendLine("| GEMM | M | FP32 | BF16 | BF16 ÷ FP32 | int8 (incl. quantizing A) | int8 ÷ FP32 | int8 GOP/s | % of int8 peak |");
        md.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var group in reports.Where(r => r.BenchmarkCase.Descriptor.Type == typeof(LowPrecisionGemmBenchmarks))
                     .GroupBy(r => (Shape: P(r, "Gemm"), M: int.Parse(P(r, "M"), Invariant))).OrderBy(g => g.Key.M))
        {
            BenchmarkReport? Find(string precision) => group.FirstOrDefault(r => P(r, "Precision") == precision);
            BenchmarkReport? fp32 = Find("Fp32"), bf16 = Find("Bf16"), int8 = Find("Int8");
            if (fp32 is null || bf16 is null || int8 is null)
            {
                continue;
            }
            var shape = (GemmBenchmarks.Shape)fp32.BenchmarkCase.Parameters["Gemm"]!;
            double ops = 2.0 * group.Key.M * shape.K * shape.N / Mean(int8);
            md.AppendLine(Invariant, $"| {group.Key.Shape} | {group.Key.M} | {Time(Mean(fp32))} | {Time(Mean(bf16))} | {Mean(bf16) / Mean(fp32):F2} | " +
                                     $"{Time(Mean(int8))} | **{Mean(int8) / Mean(fp32):F2}** | {ops:F1} | {(int8Peak > 0 ? (ops / int8Peak * 100).ToString("F0", Invariant) + "%" : "–")} |");
        }
        md.AppendLine();

        md.AppendLine("### all-MiniLM-L6-v2 end to end by precision (same token ids, same run)");
        md.AppendLine();
        md.AppendLine("| seq | batch | threads | ours FP32 | ours BF16 | ours int8 | ORT FP32 | ORT int8 | BF16 ÷ FP32 | int8 ÷ FP32 | ours int8 ÷ ORT int8 |");
        md.AppendLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var group in reports.Where(r => r.BenchmarkCase.Descriptor.Type == typeof(MiniLmBenchmarks))
                     .GroupBy(r => (Length: int.Parse(P(r, "Length"), Invariant), Batch: int.Parse(P(r, "Batch"), Invariant), Threads: int.Parse(P(r, "Threads"), Invariant)))
                     .OrderBy(g => g.Key.Threads).ThenBy(g => g.Key.Length).ThenBy(g => g.Key.Batch))
        {
            double? Of(string method) => group.FirstOrDefault(r => Method(r) == method) is { } r ? Mean(r) : null;
            double? fp32 = Of(nameof(MiniLmBenchmarks.TransformerKernels)), bf16 = Of(nameof(MiniLmBenchmarks.TransformerKernelsBf16)),
                int8 = Of(nameof(MiniLmBenchmarks.TransformerKernelsInt8)), ort = Of(nameof(MiniLmBenchmarks.OnnxRuntime)), ortInt8 = Of(nameof(MiniLmBenchmarks.OnnxRuntimeInt8));
            if (fp32 is null || bf16 is null || int8 is null || ort is null || ortInt8 is null)
            {
                continue;
            }
            md.AppendLine(Invariant, $"| {group.Key.Length} | {group.Key.Batch} | {group.Key.Threads} | {Time(fp32.Value)} | {Time(bf16.Value)} | {Time(int8.Value)} | " +
                                     $"{Time(ort.Value)} | {Time(ortInt8.Value)} | {bf16 / fp32:F2} | **{int8 / fp32:F2}** | **{int8 / ortInt8:F2}** |");
        }
        md.AppendLine();
        var translations = reports.Where(r => r.BenchmarkCase.Descriptor.Type == typeof(TranslationBenchmarks)).ToArray();
        if (translations.Length > 0)
        {
            md.AppendLine("Greedy translation of 我有一只猫 (tokens/s, one thread): " + string.Join("; ", translations.Select(r =>
                $"{P(r, "Precision")} {TranslationBenchmarks.TokensPerCall / (Mean(r) / 1e9):F0}")) + ".");
            md.AppendLine();
        }
        if (MiniLmBenchmarks.WeightBytes.Count > 0)
        {
            md.AppendLine("Weight bytes: " + string.Join("; ", MiniLmBenchmarks.WeightBytes.Select(p => $"{p.Key} {p.Value / 1e6:F1} MB")) +
                          " (ours: the GEMM weights with their int8 scales and sums; ONNX: the whole file, embeddings included).");
            md.AppendLine();
        }
    }

    private static string Time(double nanoseconds) => nanoseconds >= 1e6
        ? (nanoseconds / 1e6).ToString("F2", Invariant) + " ms"
        : (nanoseconds / 1e3).ToString("F1", Invariant) + " µs";
}
