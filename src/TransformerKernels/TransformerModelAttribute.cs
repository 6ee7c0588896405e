namespace TransformerKernels;

/// <summary>
/// Declares the shape of a Transformer on a <c>partial</c> class. The TransformerKernels source generator reads
/// it at compile time and emits constants, prepacked-weight layouts and kernels specialized to exactly this shape.
/// </summary>
/// <remarks>
/// The attribute ships in the runtime assembly (not injected by the generator) because its enums are used at run
/// time as well, and one definition avoids duplicate types when several assemblies of an application declare models.
/// <para><c>DecoderLayers = 0</c> declares an encoder-only model (BERT, MiniLM); <c>EncoderLayers = 0</c> a decoder-only
/// one. Vocabulary sizes are optional: a model without them has no embedding or output layer and is driven through the
/// float-level API (embeddings in, hidden states out), like a PyTorch <c>nn.Transformer</c>.</para>
/// </remarks>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class TransformerModelAttribute : Attribute
{
    /// <summary>Width of every token vector (d_model).</summary>
    public int DModel { get; set; }

    /// <summary>Number of attention heads; <see cref="DModel"/> must be a multiple of it.</summary>
    public int Heads { get; set; }

    /// <summary>
    /// Key/value heads for grouped-query attention (Llama 2 70B, Llama 3, Mistral): each shares its keys and values with
    /// Heads / KvHeads query heads, shrinking the K·V projections and the cache by that factor; 1 is multi-query
    /// attention. 0 = Heads (ordinary multi-head attention). Decoder-only models.
    /// </summary>
    public int KvHeads { get; set; }

    /// <summary>Encoder blocks (self-attention → Add &amp; Norm → FFN → Add &amp; Norm). 0 for a decoder-only model.</summary>
    public int EncoderLayers { get; set; }

    /// <summary>Decoder blocks (masked self-attention, cross-attention, FFN). 0 for an encoder-only model.</summary>
    public int DecoderLayers { get; set; }

    /// <summary>Inner width of the position-wise feed-forward network.</summary>
    public int FfnDim { get; set; }

    /// <summary>Longest sequence the model accepts; all scratch buffers are sized from it.</summary>
    public int MaxSeqLen { get; set; }

    /// <summary>Rows of the learned position table when larger than <see cref="MaxSeqLen"/> (BERT ships 512). 0 = MaxSeqLen.</summary>
    public int PositionTableSize { get; set; }

    /// <summary>Vocabulary of an encoder-only or decoder-only model.</summary>
    public int Vocab { get; set; }

    /// <summary>Source vocabulary of an encoder–decoder model.</summary>
    public int SourceVocab { get; set; }

    /// <summary>Target vocabulary of an encoder–decoder model (also the size of the final linear + softmax).</summary>
    public int TargetVocab { get; set; }

    /// <summary>Token-type (segment) vocabulary for BERT-style models; 0 = none.</summary>
    public int TokenTypes { get; set; }

    /// <summary>Where Add &amp; Norm normalizes: after the residual add (the original Transformer) or before the sub-layer.</summary>
    public NormPlacement Norm { get; set; } = NormPlacement.Post;

    /// <summary>Non-linearity between the two FFN linear layers.</summary>
    public Activation Activation { get; set; } = Activation.Relu;

    /// <summary>How token positions enter the input.</summary>
    public PositionEncoding Positions { get; set; } = PositionEncoding.Sinusoidal;

    /// <summary>Rotary positions: the base θ of the rotation frequencies θ^(−2i/d) (Llama 10000; Llama 3 uses 500000).</summary>
    public double RotaryTheta { get; set; } = 10000;

    /// <summary>Rotary positions: how many leading dimensions of each head rotate (even, at most the head width); 0 = the whole head.</summary>
    public int RotaryDimensions { get; set; }

    /// <summary>
    /// Rotary positions: how the rotation frequencies are rescaled for a context longer than the model was trained on
    /// (Hugging Face's <c>rope_scaling</c>): <see cref="TransformerKernels.RopeScaling.Linear"/> divides every frequency by
    /// <see cref="RopeScalingFactor"/>; <see cref="TransformerKernels.RopeScaling.Llama3"/> (Llama 3.1/3.2) divides only the
    /// low frequencies and blends the middle band (<see cref="RotaryFrequencies.Compute"/>).
    /// </summary>
    public RopeScaling RopeScaling { get; set; }

    /// <summary>Rotary scaling: <c>rope_scaling.factor</c>, by which scaled frequencies are divided (at least 1; 1 = unscaled).</summary>
    public double RopeScalingFactor { get; set; } = 1;

    /// <summary>Llama 3 rotary scaling: <c>low_freq_factor</c>; wavelengths above original / low are divided by the factor.</summary>
    public double RopeLowFrequencyFactor { get; set; } = 1;

    /// <summary>Llama 3 rotary scaling: <c>high_freq_factor</c>; wavelengths below original / high are kept (above the low factor).</summary>
    public double RopeHighFrequencyFactor { get; set; } = 4;

    /// <summary>Llama 3 rotary scaling: <c>original_max_position_embeddings</c>, the context the model was trained on.</summary>
    public int RopeOriginalMaxPositions { get; set; } = 8192;

    /// <summary>
    /// Whether the q/k/v projections have biases although <see cref="Bias"/> is false (Qwen2): the fused Q·K·V GEMM adds
    /// them in its epilogue, every other linear layer stays bias-free.
    /// </summary>
    public bool QkvBias { get; set; }

    /// <summary>
    /// Whether the linear layers have biases (the original Transformer, BERT and GPT-2 do; Llama and Mistral do not). With
    /// false the generated GEMMs add none, and a checkpoint's bias tensors are refused as having no place in the model.
    /// LayerNorm's β is not a linear layer's bias: <see cref="NormPlacement.RmsNorm"/> has none either way.
    /// </summary>
    public bool Bias { get; set; } = true;

    /// <summary>Epsilon added to the variance in every LayerNorm (PyTorch default 1e-5, BERT 1e-12).</summary>
    public double LayerNormEpsilon { get; set; } = 1e-5;

    /// <summary>
    /// A Hugging Face <c>config.json</c> to read the shape from at build time, relative to the project directory (e.g.
    /// <c>"models/bge-small/config.json"</c>). The file must reach the compiler as an additional file: add
    /// <c>&lt;TransformerModelConfig Include="models/**/config.json" /&gt;</c> to the project. Properties written beside it must
    /// agree with the file, except <see cref="MaxSeqLen"/>, which may be lower than the positions the model has.
    /// Supported <c>model_type</c> values and the mapping: docs/diagnostics.md (TK0016–TK0021).
    /// </summary>
    public string? Config { get; set; }

    /// <summary>
    /// The weight precisions the GEMMs are generated for (default <see cref="ModelPrecisions.All"/>): a model that only ever
    /// runs FP32 and int8 weights declares <c>Precisions = ModelPrecisions.Fp32 | ModelPrecisions.Int8</c> and carries no BF16
    /// workers or tiles. Loading or creating the model in a precision left out throws <see cref="PrecisionNotGeneratedException"/>.
    /// Allowed beside <see cref="Config"/> (a config.json says nothing about it).
    /// </summary>
    public ModelPrecisions Precisions { get; set; } = ModelPrecisions.All;
}
