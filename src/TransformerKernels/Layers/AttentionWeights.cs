namespace TransformerKernels;

/// <summary>
/// Self-attention of one block: the Q, K and V projections fused into one linear layer of 3·DModel outputs (PyTorch's
/// <c>in_proj_weight</c> already stacks them by rows), and the output projection applied to the concatenated heads.
/// </summary>
public sealed class SelfAttentionWeights : IDisposable
{
    /// <summary>
    /// Packs PyTorch's <c>in_proj_weight</c> [3d, d], <c>in_proj_bias</c> [3d], <c>out_proj.weight</c> [d, d], <c>out_proj.bias</c> [d];
    /// with grouped-query attention the projection is [d + 2·kvWidth, d] (queries, then keys, then values). Empty biases are zeros.
    /// </summary>
    public SelfAttentionWeights(ReadOnlySpan<float> inProj, ReadOnlySpan<float> inProjBias, ReadOnlySpan<float> outProj, ReadOnlySpan<float> outProjBias, int dModel, int kvWidth = 0)
    {
        QueryKeyValue = PackedLinear.Pack(inProj, inProjBias, dModel + 2 * (kvWidth == 0 ? dModel : kvWidth), dModel);
        Output = PackedLinear.Pack(outProj, outProjBias, dModel, dModel);
    }

    internal SelfAttentionWeights(PackedLinear queryKeyValue, PackedLinear output)
    {
        QueryKeyValue = queryKeyValue;
        Output = output;
    }

    /// <summary>[x·Wqᵀ | x·Wkᵀ | x·Wvᵀ] + b: DModel → 3·DModel.</summary>
    public PackedLinear QueryKeyValue { get; }

    /// <summary>Output projection of the concatenated heads: DModel → DModel.</summary>
    public PackedLinear Output { get; }

    /// <inheritdoc/>
    public void Dispose()
    {
        QueryKeyValue.Dispose();
        Output.Dispose();
    }
}

/// <summary>
/// Encoder–decoder attention: the query projection reads the decoder, the fused K·V projection reads the encoder output
/// (computed once per source sentence), then the output projection.
/// </summary>
public sealed class CrossAttentionWeights : IDisposable
{
    /// <summary>Splits PyTorch's stacked <c>in_proj_weight</c> [3d, d] into Q [d, d] and K·V [2d, d].</summary>
    public CrossAttentionWeights(ReadOnlySpan<float> inProj, ReadOnlySpan<float> inProjBias, ReadOnlySpan<float> outProj, ReadOnlySpan<float> outProjBias, int dModel)
    {
        int d = dModel;
        Shapes.Require(inProj.Length == 3 * d * d, nameof(inProj), $"has {inProj.Length} floats; expected [{3 * d}, {d}]");
        Shapes.Require(inProjBias.Length == 3 * d, nameof(inProjBias), $"has {inProjBias.Length} floats; expected {3 * d}");
        Query = PackedLinear.Pack(inProj[..(d * d)], inProjBias[..d], d, d);
        KeyValue = PackedLinear.Pack(inProj[(d * d)..], inProjBias[d..], 2 * d, d);
        Output = PackedLinear.Pack(outProj, outProjBias, d, d);
    }

    internal CrossAttentionWeights(PackedLinear query, PackedLinear keyValue, PackedLinear output)
    {
        Query = query;
        KeyValue = keyValue;
        Output = output;
    }

    /// <summary>DModel → DModel, applied to the decoder's rows.</summary>
    public PackedLinear Query { get; }

    /// <summary>DModel → 2·DModel, applied to the encoder output.</summary>
    public PackedLinear KeyValue { get; }

    /// <summary>Output projection of the concatenated heads.</summary>
    public PackedLinear Output { get; }

    /// <inheritdoc/>
    public void Dispose()
    {
        Query.Dispose();
        KeyValue.Dispose();
        Output.Dispose();
    }
}

/// <summary>Position-wise FFN: DModel → FfnDim (+ activation) → DModel; gated (SwiGLU): DModel → gate and up (2·FfnDim, one GEMM whose epilogue multiplies them) → FfnDim → DModel.</summary>
public sealed class FeedForwardWeights : IDisposable
{
    /// <summary>
    /// Packs <c>linear1</c> [f, d] + bias [f] (gated: [2f, d], gate rows then up rows, packed by
    /// <see cref="PackedLinear.PackGated"/>) and <c>linear2</c> [d, f] + bias [d]. Empty biases are zeros.
    /// </summary>
    public FeedForwardWeights(ReadOnlySpan<float> linear1, ReadOnlySpan<float> bias1, ReadOnlySpan<float> linear2, ReadOnlySpan<float> bias2, int dModel, int ffnDim, bool gated = false)
    {
        Up = gated ? PackedLinear.PackGated(linear1, bias1, ffnDim, dModel) : PackedLinear.Pack(linear1, bias1, ffnDim, dModel);
        Down = PackedLinear.Pack(linear2, bias2, dModel, ffnDim);
    }

    internal FeedForwardWeights(PackedLinear up, PackedLinear down)
    {
        Up = up;
        Down = down;
    }

    /// <summary>First linear layer (the activation is fused into its GEMM).</summary>
    public PackedLinear Up { get; }

    /// <summary>Second linear layer.</summary>
    public PackedLinear Down { get; }

    /// <inheritdoc/>
    public void Dispose()
    {
        Up.Dispose();
        Down.Dispose();
    }
}

/// <summary>One encoder block: self-attention, Add &amp; Norm, FFN, Add &amp; Norm.</summary>
/// <param name="SelfAttention">Multi-head self-attention.</param>
/// <param name="Norm1">LayerNorm after (post-norm) or before (pre-norm) self-attention.</param>
/// <param name="FeedForward">Position-wise FFN.</param>
/// <param name="Norm2">LayerNorm around the FFN.</param>
public sealed record EncoderLayerWeights(SelfAttentionWeights SelfAttention, LayerNormWeights Norm1, FeedForwardWeights FeedForward, LayerNormWeights Norm2) : IDisposable
{
    /// <inheritdoc/>
    public void Dispose()
    {
        SelfAttention.Dispose();
        Norm1.Dispose();
        FeedForward.Dispose();
        Norm2.Dispose();
    }
}

/// <summary>One decoder block: masked self-attention, encoder–decoder attention and FFN, each with Add &amp; Norm.</summary>
/// <param name="SelfAttention">Masked multi-head self-attention.</param>
/// <param name="Norm1">LayerNorm around self-attention.</param>
/// <param name="CrossAttention">Attention over the encoder output (null in a decoder-only model).</param>
/// <param name="Norm2">LayerNorm around cross-attention.</param>
/// <param name="FeedForward">Position-wise FFN.</param>
/// <param name="Norm3">LayerNorm around the FFN.</param>
public sealed record DecoderLayerWeights(
    SelfAttentionWeights SelfAttention, LayerNormWeights Norm1, CrossAttentionWeights? CrossAttention, LayerNormWeights Norm2,
    FeedForwardWeights FeedForward, LayerNormWeights Norm3) : IDisposable
{
    /// <inheritdoc/>
    public void Dispose()
    {
        SelfAttention.Dispose();
        Norm1.Dispose();
        CrossAttention?.Dispose();
        Norm2.Dispose();
        FeedForward.Dispose();
        Norm3.Dispose();
    }
}
