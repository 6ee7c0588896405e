namespace TransformerKernels;

// The shape options of [TransformerModel]. This file is also compiled into the generator (a linked file, as the .NET Regex
// generator compiles RegexOptions.cs), so the generator's model holds these very enums: keep it netstandard2.0-safe and
// free of runtime types (crefs to runtime types are fine: the generator builds no documentation).

/// <summary>Where Add &amp; Norm applies LayerNorm.</summary>
public enum NormPlacement
{
    /// <summary><c>x = LayerNorm(x + Sublayer(x))</c>, as in "Attention Is All You Need" and BERT.</summary>
    Post = 0,

    /// <summary><c>x = x + Sublayer(LayerNorm(x))</c>, the pre-norm variant (<c>norm_first=True</c> in PyTorch).</summary>
    Pre = 1,

    /// <summary>
    /// <c>x = x + Sublayer(RMSNorm(x))</c>, pre-norm with RMSNorm as Llama uses it: x/√(mean(x²) + ε)·γ — no mean
    /// subtracted, no β (a checkpoint's norms have weights only). <see cref="TransformerModelAttribute.LayerNormEpsilon"/> is its ε.
    /// </summary>
    RmsNorm = 2,
}

/// <summary>FFN activation.</summary>
public enum Activation
{
    /// <summary>max(0, x).</summary>
    Relu = 0,

    /// <summary>x·Φ(x) with the exact (erf) Gaussian CDF, PyTorch <c>"gelu"</c>, BERT.</summary>
    Gelu = 1,

    /// <summary>The tanh approximation of GELU (PyTorch <c>approximate="tanh"</c>, GPT-2).</summary>
    GeluTanh = 2,

    /// <summary>
    /// The gated SiLU feed-forward of Llama: FFN(x) = (SiLU(x·W_gateᵀ) ⊙ x·W_upᵀ)·W_downᵀ. The first linear layer has
    /// 2·FfnDim outputs in a checkpoint, the gate's rows first, then the up projection's; one GEMM computes both, its panels
    /// holding gate and up columns 8 and 8 (<see cref="PackedLinear.PackGated"/>), and its epilogue writes SiLU(gate)·up.
    /// </summary>
    SwiGlu = 3,
}

/// <summary>How positions are encoded.</summary>
public enum PositionEncoding
{
    /// <summary>PE(pos, 2i) = sin(pos / 10000^(2i/d)), PE(pos, 2i+1) = cos(pos / 10000^(2i/d)), added to embeddings.</summary>
    Sinusoidal = 0,

    /// <summary>A trained position table (BERT), optionally with token types.</summary>
    Learned = 1,

    /// <summary>No positional information is added (the caller supplies it in the float-level API).</summary>
    None = 2,

    /// <summary>
    /// Rotary position embeddings (RoPE) as Hugging Face's Llama applies them: each head's queries and keys rotated by their
    /// position, in the "rotate half" convention (dimension i pairs with i + r/2 of the r rotated dimensions, frequency
    /// θ^(−2i/r)). Nothing is added to the embeddings. Decoder-only models.
    /// </summary>
    Rotary = 3,
}

/// <summary>How rotary frequencies are rescaled (Hugging Face's <c>rope_scaling.rope_type</c>).</summary>
public enum RopeScaling
{
    /// <summary>Frequencies θ^(−2i/r) as they are (<c>rope_scaling: null</c>).</summary>
    None = 0,

    /// <summary>Every frequency divided by the factor (<c>"linear"</c>, position interpolation).</summary>
    Linear = 1,

    /// <summary>Llama 3.1/3.2's scaling (<c>"llama3"</c>): low frequencies divided by the factor, high ones kept, the band between blended.</summary>
    Llama3 = 2,
}

/// <summary>
/// The weight precisions a model's GEMMs are generated for (<see cref="TransformerModelAttribute.Precisions"/>): one flag
/// per <see cref="WeightPrecision"/>, bit <c>1 &lt;&lt; (int)precision</c>. A model generated without a precision has no
/// workers or register tiles for it, and loading or creating it in that precision throws
/// <see cref="PrecisionNotGeneratedException"/>.
/// </summary>
[System.Flags]
public enum ModelPrecisions
{
    /// <summary>FP32 weights (<see cref="WeightPrecision.Fp32"/>).</summary>
    Fp32 = 1,

    /// <summary>BF16 weights widened to FP32 in registers (<see cref="WeightPrecision.Bf16"/>).</summary>
    Bf16 = 2,

    /// <summary>int8 weights with int8 activations (<see cref="WeightPrecision.Int8"/>).</summary>
    Int8 = 4,

    /// <summary>Every precision (the default).</summary>
    All = Fp32 | Bf16 | Int8,
}
