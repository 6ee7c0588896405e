using TransformerKernels.Generators.Helpers;

namespace TransformerKernels.Generators.Model;

/// <summary>
/// Everything the emitter needs to write one model, as plain values: the declared shape, every number derived from
/// it, and the GEMMs the model needs. Equatable, so an unrelated edit leaves the generator's output cached.
/// </summary>
internal sealed record ModelSpec(
    string? Namespace,
    string ClassName,
    string Accessibility,
    int DModel,
    int Heads,
    int HeadDim,
    int EncoderLayers,
    int DecoderLayers,
    int FfnDim,
    int MaxSeqLen,
    int MaxSeqPadded,
    int PositionTableSize,
    int Vocab,
    int SourceVocab,
    int TargetVocab,
    int TokenTypes,
    NormPlacement Norm,
    Activation Activation,
    PositionEncoding Positions,
    double LayerNormEpsilon,
    AttentionSpec Attention,
    VectorTiling ModelRow,
    EquatableArray<GemmSpec> Gemms,
    LayerGemms Layers,
    int RotaryDimensions,
    double RotaryTheta,
    int KvHeads,
    bool Bias,
    bool QkvBias,
    RopeScaling RopeScaling,
    double RopeScalingFactor,
    double RopeLowFrequencyFactor,
    double RopeHighFrequencyFactor,
    int RopeOriginalMaxPositions,
    ModelPrecisions Precisions = ModelPrecisions.All)
{
    /// <summary>Whether the fused Q·K·V projection adds a bias (every linear layer has one, or only q/k/v: QkvBias).</summary>
    public bool HasQkvBias => Bias || QkvBias;

    /// <summary>Width of the keys (and values) of one position: KvHeads·HeadDim.</summary>
    public int KvDModel => ShapeMath.KvDModel(DModel, Heads, KvHeads);

    /// <summary>Outputs of the fused Q·K·V projection.</summary>
    public int QkvWidth => ShapeMath.QkvWidth(DModel, Heads, KvHeads);

    /// <summary>Embedding rows of the encoder input (0 = float-level input only).</summary>
    public int EncoderVocab => EncoderLayers > 0 ? (DecoderLayers > 0 ? SourceVocab : Vocab) : 0;

    /// <summary>True for the gated SiLU feed-forward (SwiGLU): the first FFN GEMM computes gate and up and writes SiLU(gate)·up.</summary>
    public bool Gated => Activation == Activation.SwiGlu;

    /// <summary>Outputs of the FFN's first linear layer in a checkpoint (gate and up: 2·FfnDim when gated).</summary>
    public int FfnUpWidth => Gated ? 2 * FfnDim : FfnDim;

    /// <summary>Columns of the FFN's first GEMM: FfnDim, or when gated gate and up interleaved 8 and 8 (ShapeMath.GatedColumns).</summary>
    public int FfnUpColumns => Gated ? ShapeMath.GatedColumns(FfnDim) : FfnDim;

    /// <summary>Floats of one FFN hidden row the first GEMM writes: FfnDim, or when gated FfnDim rounded up to 8 (padding is 0).</summary>
    public int FfnHiddenWidth => Gated ? ShapeMath.GatedHiddenWidth(FfnDim) : FfnDim;

    /// <summary>Embedding rows of the decoder input and width of the output projection (0 = none).</summary>
    public int DecoderVocab => DecoderLayers > 0 ? (EncoderLayers > 0 ? TargetVocab : Vocab) : 0;
}

/// <summary>Names of the generated GEMM used for each linear layer of a block (null where the model has none).</summary>
internal sealed record LayerGemms(
    string AttentionQkv,
    string AttentionOutput,
    string FfnUp,
    string FfnDown,
    string? CrossQuery,
    string? CrossKeyValue,
    string? OutputProjection);

/// <summary>
/// How a row of <c>Width</c> floats splits into vectors of each ISA: full vectors and the width of a partial last one
/// (0 when the row is an exact multiple). Decided at generation time so no kernel tests for tails at run time.
/// </summary>
internal sealed record VectorTiling(int Width, int FullVectors512, int Tail512, int FullVectors256, int Tail256)
{
    public static VectorTiling For(int width) => new(width, width / 16, width % 16, width / 8, width % 8);
}

/// <summary>Attention kernel constants: head width split into vectors and the key block size.</summary>
internal sealed record AttentionSpec(int HeadDim, VectorTiling HeadRow, float Scale);
