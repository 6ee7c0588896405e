namespace TransformerKernels.HuggingFace.Tests;

// The declarations of the Hugging Face directories under Data/ (written by tools/fixtures/hf_families.py), each property
// spelled out as its config.json field says.

/// <summary>Data/roberta_tiny: max_position_embeddings 18 − (pad_token_id 1 + 1) = 16 positions, type_vocab_size 1.</summary>
[TransformerModel(DModel = 32, Heads = 4, EncoderLayers = 2, FfnDim = 64, MaxSeqLen = 16, Vocab = 50, TokenTypes = 1, PositionTableSize = 16,
                  Positions = PositionEncoding.Learned, Activation = Activation.Gelu, Norm = NormPlacement.Post, LayerNormEpsilon = 1e-5)]
public partial class TinyRoberta;

/// <summary>Data/qwen2_tiny: q/k/v biases without other biases, 4 query heads over 2 key/value heads, θ = 10⁶.</summary>
[TransformerModel(DModel = 32, Heads = 4, KvHeads = 2, DecoderLayers = 2, FfnDim = 48, MaxSeqLen = 24, Vocab = 64, Norm = NormPlacement.RmsNorm,
                  Activation = Activation.SwiGlu, Positions = PositionEncoding.Rotary, RotaryTheta = 1000000, LayerNormEpsilon = 1e-6, Bias = false, QkvBias = true)]
public partial class TinyQwen2;

/// <summary>Data/qwen2_tiny declared without its q/k/v biases: refused by its config.json (model_type qwen2).</summary>
[TransformerModel(DModel = 32, Heads = 4, KvHeads = 2, DecoderLayers = 2, FfnDim = 48, MaxSeqLen = 24, Vocab = 64, Norm = NormPlacement.RmsNorm,
                  Activation = Activation.SwiGlu, Positions = PositionEncoding.Rotary, RotaryTheta = 1000000, LayerNormEpsilon = 1e-6, Bias = false)]
public partial class TinyQwen2WithoutQkvBias;

/// <summary>Data/mistral_tiny: multi-query attention (one key/value head), sliding_window 32 ≥ MaxSeqLen, two shards.</summary>
[TransformerModel(DModel = 32, Heads = 4, KvHeads = 1, DecoderLayers = 2, FfnDim = 40, MaxSeqLen = 24, Vocab = 57, Norm = NormPlacement.RmsNorm,
                  Activation = Activation.SwiGlu, Positions = PositionEncoding.Rotary, RotaryTheta = 10000, LayerNormEpsilon = 1e-5, Bias = false)]
public partial class TinyMistral;

/// <summary>Data/llama3_scaled_tiny: rope_scaling llama3 with factor 8, low 1, high 4, original 16 positions.</summary>
[TransformerModel(DModel = 64, Heads = 4, KvHeads = 2, DecoderLayers = 2, FfnDim = 96, MaxSeqLen = 24, Vocab = 61, Norm = NormPlacement.RmsNorm,
                  Activation = Activation.SwiGlu, Positions = PositionEncoding.Rotary, RotaryTheta = 10000, LayerNormEpsilon = 1e-5, Bias = false,
                  RopeScaling = RopeScaling.Llama3, RopeScalingFactor = 8, RopeLowFrequencyFactor = 1, RopeHighFrequencyFactor = 4, RopeOriginalMaxPositions = 16)]
public partial class TinyLlama3;

/// <summary>Data/llama3_scaled_tiny's shape without the scaling: refused by its config.json.</summary>
[TransformerModel(DModel = 64, Heads = 4, KvHeads = 2, DecoderLayers = 2, FfnDim = 96, MaxSeqLen = 24, Vocab = 61, Norm = NormPlacement.RmsNorm,
                  Activation = Activation.SwiGlu, Positions = PositionEncoding.Rotary, RotaryTheta = 10000, LayerNormEpsilon = 1e-5, Bias = false)]
public partial class TinyLlama3Unscaled;

/// <summary>Data/llama3_scaled_tiny's shape with linear scaling: the wrong kind for its config.json.</summary>
[TransformerModel(DModel = 64, Heads = 4, KvHeads = 2, DecoderLayers = 2, FfnDim = 96, MaxSeqLen = 24, Vocab = 61, Norm = NormPlacement.RmsNorm,
                  Activation = Activation.SwiGlu, Positions = PositionEncoding.Rotary, RotaryTheta = 10000, LayerNormEpsilon = 1e-5, Bias = false,
                  RopeScaling = RopeScaling.Linear, RopeScalingFactor = 8)]
public partial class TinyLlamaLinear;

/// <summary>A GPT-2 shape whose position table a config.json can disagree with.</summary>
[TransformerModel(DModel = 32, Heads = 4, DecoderLayers = 1, FfnDim = 128, MaxSeqLen = 16, PositionTableSize = 40, Vocab = 53, Norm = NormPlacement.Pre,
                  Activation = Activation.GeluTanh, Positions = PositionEncoding.Learned)]
public partial class TinyGpt2;
