using TransformerKernels;

namespace TransformerKernels.Tests;

/// <summary>The seed's shape: d512, 8 heads, post-norm, ReLU, sinusoidal positions.</summary>
[TransformerModel(DModel = 512, Heads = 8, EncoderLayers = 2, DecoderLayers = 2, FfnDim = 2048, MaxSeqLen = 64,
                  SourceVocab = 100, TargetVocab = 120)]
public partial class SeedModel;

/// <summary>MiniLM's shape: d384, 12 heads of 32, GELU, learned positions, token types, ε 1e-12.</summary>
[TransformerModel(DModel = 384, Heads = 12, EncoderLayers = 1, FfnDim = 1536, MaxSeqLen = 128, Vocab = 50,
                  TokenTypes = 2, PositionTableSize = 512, Positions = PositionEncoding.Learned, Activation = Activation.Gelu,
                  LayerNormEpsilon = 1e-12)]
public partial class MiniLmShape;

/// <summary>An awkward shape: d200, 5 heads of 40, FFN 600 — every vector tail and partial panel exists.</summary>
[TransformerModel(DModel = 200, Heads = 5, EncoderLayers = 1, DecoderLayers = 1, FfnDim = 600, MaxSeqLen = 40,
                  Norm = NormPlacement.Pre, Activation = Activation.GeluTanh, SourceVocab = 37, TargetVocab = 45)]
public partial class OddModel;

/// <summary>Tiny widths: d24, 3 heads of 8, FFN 20 — panels narrower than one vector.</summary>
[TransformerModel(DModel = 24, Heads = 3, EncoderLayers = 1, FfnDim = 20, MaxSeqLen = 9, Activation = Activation.Gelu)]
public partial class TinyModel;

/// <summary>Odd inner dimensions: d45, 5 heads of 9, FFN 37 — K is odd and not a multiple of 4 (BF16 pairs and int8 groups end part-filled).</summary>
[TransformerModel(DModel = 45, Heads = 5, EncoderLayers = 1, FfnDim = 37, MaxSeqLen = 13, Positions = PositionEncoding.None)]
public partial class OddInnerModel;

/// <summary>RMSNorm pre-norm (Llama's norm) on an awkward width: d72, 3 heads of 24, FFN 100 — vector tails everywhere.</summary>
[TransformerModel(DModel = 72, Heads = 3, EncoderLayers = 1, DecoderLayers = 1, FfnDim = 100, MaxSeqLen = 20, Norm = NormPlacement.RmsNorm,
                  Activation = Activation.Gelu, LayerNormEpsilon = 1e-6, Positions = PositionEncoding.None)]
public partial class RmsNormModel;

/// <summary>Llama's FFN and norm on an awkward width: SwiGLU (gate and up in one GEMM), RMSNorm; d72, FFN 100 (tails).</summary>
[TransformerModel(DModel = 72, Heads = 3, EncoderLayers = 1, DecoderLayers = 1, FfnDim = 100, MaxSeqLen = 20, Norm = NormPlacement.RmsNorm,
                  Activation = Activation.SwiGlu, LayerNormEpsilon = 1e-6, Positions = PositionEncoding.None)]
public partial class SwiGluModel;

/// <summary>Rotary positions on part of each head: heads of 48, the first 40 dimensions rotated (20 pairs: a vector and a tail on each path), θ 500; 4 query heads over 2 key/value heads.</summary>
[TransformerModel(DModel = 192, Heads = 4, KvHeads = 2, DecoderLayers = 1, FfnDim = 64, MaxSeqLen = 40, Vocab = 11, Norm = NormPlacement.RmsNorm,
                  Activation = Activation.SwiGlu, Positions = PositionEncoding.Rotary, RotaryDimensions = 40, RotaryTheta = 500, LayerNormEpsilon = 1e-6)]
public partial class PartialRotaryModel;
