using TransformerKernels;

namespace TransformerKernels.Tests;

// Models matching tools/fixtures/make_fixtures.py, driven through the float-level API (positions come with the input).

/// <summary>nn.TransformerEncoder: 2 post-norm ReLU layers, d32, 2 heads, final norm.</summary>
[TransformerModel(DModel = 32, Heads = 2, EncoderLayers = 2, FfnDim = 64, MaxSeqLen = 16, Positions = PositionEncoding.None)]
public partial class FixtureEncoderPostRelu;

/// <summary>nn.TransformerEncoder: 2 pre-norm GELU layers, d48, 4 heads of 12, ε 1e-6.</summary>
[TransformerModel(DModel = 48, Heads = 4, EncoderLayers = 2, FfnDim = 96, MaxSeqLen = 16, Norm = NormPlacement.Pre, Activation = Activation.Gelu,
                  LayerNormEpsilon = 1e-6, Positions = PositionEncoding.None)]
public partial class FixtureEncoderPreGelu;

/// <summary>nn.Transformer: 2 + 2 post-norm ReLU layers, d32, 4 heads of 8.</summary>
[TransformerModel(DModel = 32, Heads = 4, EncoderLayers = 2, DecoderLayers = 2, FfnDim = 64, MaxSeqLen = 16, Positions = PositionEncoding.None)]
public partial class FixtureTransformerPostRelu;

/// <summary>nn.Transformer: 1 + 2 pre-norm GELU layers, d40, 5 heads of 8.</summary>
[TransformerModel(DModel = 40, Heads = 5, EncoderLayers = 1, DecoderLayers = 2, FfnDim = 80, MaxSeqLen = 16, Norm = NormPlacement.Pre,
                  Activation = Activation.Gelu, Positions = PositionEncoding.None)]
public partial class FixtureTransformerPreGelu;

/// <summary>Decoder-only (GPT-style): 2 pre-norm GELU layers, d32, 4 heads, ε 1e-6, final norm; PyTorch's causal nn.TransformerEncoder.</summary>
[TransformerModel(DModel = 32, Heads = 4, EncoderLayers = 0, DecoderLayers = 2, FfnDim = 64, MaxSeqLen = 16, Norm = NormPlacement.Pre,
                  Activation = Activation.Gelu, LayerNormEpsilon = 1e-6, Positions = PositionEncoding.None)]
public partial class FixtureDecoderOnlyPreGelu;

/// <summary>Decoder-only: 3 post-norm ReLU layers, d24, 2 heads of 12, no final norm.</summary>
[TransformerModel(DModel = 24, Heads = 2, EncoderLayers = 0, DecoderLayers = 3, FfnDim = 40, MaxSeqLen = 16, Positions = PositionEncoding.None)]
public partial class FixtureDecoderOnlyPostRelu;

/// <summary>
/// Decoder-only language model: the decoder_only_pre_gelu stack (checked against PyTorch) with token embeddings for a
/// vocabulary of 50 and an output projection; no positions, so a reference forward pass is embeddings → DecodeEmbeddings → linear.
/// </summary>
[TransformerModel(DModel = 32, Heads = 4, EncoderLayers = 0, DecoderLayers = 2, FfnDim = 64, MaxSeqLen = 16, Norm = NormPlacement.Pre,
                  Activation = Activation.Gelu, LayerNormEpsilon = 1e-6, Positions = PositionEncoding.None, Vocab = 50)]
public partial class FixtureLanguageModel;

/// <summary>Llama-style (tools/fixtures/llama_reference.py): RMSNorm, rotary positions, SwiGLU, 4 query heads of 16 sharing 2 key/value heads; d64, 2 layers.</summary>
[TransformerModel(DModel = 64, Heads = 4, KvHeads = 2, EncoderLayers = 0, DecoderLayers = 2, FfnDim = 96, MaxSeqLen = 24, Vocab = 61, Norm = NormPlacement.RmsNorm,
                  Activation = Activation.SwiGlu, Positions = PositionEncoding.Rotary, RotaryTheta = 10000, LayerNormEpsilon = 1e-6)]
public partial class FixtureLlama;

/// <summary>GPT-2-style (tools/fixtures/gpt2_reference.py): pre-norm LayerNorm, GELU (tanh), learned positions, tied output; d48, 4 heads, 2 layers.</summary>
[TransformerModel(DModel = 48, Heads = 4, EncoderLayers = 0, DecoderLayers = 2, FfnDim = 192, MaxSeqLen = 32, PositionTableSize = 40, Vocab = 53,
                  Norm = NormPlacement.Pre, Activation = Activation.GeluTanh, Positions = PositionEncoding.Learned)]
public partial class FixtureGpt2;

/// <summary><see cref="FixtureLlama"/> declared without biases, as Llama is: the GEMMs add none, a bias tensor has no place.</summary>
[TransformerModel(DModel = 64, Heads = 4, KvHeads = 2, EncoderLayers = 0, DecoderLayers = 2, FfnDim = 96, MaxSeqLen = 24, Vocab = 61, Norm = NormPlacement.RmsNorm,
                  Activation = Activation.SwiGlu, Positions = PositionEncoding.Rotary, RotaryTheta = 10000, LayerNormEpsilon = 1e-6, Bias = false)]
public partial class FixtureLlamaWithoutBias;
