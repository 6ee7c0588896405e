using TransformerKernels;

namespace TransformerKernels.Bench;

/// <summary>The seed's Transformer: d512, 8 heads, FFN 2048, post-norm, ReLU.</summary>
[TransformerModel(DModel = 512, Heads = 8, EncoderLayers = 6, DecoderLayers = 6, FfnDim = 2048, MaxSeqLen = 128,
                  SourceVocab = 8000, TargetVocab = 8000)]
public partial class SeedTransformer;

/// <summary>all-MiniLM-L6-v2's shape: d384, 12 heads, FFN 1536, GELU, learned positions, ε 1e-12.</summary>
[TransformerModel(DModel = 384, Heads = 12, EncoderLayers = 6, FfnDim = 1536, MaxSeqLen = 128, Vocab = 30522, TokenTypes = 2,
                  PositionTableSize = 512, Positions = PositionEncoding.Learned, Activation = Activation.Gelu, LayerNormEpsilon = 1e-12)]
public partial class MiniLm;

/// <summary>
/// A small Llama-style language model for generation benchmarks: d512, 8 query heads over 2 key/value heads, SwiGLU 1408,
/// 4 layers, vocabulary 8000 — 15.4 M parameters, 62 MB in FP32, more than this machine's L3 holds, so a decoding step
/// streams its weights from memory as a real model's does.
/// </summary>
[TransformerModel(DModel = 512, Heads = 8, KvHeads = 2, EncoderLayers = 0, DecoderLayers = 4, FfnDim = 1408, MaxSeqLen = 256, Vocab = 8000,
                  Norm = NormPlacement.RmsNorm, Activation = Activation.SwiGlu, Positions = PositionEncoding.Rotary, LayerNormEpsilon = 1e-6, Bias = false)]
public partial class BenchLlama;
