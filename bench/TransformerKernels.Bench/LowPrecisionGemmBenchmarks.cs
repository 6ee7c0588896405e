using BenchmarkDotNet.Attributes;

namespace TransformerKernels.Bench;

/// <summary>
/// The generated GEMMs of MiniLM and the seed translator with FP32, BF16 and int8 weights on the same inputs (int8 includes
/// quantizing A). Reported as % of the FP32 FMA peak and of the int8 peak (<see cref="Int8PeakBenchmarks"/>), and as
/// speed-up over FP32 in the same run.
/// </summary>
public unsafe class LowPrecisionGemmBenchmarks
{
    public static IEnumerable<GemmBenchmarks.Shape> Shapes() => GemmBenchmarks.Shapes();

    [ParamsSource(nameof(Shapes))]
    public GemmBenchmarks.Shape Gemm { get; set; } = null!;

    [Params(128, 16)]
    public int M { get; set; }

    [Params(1)]
    public int Threads { get; set; }

    [Params(WeightPrecision.Fp32, WeightPrecision.Bf16, WeightPrecision.Int8)]
    public WeightPrecision Precision { get; set; }

    private NativeBuffer _a = null!, _c = null!;
    private PackedLinear _packed = null!;

    [GlobalSetup]
    public void Setup()
    {
        KernelThreads.ThreadCount = Threads;
        var random = new Random(1);
        float[] weights = Enumerable.Range(0, Gemm.N * Gemm.K).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
        float[] bias = Enumerable.Range(0, Gemm.N).Select(_ => (float)random.NextDouble()).ToArray();
        _packed = PackedLinear.Pack(weights, bias, Gemm.N, Gemm.K);
        _packed.ConvertTo(Precision, Gemm.Name);
        _a = new NativeBuffer(M * Gemm.Lda);
        _c = new NativeBuffer(M * Gemm.Ldc);
        for (int i = 0; i < M * Gemm.Lda; i++)
        {
            _a.Pointer[i] = (float)random.NextDouble() - 0.5f;
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _packed.Dispose();
        _a.Dispose();
        _c.Dispose();
    }

    [Benchmark]
    public void Run() => Gemm.Run(_a.Pointer, M, _packed, null, _c.Pointer);
}
