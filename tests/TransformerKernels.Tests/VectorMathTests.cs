using System.Runtime.Intrinsics;
using TransformerKernels.Oracle;

namespace TransformerKernels.Tests;

/// <summary>exp, erf and the activations on the active path against double-precision references.</summary>
public class VectorMathTests
{
    /// <summary>Evaluates f on the active path's vector width (or scalar) for each input.</summary>
    private static float[] OnActivePath(float[] inputs, Func<Vector512<float>, Vector512<float>> f512, Func<Vector256<float>, Vector256<float>> f256, Func<float, float> scalar)
    {
        var result = new float[inputs.Length];
        for (int i = 0; i < inputs.Length; i++)
        {
            result[i] = KernelPaths.Active switch
            {
                KernelPath.Avx512 => f512(Vector512.Create(inputs[i])).ToScalar(),
                KernelPath.Avx2 => f256(Vector256.Create(inputs[i])).ToScalar(),
                _ => scalar(inputs[i]),
            };
        }
        return result;
    }

    private static float[] Range(float from, float to, int count) =>
        Enumerable.Range(0, count).Select(i => from + (to - from) * i / (count - 1)).ToArray();

    [Fact]
    public void ExpHasRelativeErrorBelowOneMillionth()
    {
        float[] x = Range(-87f, 88f, 20001);
        float[] y = OnActivePath(x, VectorMath.Exp, VectorMath.Exp, VectorMath.Exp);
        for (int i = 0; i < x.Length; i++)
        {
            double exact = Math.Exp(x[i]);
            double relative = Math.Abs(y[i] - exact) / exact;
            Assert.True(relative <= 1e-6, $"exp({x[i]}) on {KernelPaths.Active}: {y[i]} vs {exact}, relative error {relative:E2}");
        }
    }

    [Fact]
    public void ExpOfVeryNegativeAndMinusInfinityIsZero()
    {
        float[] y = OnActivePath([-100f, -1e30f, float.NegativeInfinity], VectorMath.Exp, VectorMath.Exp, VectorMath.Exp);
        Assert.All(y, v => Assert.Equal(0f, v));
    }

    [Theory]
    [InlineData(Activation.Gelu)]
    [InlineData(Activation.GeluTanh)]
    [InlineData(Activation.Relu)]
    public void ActivationsWithinOneMillionthOfExact(Activation activation)
    {
        float[] x = Range(-10f, 10f, 4001);
        float[] y = activation switch
        {
            Activation.Gelu => OnActivePath(x, VectorMath.Gelu, VectorMath.Gelu, VectorMath.Gelu),
            Activation.GeluTanh => OnActivePath(x, VectorMath.GeluTanh, VectorMath.GeluTanh, VectorMath.GeluTanh),
            _ => OnActivePath(x, VectorMath.Relu, VectorMath.Relu, VectorMath.Relu),
        };
        for (int i = 0; i < x.Length; i++)
        {
            double exact = Reference.Activate(x[i], activation);
            // 1e-6 absolute, plus float rounding of the result itself for |y| up to 10.
            double tolerance = 1e-6 + Math.Abs(exact) * 2e-7;
            Assert.True(Math.Abs(y[i] - exact) <= tolerance, $"{activation}({x[i]}) on {KernelPaths.Active}: {y[i]} vs {exact}");
        }
    }
}
