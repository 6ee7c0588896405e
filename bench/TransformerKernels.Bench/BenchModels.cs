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
