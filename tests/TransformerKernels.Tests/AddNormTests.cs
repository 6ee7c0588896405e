using TransformerKernels.Oracle;

namespace TransformerKernels.Tests;

/// <summary>
/// Add &amp; Norm against the oracle, including constant rows and aliasing. Tolerance 5e-6 on unit-scale rows: the largest
/// error measured on the Avx512, Avx2 and scalar paths is 9.5e-7 (one float ulp at 8), a margin of 5×. A wrong ε
/// (1e-5 where 1e-12 is declared) moves the outputs by ~1.5e-5 and fails here. 500 rows of MiniLM's 384 take the
/// multi-threaded split, where every chunk of rows must find its own rows.
/// </summary>
public class AddNormTests
{
    private const double Tolerance = 5e-6;

    [Theory]
    [InlineData(nameof(SeedModel), 1)]
    [InlineData(nameof(SeedModel), 37)]
    [InlineData(nameof(MiniLmShape), 13)]
    [InlineData(nameof(MiniLmShape), 500)] // enough rows to be split over the kernel threads
    [InlineData(nameof(OddModel), 7)]
    [InlineData(nameof(TinyModel), 9)]
    public unsafe void MatchesOracleWithAndWithoutResidual(string model, int rows)
    {
        Type type = typeof(AddNormTests).Assembly.GetType("TransformerKernels.Tests." + model)!;
        int d = TestData.Constant(type, "DModel");
        float epsilon = (float)type.GetField("LayerNormEpsilon")!.GetRawConstantValue()!;
        float[] x = TestData.Uniform(rows * d, 31, 3f);
        float[] residual = TestData.Uniform(rows * d, 32);
        float[] gamma = TestData.Uniform(d, 33);
        float[] beta = TestData.Uniform(d, 34);
        foreach (bool withResidual in new[] { false, true })
        {
            float[] expected = Reference.LayerNorm(withResidual ? Reference.Add(x, residual) : x, rows, d, gamma, beta, epsilon);
            var y = new float[rows * d];
            Run(type, x, withResidual ? residual : null, gamma, beta, y, rows);
            TestData.AssertClose(expected, y, Tolerance, $"{model} AddNorm rows={rows} residual={withResidual}");
        }
    }

    [Fact]
    public void ConstantRowsGiveBeta()
    {
        const int d = OddModel.DModel;
        float[] x = Enumerable.Repeat(7.25f, 2 * d).ToArray();
        float[] gamma = TestData.Uniform(d, 35);
        float[] beta = TestData.Uniform(d, 36);
        var y = new float[2 * d];
        Run(typeof(OddModel), x, null, gamma, beta, y, 2);
        TestData.AssertClose([.. beta, .. beta], y, 1e-6, "constant row");
    }

    [Fact]
    public void OutputMayAliasTheInput()
    {
        const int d = SeedModel.DModel;
        float[] x = TestData.Uniform(3 * d, 37);
        float[] residual = TestData.Uniform(3 * d, 38);
        float[] gamma = TestData.Uniform(d, 39), beta = TestData.Uniform(d, 40);
        float[] expected = Reference.LayerNorm(Reference.Add(x, residual), 3, d, gamma, beta, SeedModel.LayerNormEpsilon);
        Run(typeof(SeedModel), x, residual, gamma, beta, x, 3);
        TestData.AssertClose(expected, x, Tolerance, "in place");
    }

    private static unsafe void Run(Type model, float[] x, float[]? residual, float[] gamma, float[] beta, float[] y, int rows)
    {
        fixed (float* px = x, pr = residual, pg = gamma, pb = beta, py = y)
        {
            var run = model.GetNestedType("Kernels")!.GetNestedType("AddNorm")!.GetMethod("Run")!;
            static object Box(float* p) => System.Reflection.Pointer.Box(p, typeof(float*));
            run.Invoke(null, [Box(px), Box(pr), Box(pg), Box(pb), Box(py), rows]);
        }
    }
}
