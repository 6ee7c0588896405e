namespace TransformerKernels;

/// <summary>LayerNorm γ (scale) and β (shift), [DModel] each, in native memory for the kernels.</summary>
public sealed unsafe class LayerNormWeights : IDisposable
{
    private readonly NativeBuffer _gamma;
    private readonly NativeBuffer _beta;

    /// <summary>Copies γ and β, which must both have <paramref name="width"/> floats.</summary>
    public LayerNormWeights(ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, int width)
    {
        Shapes.Require(gamma.Length == width, nameof(gamma), $"has {gamma.Length} floats; expected {width}");
        Shapes.Require(beta.Length == width, nameof(beta), $"has {beta.Length} floats; expected {width}");
        _gamma = new NativeBuffer(width);
        _beta = new NativeBuffer(width);
        gamma.CopyTo(_gamma.Span);
        beta.CopyTo(_beta.Span);
    }

    internal LayerNormWeights(NativeBuffer gamma, NativeBuffer beta)
    {
        _gamma = gamma;
        _beta = beta;
    }

    /// <summary>γ as an array, to save it.</summary>
    internal float[] GammaValues => _gamma.Span.ToArray();

    /// <summary>β as an array, to save it.</summary>
    internal float[] BetaValues => _beta.Span.ToArray();

    /// <summary>γ, [DModel].</summary>
    public float* Gamma => _gamma.Pointer;

    /// <summary>β, [DModel].</summary>
    public float* Beta => _beta.Pointer;

    /// <inheritdoc/>
    public void Dispose()
    {
        _gamma.Dispose();
        _beta.Dispose();
    }
}

/// <summary>Argument checks shared by the weight types.</summary>
internal static class Shapes
{
    public static void Require(bool condition, string argument, string problem)
    {
        if (!condition)
        {
            throw new ArgumentException($"'{argument}' {problem}.", argument);
        }
    }
}
