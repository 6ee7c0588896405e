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
    public void MatchesOracleForEveryRowRemainder(string name)
    {
        Type gemm = Resolve(name);
        int k = TestData.Constant(gemm, "K"), n = TestData.Constant(gemm, "N");
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
                // Strided layouts as the kernel sees them: rows Lda / Ldc floats apart; the gaps must stay untouched.
                float[] actual = TestData.RunGuarded(gemm, a, m, packed, withResidual ? residual : null, n, out string? outside);
                string variant = $"{name} m={m} residual={withResidual}";
                TestData.AssertClose(expected, actual, Tolerance, variant);
                Assert.True(outside is null, $"{variant}: {outside}");
            }
        }
    }

    public static TheoryData<string, WeightPrecision> GatedGemms()
    {
        var data = new TheoryData<string, WeightPrecision>();
        // FfnDim 100 (SwiGluModel): the last group of 8 hidden units is half padding; 96 (FixtureLlama): none.
        foreach (string name in new[] { nameof(SwiGluModel) + ".Gemm72x208SwiGluLdc104", nameof(FixtureLlama) + ".Gemm64x192SwiGluLdc96", nameof(FixtureLlamaWithoutBias) + ".Gemm64x192SwiGluLdc96" })
        {
            foreach (WeightPrecision precision in Enum.GetValues<WeightPrecision>())
            {
                data.Add(name, precision);
            }
        }
        return data;
    }

    /// <summary>
    /// The SwiGLU GEMM (gate and up packed by PackedLinear.PackGated, SiLU(gate)·up in the epilogue) in each weight
    /// precision against the oracle's linear layer in that precision (BF16: on BF16-rounded weights; int8: the exact-integer
    /// int8 linear — per-column quantization does not see the column order) followed by SiLU·up in double, for every row
    /// remainder: it writes FfnDim products per row, zeros in the padding up to a multiple of 8, and nothing past that.
    /// </summary>
    [Theory]
    [MemberData(nameof(GatedGemms))]
    public void SwiGluGemmMatchesOracleForEveryRowRemainder(string name, WeightPrecision precision)
    {
        Type gemm = Resolve(name);
        Type model = gemm.DeclaringType!.DeclaringType!;
        int k = TestData.Constant(gemm, "K"), ffn = TestData.Constant(model, "FfnDim");
        int written = (ffn + 7) / 8 * 8;
        float[] weight = TestData.Uniform(2 * ffn * k, seed: 21, scale: 1f / MathF.Sqrt(k));
        float[] bias = name.Contains("WithoutBias", StringComparison.Ordinal) ? [] : TestData.Uniform(2 * ffn, seed: 22, scale: 0.5f);
        float[] biasOrZeros = bias.Length == 0 ? new float[2 * ffn] : bias;
        using PackedLinear packed = PackedLinear.PackGated(weight, bias, ffn, k);
        Assert.Equal(TestData.Constant(gemm, "N"), packed.OutputSize);
        packed.ConvertTo(precision, name);
        foreach (int m in new[] { 1, 2, 3, 7, 11, 12, 13, 25, TestData.Constant(model, "MaxSeqLen") }.Distinct())
        {
            float[] a = TestData.Uniform(m * k, seed: 23 + m);
            float[] both = precision switch
            {
                WeightPrecision.Bf16 => Reference.Linear(a, m, k, LowPrecisionReference.RoundToBf16(weight), biasOrZeros, 2 * ffn),
                WeightPrecision.Int8 => LowPrecisionReference.LinearInt8(a, m, k, weight, biasOrZeros, 2 * ffn, Int8Paths.WeightLevels),
                _ => Reference.Linear(a, m, k, weight, biasOrZeros, 2 * ffn),
            };
            var expected = new float[m * written];
            for (int r = 0; r < m; r++)
            {
                for (int j = 0; j < ffn; j++)
                {
                    double gate = both[r * 2 * ffn + j];
                    expected[r * written + j] = (float)(gate / (1 + Math.Exp(-gate)) * both[r * 2 * ffn + ffn + j]);
                }
            }
            float[] actual = TestData.RunGuarded(gemm, a, m, packed, null, written, out string? outside);
            string variant = $"{name} {precision} on {(precision == WeightPrecision.Int8 ? Int8Paths.Active : KernelPaths.Active)} m={m}";
            TestData.AssertClose(expected, actual, Tolerance, variant);
            Assert.True(outside is null, $"{variant}: {outside}");
        }
    }

    [Fact]
    public unsafe void SwiGluGemmTakesNoResidual()
    {
        using PackedLinear packed = PackedLinear.PackGated(new float[2 * 96 * 64], default, 96, 64);
        var buffer = new float[192];
        fixed (float* p = buffer)
        {
            float* pointer = p;
            var e = Assert.Throws<ArgumentException>(() => FixtureLlama.Kernels.Gemm64x192SwiGluLdc96.Run(pointer, 1, packed, pointer, pointer));
            Assert.Equal("residual", e.ParamName);
        }
    }

    [Fact]
    public unsafe void PackGatedInterleavesGateAndUpEightAndEight()
    {
        // Row r of the [2·ffn, k = 1] weight holds r, so each packed column shows which source row it came from.
        const int ffn = 12;
        float[] weight = [.. Enumerable.Range(0, 2 * ffn).Select(r => (float)r)];
        float[] bias = [.. Enumerable.Range(0, 2 * ffn).Select(r => 100f + r)];
        using PackedLinear packed = PackedLinear.PackGated(weight, bias, ffn, 1);
        Assert.Equal(32, packed.OutputSize);
        float[] gates = [0, 1, 2, 3, 4, 5, 6, 7], ups = [12, 13, 14, 15, 16, 17, 18, 19];
        float[] lastGates = [8, 9, 10, 11, 0, 0, 0, 0], lastUps = [20, 21, 22, 23, 0, 0, 0, 0];
        Assert.Equal([.. gates, .. ups, .. lastGates, .. lastUps], new ReadOnlySpan<float>(packed.Weights, 32).ToArray());
        Assert.Equal([.. gates.Select(g => g + 100), .. ups.Select(u => u + 100), 108, 109, 110, 111, 0, 0, 0, 0, 120, 121, 122, 123, 0, 0, 0, 0],
            new ReadOnlySpan<float>(packed.Bias, 32).ToArray());
        Assert.Throws<ArgumentException>(() => PackedLinear.PackGated(new float[2 * ffn], default, ffn + 1, 1));
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
