namespace TransformerKernels;

/// <summary>
/// A linear layer y = x·Wᵀ + b prepacked for the generated GEMMs: W (PyTorch layout [out, in]) is cut into panels
/// of 16 output columns; each panel stores its K input rows contiguously, 16 floats per row, zero-padded past the
/// last output. A micro-kernel then streams one panel with unit stride while the row tile stays in registers.
/// </summary>
public sealed unsafe class PackedLinear : IDisposable
{
    /// <summary>Output columns per panel.</summary>
    public const int PanelWidth = 16;

    private readonly NativeBuffer _weights;
    private readonly NativeBuffer _bias;

    private PackedLinear(int inputSize, int outputSize)
    {
        InputSize = inputSize;
        OutputSize = outputSize;
        Panels = (outputSize + PanelWidth - 1) / PanelWidth;
        _weights = new NativeBuffer((long)Panels * PanelWidth * inputSize);
        _bias = new NativeBuffer((long)Panels * PanelWidth);
    }

    /// <summary>K: features in.</summary>
    public int InputSize { get; }

    /// <summary>N: features out.</summary>
    public int OutputSize { get; }

    /// <summary>Panels of <see cref="PanelWidth"/> columns.</summary>
    public int Panels { get; }

    /// <summary>Packed weights: panel p, input k, lane j at [(p·K + k)·16 + j] = W[p·16 + j, k].</summary>
    public float* Weights => _weights.Pointer;

    /// <summary>Bias padded with zeros to a whole number of panels (all zeros when the layer has none).</summary>
    public float* Bias => _bias.Pointer;

    /// <summary>Packs a weight in PyTorch's [outputSize, inputSize] row-major layout and an optional bias.</summary>
    /// <exception cref="ArgumentException">A span's length does not match the declared sizes.</exception>
    public static PackedLinear Pack(ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, int outputSize, int inputSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(outputSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(inputSize, 1);
        if (weight.Length != (long)outputSize * inputSize)
        {
            throw new ArgumentException($"Weight has {weight.Length} floats; expected [{outputSize}, {inputSize}] = {(long)outputSize * inputSize}.", nameof(weight));
        }
        if (!bias.IsEmpty && bias.Length != outputSize)
        {
            throw new ArgumentException($"Bias has {bias.Length} floats; expected {outputSize}.", nameof(bias));
        }
        var packed = new PackedLinear(inputSize, outputSize);
        float* panels = packed.Weights;
        for (int n = 0; n < outputSize; n++)
        {
            float* column = panels + (long)(n / PanelWidth) * PanelWidth * inputSize + n % PanelWidth;
            ReadOnlySpan<float> row = weight.Slice(n * inputSize, inputSize);
            for (int k = 0; k < inputSize; k++)
            {
                column[k * PanelWidth] = row[k];
            }
        }
        bias.CopyTo(new Span<float>(packed.Bias, outputSize));
        return packed;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _weights.Dispose();
        _bias.Dispose();
    }
}
