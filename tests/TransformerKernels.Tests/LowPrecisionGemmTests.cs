using TransformerKernels.Oracle;

namespace TransformerKernels.Tests;

/// <summary>
/// Every generated GEMM of every test model with BF16 and int8 weights, on the active FP32 path and the active int8 path
/// (CI repeats these on Avx2 and Scalar, and with <c>TK_INT8_PATH</c> on each int8 path the CPU has):
/// <list type="bullet">
/// <item>BF16 must equal, bit for bit, the FP32 kernel run on BF16-rounded weights (same tiles, only the load differs);</item>
/// <item>int8 must equal, bit for bit, the oracle's exact-integer int8 linear (quantized independently) for epilogues without
/// GELU; with GELU the kernels' approximation differs from the oracle's double erf by ≤ 1e-6 on unit-scale outputs.</item>
/// </list>
/// </summary>
public class LowPrecisionGemmTests
{
    /// <summary>
    /// GELU: VectorMath's erf (Abramowitz–Stegun, ≤ 1.5e-7 absolute) and float evaluation against the oracle's double erf.
    /// Measured 0.6–1.3e-7 on these GEMMs (Zen 4, Avx512BW and Scalar int8 paths); 1e-6 is VectorMath's documented bound for GELU.
    /// </summary>
    private const double GeluTolerance = 1e-6;

    private static readonly int[] RowCounts = { 1, 2, 3, 5, 7, 8, 9, 12, 13, 25, 37 };

    public static TheoryData<string> Gemms() => GemmTests.Gemms();

    [Theory]
    [MemberData(nameof(Gemms))]
    public unsafe void Int8MatchesTheExactIntegerOracle(string name)
    {
        Type gemm = GemmTests.Resolve(name);
        int k = TestData.Constant(gemm, "K"), n = TestData.Constant(gemm, "N");
        Activation? activation = TestData.ActivationOf(gemm);
        float[] weight = TestData.Uniform(n * k, seed: 21, scale: 1f / MathF.Sqrt(k));
        float[] bias = TestData.Uniform(n, seed: 22, scale: 0.5f);
        using PackedLinear packed = PackedLinear.Pack(weight, bias, n, k);
        packed.ConvertTo(WeightPrecision.Int8, name);
        int levels = Int8Paths.WeightLevels;
        foreach (int m in RowCounts.Append(TestData.Constant(gemm.DeclaringType!.DeclaringType!, "MaxSeqLen")).Distinct())
        {
            foreach (bool withResidual in new[] { false, true })
            {
                float[] a = TestData.Uniform(m * k, seed: 23 + m);
                float[] residual = TestData.Uniform(m * n, seed: 24 + m);
                float[] expected = LowPrecisionReference.LinearInt8(a, m, k, weight, bias, n, levels);
                if (activation is { } act)
                {
                    expected = Reference.Activate(expected, act);
                }
                if (withResidual)
                {
                    expected = Reference.Add(expected, residual);
                }
                float[] actual = Run(gemm, a, m, packed, withResidual ? residual : null, out string? outside);
                string variant = $"{name} int8 on {Int8Paths.Active} (weights ±{levels}) m={m} residual={withResidual}";
                Assert.True(outside is null, $"{variant}: {outside}");
                if (activation is Activation.Gelu or Activation.GeluTanh)
                {
                    TestData.AssertClose(expected, actual, GeluTolerance, variant);
                }
                else
                {
                    AssertBitIdentical(expected, actual, n, variant);
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Gemms))]
    public unsafe void Bf16EqualsFp32OnRoundedWeights(string name)
    {
        Type gemm = GemmTests.Resolve(name);
        int k = TestData.Constant(gemm, "K"), n = TestData.Constant(gemm, "N");
        float[] weight = TestData.Uniform(n * k, seed: 31, scale: 1f / MathF.Sqrt(k));
        float[] bias = TestData.Uniform(n, seed: 32, scale: 0.5f);
        using PackedLinear bf16 = PackedLinear.Pack(weight, bias, n, k);
        bf16.ConvertTo(WeightPrecision.Bf16, name);
        using PackedLinear rounded = PackedLinear.Pack(LowPrecisionReference.RoundToBf16(weight), bias, n, k);
        foreach (int m in RowCounts)
        {
            float[] a = TestData.Uniform(m * k, seed: 33 + m);
            float[] residual = TestData.Uniform(m * n, seed: 34 + m);
            float[] expected = Run(gemm, a, m, rounded, residual, out _);
            float[] actual = Run(gemm, a, m, bf16, residual, out string? outside);
            string variant = $"{name} bf16 on {KernelPaths.Active} m={m}";
            Assert.True(outside is null, $"{variant}: {outside}");
            AssertBitIdentical(expected, actual, n, variant);
        }
    }

    [Fact]
    public unsafe void Int8ErrorAgainstFp32IsSmall()
    {
        // The quantization error itself, against the FP32 oracle: per-row activations and per-channel weights on unit-scale
        // data. Measured relative RMS error 0.43% (8-bit weights, Scalar) and 0.69% (7-bit weights, Avx512BW) on Zen 4; bound 2%
        // (a planted off-by-one in the offset correction gives errors of order 1).
        const int m = 37, k = MiniLmShape.DModel, n = MiniLmShape.FfnDim;
        float[] weight = TestData.Uniform(n * k, 41, 1f / MathF.Sqrt(k));
        float[] bias = TestData.Uniform(n, 42, 0.5f);
        float[] a = TestData.Uniform(m * k, 43);
        using PackedLinear packed = PackedLinear.Pack(weight, bias, n, k);
        packed.ConvertTo(WeightPrecision.Int8, "ffn");
        float[] actual = Run(typeof(MiniLmShape.Kernels.Gemm384x1536Gelu), a, m, packed, null, out _);
        float[] exact = Reference.Activate(Reference.Linear(a, m, k, weight, bias, n), Activation.Gelu);
        double error = 0, norm = 0;
        for (int i = 0; i < exact.Length; i++)
        {
            error += Math.Pow(exact[i] - actual[i], 2);
            norm += Math.Pow(exact[i], 2);
        }
        double relative = Math.Sqrt(error / norm);
        Assert.True(relative < 0.02, $"int8 on {Int8Paths.Active}: relative RMS error {relative:P2} against FP32");
    }

    [Fact]
    public unsafe void QuantizerMatchesTheOracleOnEveryLength()
    {
        foreach (int k in new[] { 1, 3, 4, 15, 16, 17, 31, 32, 33, 100, 384, 1536 })
        {
            // 300 rows of 1536 are a block large enough to be split over the kernel threads; every row must still be its own.
            int m = k == 1536 ? 300 : 4;
            float[] a = TestData.Uniform(m * k, seed: k);
            Array.Fill(a, 0.25f, k, k); // a constant row: scale 0, every u 0
            for (int i = 2 * k; i < 3 * k; i++)
            {
                a[i] = MathF.Abs(a[i]) * 3f + 1f; // all positive: the offset is not 0
            }
            (int[] expected, float[] expectedScales, float[] expectedOffsets) = LowPrecisionReference.QuantizeActivations(a, m, k);
            int ldq = (k + 3) / 4 * 4;
            var q = new byte[m * ldq];
            var scales = new float[m];
            var offsets = new float[m];
            fixed (float* pa = a, ps = scales, po = offsets)
            fixed (byte* pq = q)
            {
                ActivationQuantizer.QuantizeRows(pa, m, k, k, pq, ldq, ps, po);
            }
            Assert.Equal(expectedScales, scales);
            Assert.Equal(expectedOffsets, offsets);
            for (int r = 0; r < m; r++)
            {
                for (int i = 0; i < ldq; i++)
                {
                    int want = i < k ? expected[r * k + i] : 0;
                    Assert.True(want == q[r * ldq + i], $"k={k} row {r} input {i}: {q[r * ldq + i]}, expected {want}");
                }
            }
        }
    }

    [Fact]
    public unsafe void NonFiniteActivationsGiveNaNRows()
    {
        const int k = 40;
        float[] a = TestData.Uniform(2 * k, 5);
        a[k + 17] = float.PositiveInfinity;
        var q = new byte[2 * k];
        var scales = new float[2];
        var offsets = new float[2];
        fixed (float* pa = a, ps = scales, po = offsets)
        fixed (byte* pq = q)
        {
            ActivationQuantizer.QuantizeRows(pa, 2, k, k, pq, k, ps, po);
        }
        Assert.True(float.IsFinite(scales[0]));
        Assert.True(float.IsNaN(scales[1]), "a row holding ∞ must come out NaN, not as finite numbers");
    }

    [Fact]
    public void NonFiniteWeightsAreRejectedByName()
    {
        float[] weight = TestData.Uniform(24 * 20, 1);
        weight[5 * 20 + 7] = float.NaN;
        foreach (WeightPrecision precision in new[] { WeightPrecision.Int8, WeightPrecision.Bf16 })
        {
            using PackedLinear packed = PackedLinear.Pack(weight, default, 24, 20);
            var e = Assert.Throws<ModelWeightsException>(() => packed.ConvertTo(precision, "decoder.0.up"));
            Assert.Equal("decoder.0.up", e.TensorName);
            Assert.Contains("[5, 7]", e.Message);
            Assert.Equal(WeightPrecision.Fp32, packed.Precision);
        }
    }

    [Fact]
    public void WeightBytesShrinkWithPrecision()
    {
        const int n = MiniLmShape.FfnDim, k = MiniLmShape.DModel;
        float[] weight = TestData.Uniform(n * k, 3);
        using PackedLinear fp32 = PackedLinear.Pack(weight, default, n, k);
        using PackedLinear bf16 = PackedLinear.Pack(weight, default, n, k);
        using PackedLinear int8 = PackedLinear.Pack(weight, default, n, k);
        bf16.ConvertTo(WeightPrecision.Bf16, "bf16");
        int8.ConvertTo(WeightPrecision.Int8, "int8");
        Assert.Equal(4L * n * k, fp32.WeightBytes);
        Assert.Equal(2L * n * k, bf16.WeightBytes);
        Assert.Equal(1L * n * k + 8L * n, int8.WeightBytes); // + a float scale and an int sum per column
        Assert.Throws<InvalidOperationException>(() => int8.ConvertTo(WeightPrecision.Bf16, "int8"));
    }

    private static float[] Run(Type gemm, float[] a, int m, PackedLinear weights, float[]? residual, out string? outside) =>
        TestData.RunGuarded(gemm, a, m, weights, residual, TestData.Constant(gemm, "N"), out outside);

    private static void AssertBitIdentical(float[] expected, float[] actual, int n, string variant)
    {
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(actual[i]),
                $"{variant}: C[{i / n}, {i % n}] is {actual[i]:R}, expected exactly {expected[i]:R}");
        }
    }
}
