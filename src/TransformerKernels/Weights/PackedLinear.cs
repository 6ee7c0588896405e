namespace TransformerKernels;

/// <summary>
/// A linear layer y = x·Wᵀ + b prepacked for the generated GEMMs: W (PyTorch layout [out, in]) is cut into panels
/// of 16 output columns; each panel stores its K input rows contiguously, 16 floats per row, zero-padded past the
/// last output. A micro-kernel then streams one panel with unit stride while the row tile stays in registers.
/// </summary>
public sealed unsafe class PackedLinear : IDisposable
{
    /// <summary>Output columns per panel.</summary>
    public const int PanelWidth = ShapeMath.PanelWidth;

    private NativeBuffer? _weights;
    private readonly NativeBuffer _bias;
    private LowPrecisionWeights? _lowPrecision;

    private PackedLinear(NativeBuffer weights, NativeBuffer bias, int inputSize, int outputSize)
    {
        InputSize = inputSize;
        OutputSize = outputSize;
        Panels = (outputSize + PanelWidth - 1) / PanelWidth;
        if (weights.Length != (long)Panels * PanelWidth * inputSize || bias.Length != (long)Panels * PanelWidth)
        {
            throw new ArgumentException($"Packed data of {weights.Length} + {bias.Length} floats does not fit a [{outputSize}, {inputSize}] layer.");
        }
        _weights = weights;
        _bias = bias;
    }

    /// <summary>Wraps BF16 or int8 weights already in their packed layout (from a prepacked checkpoint), without copying.</summary>
    internal static PackedLinear FromPacked(LowPrecisionWeights weights, NativeBuffer bias, int outputSize, int inputSize)
    {
        int panels = (outputSize + PanelWidth - 1) / PanelWidth;
        if (bias.Length != (long)panels * PanelWidth)
        {
            throw new ArgumentException($"A padded bias of {bias.Length} floats does not fit a [{outputSize}, {inputSize}] layer.");
        }
        return new PackedLinear(inputSize, outputSize, panels, weights, bias);
    }

    private PackedLinear(int inputSize, int outputSize, int panels, LowPrecisionWeights weights, NativeBuffer bias)
    {
        InputSize = inputSize;
        OutputSize = outputSize;
        Panels = panels;
        _lowPrecision = weights;
        _bias = bias;
    }

    /// <summary>Wraps weights already in the packed layout (from a prepacked checkpoint), without copying.</summary>
    internal static PackedLinear FromPacked(NativeBuffer weights, NativeBuffer bias, int outputSize, int inputSize) =>
        new(weights, bias, inputSize, outputSize);

    /// <summary>The packed FP32 weights as a span, to save them.</summary>
    internal ReadOnlySpan<float> PackedWeights => new(Weights, checked((int)_weights!.Length));

    /// <summary>The padded bias as a span.</summary>
    internal ReadOnlySpan<float> PaddedBias => new(Bias, checked((int)_bias.Length));

    private PackedLinear(int inputSize, int outputSize)
    {
        InputSize = inputSize;
        OutputSize = outputSize;
        Panels = (outputSize + PanelWidth - 1) / PanelWidth;
        // Not zeroed: Pack writes every float, padding columns included.
        _weights = new NativeBuffer((long)Panels * PanelWidth * inputSize, zeroed: false);
        _bias = new NativeBuffer((long)Panels * PanelWidth);
    }

    /// <summary>K: features in.</summary>
    public int InputSize { get; }

    /// <summary>N: features out.</summary>
    public int OutputSize { get; }

    /// <summary>Panels of <see cref="PanelWidth"/> columns.</summary>
    public int Panels { get; }

    /// <summary>How the weights are stored; <see cref="WeightPrecision.Fp32"/> until <see cref="ConvertTo"/> changes it.</summary>
    public WeightPrecision Precision => _lowPrecision?.Precision ?? WeightPrecision.Fp32;

    /// <summary>Packed FP32 weights: panel p, input k, lane j at [(p·K + k)·16 + j] = W[p·16 + j, k].</summary>
    /// <exception cref="InvalidOperationException">The layer was converted to a lower precision (its FP32 weights are freed).</exception>
    public float* Weights => _weights is null
        ? throw new InvalidOperationException($"This [{OutputSize}, {InputSize}] layer holds {Precision} weights; its FP32 weights were freed by ConvertTo.")
        : _weights.Pointer;

    /// <summary>The int8 or BF16 form, or null for FP32.</summary>
    public LowPrecisionWeights? LowPrecision => _lowPrecision;

    /// <summary>Bytes of weight storage (the packed matrix plus, for int8, its per-column scales and sums); biases not counted.</summary>
    public long WeightBytes => _lowPrecision?.Bytes ?? _weights!.Length * sizeof(float);

    /// <summary>
    /// Replaces the FP32 weights by <paramref name="precision"/>'s form (BF16 rounded to nearest even, or int8 per output
    /// channel) and frees them. A layer already in that precision is left as it is; lower precisions cannot go back to FP32.
    /// </summary>
    /// <param name="precision">Target precision.</param>
    /// <param name="name">The layer's name, for errors.</param>
    /// <exception cref="ModelWeightsException">A weight is NaN or infinite.</exception>
    /// <exception cref="InvalidOperationException">The layer already holds another lower precision.</exception>
    public void ConvertTo(WeightPrecision precision, string name)
    {
        if (precision == Precision)
        {
            return;
        }
        if (_weights is null)
        {
            throw new InvalidOperationException($"Layer {name} already holds {Precision} weights; it cannot be converted to {precision}.");
        }
        _lowPrecision = precision switch
        {
            WeightPrecision.Bf16 => LowPrecisionWeights.ToBf16(_weights.Pointer, Panels, InputSize, name),
            WeightPrecision.Int8 => LowPrecisionWeights.ToInt8(_weights.Pointer, Panels, InputSize, name),
            _ => throw new ArgumentOutOfRangeException(nameof(precision), precision, "Not a weight precision."),
        };
        _weights.Dispose();
        _weights = null;
    }

    /// <summary>Bias padded with zeros to a whole number of panels (all zeros when the layer has none).</summary>
    public float* Bias => _bias.Pointer;

    /// <summary>Packs a weight in PyTorch's [outputSize, inputSize] row-major layout and an optional bias.</summary>
    /// <exception cref="ArgumentException">A span's length does not match the declared sizes.</exception>
    public static PackedLinear Pack(ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, int outputSize, int inputSize)
    {
        CheckSizes(weight, bias, outputSize, inputSize);
        return PackColumns(weight, bias, outputSize, inputSize, column => column < outputSize ? column : -1);
    }

    /// <summary>
    /// Packs the gate and up projections of a SiLU-gated FFN (SwiGLU) as the generated GEMM whose epilogue multiplies
    /// them wants them: <paramref name="gateAndUp"/> is [2·ffnDim, inputSize], the gate's rows then the up's (as PyTorch
    /// concatenates them), and each 16-column panel p holds hidden units [8p, 8p + 8)'s gate columns then their up
    /// columns, so one panel's accumulators hold both factors of 8 outputs. The layer has 16·⌈ffnDim/8⌉ columns; those
    /// past ffnDim are zero (their products are 0).
    /// </summary>
    /// <exception cref="ArgumentException">A span's length does not match the declared sizes.</exception>
    public static PackedLinear PackGated(ReadOnlySpan<float> gateAndUp, ReadOnlySpan<float> bias, int ffnDim, int inputSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(ffnDim, 1);
        CheckSizes(gateAndUp, bias, 2 * ffnDim, inputSize);
        return PackColumns(gateAndUp, bias, GatedColumns(ffnDim), inputSize, column =>
        {
            int unit = column / PanelWidth * 8 + column % 8;
            return unit >= ffnDim ? -1 : column % PanelWidth < 8 ? unit : ffnDim + unit;
        });
    }

    /// <summary>Columns of a gated FFN's packed gate-and-up layer: 16 per group of 8 hidden units.</summary>
    public static int GatedColumns(int ffnDim) => ShapeMath.GatedColumns(ffnDim);

    private static void CheckSizes(ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, int outputSize, int inputSize)
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
    }

    /// <summary>Packs <paramref name="columns"/> output columns; column c is row <paramref name="sourceRow"/>(c) of the weight (and bias), or zeros for −1.</summary>
    private static PackedLinear PackColumns(ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, int columns, int inputSize, Func<int, int> sourceRow)
    {
        var packed = new PackedLinear(inputSize, columns);
        // Panel by panel, k by k: the writes are sequential and the 16 source rows are read as 16 forward streams,
        // which keeps packing a 90 MB model to tens of milliseconds.
        float* destination = packed.Weights;
        Span<int> rows = stackalloc int[PanelWidth];
        fixed (float* source = weight)
        {
            for (int panel = 0; panel < packed.Panels; panel++)
            {
                for (int j = 0; j < PanelWidth; j++)
                {
                    rows[j] = sourceRow(panel * PanelWidth + j);
                    packed.Bias[panel * PanelWidth + j] = rows[j] >= 0 && !bias.IsEmpty ? bias[rows[j]] : 0f;
                }
                for (int k = 0; k < inputSize; k++, destination += PanelWidth)
                {
                    for (int j = 0; j < PanelWidth; j++)
                    {
                        // Padding columns are multiplied by the kernels too, so they must be 0.
                        destination[j] = rows[j] >= 0 ? source[(long)rows[j] * inputSize + k] : 0f;
                    }
                }
            }
        }
        return packed;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _weights?.Dispose();
        _lowPrecision?.Dispose();
        _bias.Dispose();
    }
}
