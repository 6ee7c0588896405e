using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace TransformerKernels.Bench;

/// <summary>
/// Runs the benchmarks and rewrites bench/RESULTS.md. <c>--quick</c>: BenchmarkDotNet's dry job (one iteration, a smoke
/// test that keeps the benchmarks compiling and running in CI); otherwise a measured run. Extra arguments go to
/// BenchmarkDotNet (e.g. <c>--filter *Gemm*</c>).
/// </summary>
public static class Program
{
    /// <summary>True in quick mode: benchmarks whose operation is long (a whole corpus) shrink it.</summary>
    public static bool Quick { get; private set; }

    public static int Main(string[] args)
    {
        bool quick = Quick = args.Contains("--quick");
        string? output = args.SkipWhile(a => a != "--results").Skip(1).FirstOrDefault();
        string[] rest = args.Where((a, i) => a != "--quick" && a != "--results" && (i == 0 || args[i - 1] != "--results")).ToArray();

        Job job = (quick ? Job.Dry : Job.Default.WithWarmupCount(3).WithIterationCount(10).WithInvocationCount(4).WithUnrollFactor(1))
            .WithToolchain(InProcessEmitToolchain.Instance);
        IConfig config = DefaultConfig.Instance.AddJob(job).AddDiagnoser(MemoryDiagnoser.Default)
            .WithOptions(ConfigOptions.DisableOptimizationsValidator | ConfigOptions.JoinSummary);

        Console.WriteLine($"Kernel path: {KernelPaths.Describe()}");
        Type[] benchmarks = [typeof(PeakBenchmarks), typeof(Int8PeakBenchmarks), typeof(GemmBenchmarks), typeof(LowPrecisionGemmBenchmarks), typeof(LayerBenchmarks), typeof(MiniLmBenchmarks), typeof(CorpusBenchmarks), typeof(TranslationBenchmarks), typeof(TranslationBatchBenchmarks), typeof(GenerationBenchmarks), typeof(FortuneGenerationBenchmarks), typeof(DecodingStepBenchmarks), typeof(SamplingBenchmarks)];
        Summary[] summaries = rest.Length > 0
            ? BenchmarkSwitcher.FromTypes(benchmarks).Run(rest, config).ToArray()
            : [BenchmarkRunner.Run(benchmarks, config).Single()];

        string markdown = ResultsReport.Build(summaries, quick);
        string path = output ?? Path.Combine(PeerSections.BenchDirectory, quick ? "RESULTS.quick.md" : "RESULTS.md");
        File.WriteAllText(path, markdown);
        Console.WriteLine($"Wrote {path}");
        return summaries.All(s => s.Reports.All(r => r.Success)) ? 0 : 1;
    }
}
