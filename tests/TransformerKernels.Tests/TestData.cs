using System.Reflection;

namespace TransformerKernels.Tests;

/// <summary>Seeded random inputs and comparison helpers shared by the kernel tests.</summary>
internal static class TestData
{
    private static readonly object ErrorLogGate = new();

    /// <summary>Uniform values in [-scale, scale), reproducible from the seed.</summary>
    public static float[] Uniform(int count, int seed, float scale = 1f)
    {
        var random = new Random(seed);
        var values = new float[count];
        for (int i = 0; i < count; i++)
        {
            values[i] = (float)((random.NextDouble() * 2 - 1) * scale);
        }
        return values;
    }

    /// <summary>Copies [rows, width] into rows <paramref name="stride"/> floats apart, filling the gaps.</summary>
    public static float[] Strided(float[] matrix, int rows, int width, int stride, float fill)
    {
        var result = new float[rows * stride];
        Array.Fill(result, fill);
        for (int r = 0; r < rows; r++)
        {
            Array.Copy(matrix, r * width, result, r * stride, width);
        }
        return result;
    }

    /// <summary>The [rows, width] matrix held in rows <paramref name="stride"/> floats apart.</summary>
    public static float[] Unstrided(float[] strided, int rows, int width, int stride)
    {
        var result = new float[rows * width];
        for (int r = 0; r < rows; r++)
        {
            Array.Copy(strided, r * stride, result, r * width, width);
        }
        return result;
    }

    /// <summary>Largest |expected − actual|; fails with the variant's name when a value is not finite.</summary>
    public static double MaxAbsError(float[] expected, ReadOnlySpan<float> actual, string variant)
    {
        Assert.True(expected.Length <= actual.Length, $"{variant}: output has {actual.Length} values, expected {expected.Length}");
        double max = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(float.IsFinite(actual[i]), $"{variant}: element {i} is {actual[i]} (expected {expected[i]})");
            max = Math.Max(max, Math.Abs((double)expected[i] - actual[i]));
        }
        return max;
    }

    /// <summary>
    /// Asserts max abs error ≤ tolerance, naming the variant and the path in the message. With <c>TK_TEST_ERROR_LOG</c> set
    /// to a file, every comparison appends its call site, path and measured error there: how the tolerances were set.
    /// </summary>
    public static void AssertClose(float[] expected, ReadOnlySpan<float> actual, double tolerance, string variant,
        [System.Runtime.CompilerServices.CallerFilePath] string file = "", [System.Runtime.CompilerServices.CallerLineNumber] int line = 0)
    {
        double error = MaxAbsError(expected, actual, variant);
        if (Environment.GetEnvironmentVariable("TK_TEST_ERROR_LOG") is { Length: > 0 } log)
        {
            lock (ErrorLogGate)
            {
                File.AppendAllText(log, System.FormattableString.Invariant($"{Path.GetFileName(file)}:{line}\t{KernelPaths.Active}\t{error:E3}\t{tolerance:E1}\t{variant}\n"));
            }
        }
        Assert.True(error <= tolerance, $"{variant} on {KernelPaths.Active}: max abs error {error:E3} > {tolerance:E1}");
    }

    /// <summary>The generated GEMM classes of a model (nested in its Kernels class).</summary>
    public static IEnumerable<Type> GemmsOf(Type model) =>
        model.GetNestedType("Kernels")!.GetNestedTypes().Where(t => t.Name.StartsWith("Gemm", StringComparison.Ordinal));

    /// <summary>
    /// The assembly's shared GEMM class (TransformerKernels.Gemms.TransformerKernels_Tests) a model's <c>Kernels.Gemm…</c> forwards
    /// to, where the workers, tiles and private constants live: of the same name for a model with biases, checked by its shape.
    /// </summary>
    public static Type SharedGemmOf(Type forwarder)
    {
        Type shared = forwarder.Assembly.GetType("TransformerKernels.Gemms.TransformerKernels_Tests." + forwarder.Name, throwOnError: true)!;
        foreach (string constant in new[] { "K", "N", "Lda", "Ldc" })
        {
            Assert.Equal(Constant(forwarder, constant), Constant(shared, constant));
        }
        return shared;
    }

    public static int Constant(Type type, string name) => (int)type.GetField(name, BindingFlags.Public | BindingFlags.Static)!.GetRawConstantValue()!;

    /// <summary>The activation a generated GEMM fuses, read from its name.</summary>
    public static Activation? ActivationOf(Type gemm) =>
        gemm.Name.Contains("GeluTanh", StringComparison.Ordinal) ? Activation.GeluTanh
        : gemm.Name.Contains("Gelu", StringComparison.Ordinal) ? Activation.Gelu
        : gemm.Name.Contains("Relu", StringComparison.Ordinal) ? Activation.Relu
        : null;

    /// <summary>What C is filled with before a guarded run: any other value outside the matrix is a stray write.</summary>
    public const float Guard = -12345.5f;

    /// <summary>
    /// Runs a generated GEMM as the blocks do — A and the residual copied to rows Lda / Ldc floats apart, C prefilled with
    /// <see cref="Guard"/> — and returns the first <paramref name="width"/> columns of each C row (N, or N/2 for SwiGLU);
    /// <paramref name="outside"/> names a float written past them (null: none).
    /// </summary>
    public static unsafe float[] RunGuarded(Type gemm, float[] a, int m, PackedLinear weights, float[]? residual, int width, out string? outside)
    {
        int k = Constant(gemm, "K"), n = Constant(gemm, "N"), lda = Constant(gemm, "Lda"), ldc = Constant(gemm, "Ldc");
        float[] stridedA = Strided(a, m, k, lda, 0f);
        float[]? stridedResidual = residual is null ? null : Strided(residual, m, n, ldc, 0f);
        var c = new float[m * ldc + 64];
        Array.Fill(c, Guard);
        fixed (float* pa = stridedA, pr = stridedResidual, pc = c)
        {
            RunGemm(gemm, pa, m, weights, pr, pc);
        }
        outside = null;
        for (int i = 0; i < c.Length && outside is null; i++)
        {
            bool inMatrix = i < m * ldc && i % ldc < width;
            if (!inMatrix && c[i] != Guard)
            {
                outside = $"wrote outside the matrix at {i}";
            }
        }
        return Unstrided(c, m, width, ldc);
    }

    /// <summary>Calls a generated GEMM's Run(a, m, weights, residual, c) through reflection.</summary>
    public static unsafe void RunGemm(Type gemm, float* a, int m, PackedLinear weights, float* residual, float* c)
    {
        MethodInfo run = gemm.GetMethod("Run")!;
        try
        {
            run.Invoke(null, [Pointer.Box(a, typeof(float*)), m, weights, Pointer.Box(residual, typeof(float*)), Pointer.Box(c, typeof(float*))]);
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            throw e.InnerException;
        }
    }
}
