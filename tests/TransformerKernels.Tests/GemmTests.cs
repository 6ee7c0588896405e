using TransformerKernels.Oracle;

namespace TransformerKernels.Tests;

/// <summary>
/// Every generated GEMM of every test model against the oracle's Linear, over row counts that hit each register tile
/// and remainder. Tolerance 2e-5 absolute: inputs are in [-1, 1] and weights scaled by 1/√K so outputs are of unit
/// scale; the largest error measured on the three kernel paths is 3.6e-6 (K = 2048, float accumulation in another order
/// than the double oracle), a margin of 5.5×; the GELU approximation adds ≤ 1e-6.
/// </summary>
public class GemmTests
{
    private const double Tolerance = 2e-5;
    private const float Guard = -12345.5f;

    public static TheoryData<string> Gemms()
    {
        var data = new TheoryData<string>();
        foreach (Type model in new[] { typeof(SeedModel), typeof(MiniLmShape), typeof(OddModel), typeof(TinyModel), typeof(OddInnerModel) })
        {
            foreach (Type gemm in TestData.GemmsOf(model))
            {
                data.Add(model.Name + "." + gemm.Name);
            }
        }
        return data;
    }

    internal static Type Resolve(string name)
    {
        string[] parts = name.Split('.');
        Type model = typeof(GemmTests).Assembly.GetType("TransformerKernels.Tests." + parts[0])!;
        return TestData.GemmsOf(model).Single(t => t.Name == parts[1]);
    }

    [Theory]
    [MemberData(nameof(Gemms))]
    public unsafe void MatchesOracleForEveryRowRemainder(string name)
    {
        Type gemm = Resolve(name);
        int k = TestData.Constant(gemm, "K"), n = TestData.Constant(gemm, "N");
        int lda = TestData.Constant(gemm, "Lda"), ldc = TestData.Constant(gemm, "Ldc");
        Activation? activation = TestData.ActivationOf(gemm);
        float[] weight = TestData.Uniform(n * k, seed: 1, scale: 1f / MathF.Sqrt(k));
        float[] bias = TestData.Uniform(n, seed: 2, scale: 0.5f);
        using PackedLinear packed = PackedLinear.Pack(weight, bias, n, k);

        int maxSeqLen = TestData.Constant(gemm.DeclaringType!.DeclaringType!, "MaxSeqLen");
        foreach (int m in new[] { 1, 2, 3, 7, 11, 12, 13, 25, 37 }.Append(maxSeqLen).Distinct())
        {
            foreach (bool withResidual in new[] { false, true })
            {
                float[] a = TestData.Uniform(m * k, seed: 3 + m);
                float[] residual = TestData.Uniform(m * n, seed: 4 + m);
                float[] expected = Reference.Linear(a, m, k, weight, bias, n);
                if (activation is { } act)
                {
                    expected = Reference.Activate(expected, act);
                }
                if (withResidual)
                {
                    expected = Reference.Add(expected, residual);
                }
                // Strided layouts as the kernel sees them: rows lda / ldc floats apart; the gaps must stay untouched.
                float[] stridedA = TestData.Strided(a, m, k, lda, 0f);
                float[] stridedResidual = TestData.Strided(residual, m, n, ldc, 0f);
                var c = new float[m * ldc + 64];
                Array.Fill(c, Guard);
                fixed (float* pa = stridedA, pr = stridedResidual, pc = c)
                {
                    TestData.RunGemm(gemm, pa, m, packed, withResidual ? pr : null, pc);
                }
                string variant = $"{name} m={m} residual={withResidual}";
                TestData.AssertClose(expected, TestData.Unstrided(c, m, n, ldc), Tolerance, variant);
                for (int i = 0; i < c.Length; i++)
                {
                    bool inMatrix = i < m * ldc && i % ldc < n;
                    Assert.True(inMatrix || c[i] == Guard, $"{variant}: wrote outside the matrix at {i}");
                }
            }
        }
    }

    [Fact]
    public unsafe void ResidualMayBeTheOutput()
    {
        const int m = 13, k = SeedModel.DModel, n = SeedModel.DModel;
        float[] weight = TestData.Uniform(n * k, 5, 1f / MathF.Sqrt(k));
        float[] bias = TestData.Uniform(n, 6);
        float[] a = TestData.Uniform(m * k, 7);
        float[] x = TestData.Uniform(m * n, 8);
        float[] expected = Reference.Add(Reference.Linear(a, m, k, weight, bias, n), x);
        using PackedLinear packed = PackedLinear.Pack(weight, bias, n, k);
        fixed (float* pa = a, px = x)
        {
            SeedModel.Kernels.Gemm512x512.Run(pa, m, packed, px, px);
        }
        TestData.AssertClose(expected, x, Tolerance, "Gemm512x512 in place");
    }

    [Fact]
    public unsafe void ResidualMayBeTheOutputOfAnActivationGemm()
    {
        const int m = 13, k = MiniLmShape.DModel, n = MiniLmShape.FfnDim;
        float[] weight = TestData.Uniform(n * k, 12, 1f / MathF.Sqrt(k));
        float[] bias = TestData.Uniform(n, 13);
        float[] a = TestData.Uniform(m * k, 14);
        float[] x = TestData.Uniform(m * n, 15);
        float[] expected = Reference.Add(Reference.Activate(Reference.Linear(a, m, k, weight, bias, n), Activation.Gelu), x);
        using PackedLinear packed = PackedLinear.Pack(weight, bias, n, k);
        fixed (float* pa = a, px = x)
        {
            MiniLmShape.Kernels.Gemm384x1536Gelu.Run(pa, m, packed, px, px);
        }
        TestData.AssertClose(expected, x, Tolerance, "Gemm384x1536Gelu in place");
    }

    [Fact]
    public unsafe void ResultsAreBitIdenticalForAnyThreadCount()
    {
        const int m = 37, k = MiniLmShape.DModel, n = MiniLmShape.FfnDim;
        float[] weight = TestData.Uniform(n * k, 9, 1f / MathF.Sqrt(k));
        float[] a = TestData.Uniform(m * k, 10);
        using PackedLinear packed = PackedLinear.Pack(weight, TestData.Uniform(n, 11), n, k);
        int saved = KernelThreads.ThreadCount;
        var outputs = new List<float[]>();
        try
        {
            foreach (int threads in new[] { 1, 2, 3 })
            {
                KernelThreads.ThreadCount = threads;
                var c = new float[m * n];
                fixed (float* pa = a, pc = c)
                {
                    MiniLmShape.Kernels.Gemm384x1536Gelu.Run(pa, m, packed, null, pc);
                }
                outputs.Add(c);
            }
        }
        finally
        {
            KernelThreads.ThreadCount = saved;
        }
        Assert.Equal(outputs[0], outputs[1]);
        Assert.Equal(outputs[0], outputs[2]);
    }

    [Fact]
    public unsafe void WrongWeightsAreRejectedByName()
    {
        using PackedLinear packed = PackedLinear.Pack(new float[24 * 20], default, 24, 20);
        var buffer = new float[24 * 24];
        fixed (float* p = buffer)
        {
            float* pointer = p;
            var e = Assert.Throws<ArgumentException>(() => TinyModel.Kernels.Gemm24x24.Run(pointer, 1, packed, null, pointer));
            Assert.Equal("weights", e.ParamName);
            Assert.Contains("[24, 20]", e.Message);
        }
    }

    [Fact]
    public void PackRejectsMismatchedSpans()
    {
        Assert.Throws<ArgumentException>(() => PackedLinear.Pack(new float[10], default, 3, 4));
        Assert.Throws<ArgumentException>(() => PackedLinear.Pack(new float[12], new float[2], 3, 4));
        Assert.Throws<ArgumentOutOfRangeException>(() => PackedLinear.Pack(default, default, 0, 4));
    }
}
