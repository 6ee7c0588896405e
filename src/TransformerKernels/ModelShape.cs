namespace TransformerKernels;

/// <summary>A declared model's shape as a value (generated as <c>Model.Shape</c>), for loaders, tools and tests.</summary>
/// <param name="DModel">Width of every token vector.</param>
/// <param name="Heads">Attention heads.</param>
/// <param name="EncoderLayers">Encoder blocks.</param>
/// <param name="DecoderLayers">Decoder blocks.</param>
/// <param name="FfnDim">FFN inner width.</param>
/// <param name="MaxSeqLen">Longest sequence.</param>
/// <param name="PositionTableSize">Rows of the position table.</param>
/// <param name="EncoderVocab">Encoder token embeddings (0: none).</param>
/// <param name="DecoderVocab">Decoder token embeddings and output width (0: none).</param>
/// <param name="TokenTypes">Token-type embeddings (0: none).</param>
/// <param name="Norm">Post- or pre-norm.</param>
/// <param name="Activation">FFN activation.</param>
/// <param name="Positions">Position encoding.</param>
/// <param name="LayerNormEpsilon">LayerNorm ε.</param>
/// <param name="KvHeads">Key/value heads (grouped-query attention); 0 = Heads.</param>
/// <param name="RotaryTheta">Base θ of rotary positions (0 without them).</param>
/// <param name="Bias">Whether the linear layers have biases.</param>
/// <param name="RopeScaling">How rotary frequencies are rescaled.</param>
/// <param name="RopeScalingFactor">Rotary scaling factor (1: unscaled).</param>
/// <param name="RopeLowFrequencyFactor">Llama 3 rotary scaling's low_freq_factor.</param>
/// <param name="RopeHighFrequencyFactor">Llama 3 rotary scaling's high_freq_factor.</param>
/// <param name="RopeOriginalMaxPositions">Llama 3 rotary scaling's original_max_position_embeddings.</param>
/// <param name="QkvBias">Whether the q/k/v projections have biases although <paramref name="Bias"/> is false (Qwen2).</param>
public sealed record ModelShape(
    int DModel, int Heads, int EncoderLayers, int DecoderLayers, int FfnDim, int MaxSeqLen, int PositionTableSize,
    int EncoderVocab, int DecoderVocab, int TokenTypes, NormPlacement Norm, Activation Activation, PositionEncoding Positions,
    float LayerNormEpsilon, int KvHeads = 0, double RotaryTheta = 0, bool Bias = true, RopeScaling RopeScaling = RopeScaling.None,
    double RopeScalingFactor = 1, double RopeLowFrequencyFactor = 1, double RopeHighFrequencyFactor = 4, int RopeOriginalMaxPositions = 8192,
    bool QkvBias = false)
{
    /// <summary>Width of the keys (and of the values) of one position: KvHeads·HeadDim (DModel without grouped-query attention).</summary>
    public int KvDModel => ShapeMath.KvDModel(DModel, Heads, KvHeads);

    /// <summary>Outputs of the fused Q·K·V projection: DModel + 2·KvDModel.</summary>
    public int QkvWidth => ShapeMath.QkvWidth(DModel, Heads, KvHeads);

    /// <summary>Whether the fused Q·K·V projection adds a bias: every linear layer has one, or only q/k/v do (<see cref="QkvBias"/>).</summary>
    public bool HasQkvBias => Bias || QkvBias;

    /// <summary>Width of one head.</summary>
    public int HeadDim => ShapeMath.HeadDim(DModel, Heads);

    /// <summary>Outputs of the FFN's first linear layer in a checkpoint: 2·FfnDim (gate and up) for <see cref="Activation.SwiGlu"/>, else FfnDim.</summary>
    public int FfnUpWidth => Activation == Activation.SwiGlu ? 2 * FfnDim : FfnDim;

    /// <summary>
    /// Columns of the FFN's first packed layer: FfnDim, or for <see cref="Activation.SwiGlu"/> gate and up interleaved 8 and 8
    /// per panel (<see cref="PackedLinear.PackGated"/>).
    /// </summary>
    public int FfnUpColumns => Activation == Activation.SwiGlu ? ShapeMath.GatedColumns(FfnDim) : FfnDim;

    /// <summary>Floats between rows of the FFN hidden activations (the generated <c>FfnHiddenStride</c>): FfnDim, gated rounded up to 8, padded.</summary>
    public int FfnHiddenStride => PaddedStride(Activation == Activation.SwiGlu ? ShapeMath.GatedHiddenWidth(FfnDim) : FfnDim);

    /// <summary>
    /// A row width padded by 16 floats when rows would be a multiple of 4 KiB apart: such rows share one L1 set, and the
    /// 12 rows a GEMM register tile reads at once would evict each other (ShapeMath, the formula the generator uses too).
    /// </summary>
    public static int PaddedStride(int width) => ShapeMath.PaddedStride(width);
}
