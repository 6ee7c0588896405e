using TransformerKernels.Oracle;

namespace TransformerKernels.Tests;

/// <summary>The oracle itself, on cases small enough to check by hand.</summary>
public class OracleTests
{
    [Fact]
    public void AttentionOfTwoTokensWeighsValuesBySoftmaxOfScaledScores()
    {
        // q = [1, 0]; keys [1, 0] and [0, 1]; scores 1/√2 and 0 → weights e^{0.7071}/(e^{0.7071}+1) = 0.66976 and 0.33024.
        float[] output = Reference.ScaledDotProductAttention([1f, 0f], [1f, 0f, 0f, 1f], [10f, 0f, 0f, 10f], 1, 2, 2);
        Assert.Equal(6.6976, output[0], 3);
        Assert.Equal(3.3024, output[1], 3);
    }

    [Fact]
    public void CausalMaskHidesLaterTokens()
    {
        float[] output = Reference.ScaledDotProductAttention([1f, 1f], [5f, 5f], [2f, 7f], 2, 2, 1, (i, j) => j <= i);
        Assert.Equal(2f, output[0]); // the first query sees only the first value
    }

    [Fact]
    public void LayerNormOfAKnownVector()
    {
        // x = [1, 2, 3, 4]: mean 2.5, variance 1.25 → (x − 2.5)/√1.25 = [-1.3416, -0.4472, 0.4472, 1.3416].
        float[] y = Reference.LayerNorm([1f, 2f, 3f, 4f], 1, 4, [1f, 1f, 1f, 1f], [0f, 0f, 0f, 0f], 0);
        Assert.Equal(-1.341641, y[0], 5);
        Assert.Equal(-0.447214, y[1], 5);
        Assert.Equal(0.447214, y[2], 5);
        Assert.Equal(1.341641, y[3], 5);
        float[] scaled = Reference.LayerNorm([1f, 2f, 3f, 4f], 1, 4, [2f, 2f, 2f, 2f], [1f, 1f, 1f, 1f], 0);
        Assert.Equal(1 + 2 * 1.341641, scaled[3], 5);
    }

    [Fact]
    public void SinusoidalTableHasItsKnownValues()
    {
        float[] pe = Reference.SinusoidalPositions(3, 4);
        // pos 0: sin 0, cos 0, sin 0, cos 0
        Assert.Equal([0f, 1f, 0f, 1f], pe[..4]);
        // pos 1, d = 4: angles 1 and 1/100
        Assert.Equal(Math.Sin(1), pe[4], 6);
        Assert.Equal(Math.Cos(1), pe[5], 6);
        Assert.Equal(Math.Sin(0.01), pe[6], 6);
        Assert.Equal(Math.Cos(0.01), pe[7], 6);
        Assert.Equal(Math.Sin(2), pe[8], 6);
    }

    [Theory]
    [InlineData(0.0, 0.0)]
    [InlineData(0.5, 0.5204998778130465)]
    [InlineData(1.0, 0.8427007929497149)]
    [InlineData(2.0, 0.9953222650189527)]
    [InlineData(3.5, 0.9999992569016276)]
    [InlineData(-1.0, -0.8427007929497149)]
    public void ErfMatchesTabulatedValues(double x, double expected) => Assert.Equal(expected, Reference.Erf(x), 12);

    [Fact]
    public void SoftmaxSumsToOneAndSurvivesLargeLogits()
    {
        float[] p = Reference.Softmax([1000f, 1000f, -1000f]);
        Assert.Equal(0.5f, p[0]);
        Assert.Equal(0.5f, p[1]);
        Assert.Equal(0f, p[2]);
    }

    [Fact]
    public void LinearUsesPyTorchLayout()
    {
        // W = [[1, 2], [3, 4], [5, 6]] maps [1, 1] to [3, 7, 11]; bias adds [1, 0, -1].
        float[] y = Reference.Linear([1f, 1f], 1, 2, [1f, 2f, 3f, 4f, 5f, 6f], [1f, 0f, -1f], 3);
        Assert.Equal([4f, 7f, 10f], y);
    }

    [Fact]
    public void GeluOfKnownPoints()
    {
        Assert.Equal(0.8413447460685429, Reference.Activate(1.0, Activation.Gelu), 12);
        Assert.Equal(-0.15865525393145707, Reference.Activate(-1.0, Activation.Gelu), 12);
        Assert.Equal(0.8411919906082768, Reference.Activate(1.0, Activation.GeluTanh), 12);
        Assert.Equal(0.0, Reference.Activate(-3.0, Activation.Relu));
    }
}
