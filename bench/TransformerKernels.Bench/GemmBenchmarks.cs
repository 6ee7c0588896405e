using System.Numerics.Tensors;
using BenchmarkDotNet.Attributes;

namespace TransformerKernels.Bench;

/// <summary>
/// Generated GEMMs of the seed and MiniLM shapes against the straightforward TensorPrimitives implementation of the
/// same layer (one Dot per output element, threads over rows): the ratio is the gain of shape specialization.
/// </summary>
public unsafe class GemmBenchmarks
{
    /// <summary>A generated GEMM: (a, m, weights, residual, c).</summary>
    public sealed class Shape(string name, int k, int n, delegate*<float*, int, PackedLinear, float*, float*, void> run, int lda = 0, int ldc = 0)
    {
        public int Lda { get; } = lda == 0 ? k : lda;
        public int Ldc { get; } = ldc == 0 ? n : ldc;
        public string Name { get; } = name;
        public int K { get; } = k;
        public int N { get; } = n;
        public delegate*<float*, int, PackedLinear, float*, float*, void> Run { get; } = run;
        public override string ToString() => Name;
    }

    public static IEnumerable<Shape> Shapes() =>
    [
        new("seed QKV 512x1536", 512, 1536, &SeedTransformer.Kernels.Gemm512x1536.Run),
        new("seed out 512x512", 512, 512, &SeedTransformer.Kernels.Gemm512x512.Run),
        new("seed FFN up 512x2048 ReLU", 512, 2048, &SeedTransformer.Kernels.Gemm512x2048ReluLdc2064.Run, ldc: SeedTransformer.FfnHiddenStride),
        new("seed FFN down 2048x512", 2048, 512, &SeedTransformer.Kernels.Gemm2048x512Lda2064.Run, lda: SeedTransformer.FfnHiddenStride),
        new("MiniLM QKV 384x1152", 384, 1152, &MiniLm.Kernels.Gemm384x1152.Run),
        new("MiniLM out 384x384", 384, 384, &MiniLm.Kernels.Gemm384x384.Run),
        new("MiniLM FFN up 384x1536 GELU", 384, 1536, &MiniLm.Kernels.Gemm384x1536Gelu.Run),
        new("MiniLM FFN down 1536x384", 1536, 384, &MiniLm.Kernels.Gemm1536x384.Run),
    ];

    [ParamsSource(nameof(Shapes))]
    public Shape Gemm { get; set; } = null!;

    [Params(128, 16)]
    public int M { get; set; }

    [Params(1, 2)]
    public int Threads { get; set; }

    private NativeBuffer _a = null!, _c = null!;
    private float[] _weights = null!, _bias = null!, _aArray = null!, _cArray = null!;
    private PackedLinear _packed = null!;

    [GlobalSetup]
    public void Setup()
    {
        KernelThreads.ThreadCount = Threads;
        var random = new Random(1);
        _weights = Enumerable.Range(0, Gemm.N * Gemm.K).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
        _bias = Enumerable.Range(0, Gemm.N).Select(_ => (float)random.NextDouble()).ToArray();
        _aArray = Enumerable.Range(0, M * Gemm.K).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
        _cArray = new float[M * Gemm.N];
        _packed = PackedLinear.Pack(_weights, _bias, Gemm.N, Gemm.K);
        _a = new NativeBuffer(M * Gemm.Lda);
        _c = new NativeBuffer(M * Gemm.Ldc);
        for (int i = 0; i < M; i++)
        {
            _aArray.AsSpan(i * Gemm.K, Gemm.K).CopyTo(_a.Span.Slice(i * Gemm.Lda));
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _packed.Dispose();
        _a.Dispose();
        _c.Dispose();
    }

    /// <summary>Floating-point operations of one call.</summary>
    public long Flops => 2L * M * Gemm.K * Gemm.N;

    [Benchmark]
    public void Generated() => Gemm.Run(_a.Pointer, M, _packed, null, _c.Pointer);

    [Benchmark(Baseline = true)]
    public void TensorPrimitivesDot()
    {
        int k = Gemm.K, n = Gemm.N;
        Parallel.For(0, Threads, new ParallelOptions { MaxDegreeOfParallelism = Threads }, part =>
        {
            for (int i = M * part / Threads; i < M * (part + 1) / Threads; i++)
            {
                ReadOnlySpan<float> row = _aArray.AsSpan(i * k, k);
                Span<float> output = _cArray.AsSpan(i * n, n);
                for (int j = 0; j < n; j++)
                {
                    output[j] = TensorPrimitives.Dot(row, _weights.AsSpan(j * k, k)) + _bias[j];
                }
            }
        });
    }
}
