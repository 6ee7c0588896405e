namespace TransformerKernels.MiniLM;

/// <summary>
/// sentence-transformers/all-MiniLM-L6-v2: a BERT encoder of 6 blocks, d384, 12 heads, FFN 1536 with GELU, learned
/// positions (512) and token types, post-norm with ε 1e-12, WordPiece vocabulary of 30522. MaxSeqLen 256 is the
/// sentence-transformers limit for this model.
/// </summary>
[TransformerModel(DModel = 384, Heads = 12, EncoderLayers = 6, FfnDim = 1536, MaxSeqLen = 256, Vocab = 30522, TokenTypes = 2,
                  PositionTableSize = 512, Positions = PositionEncoding.Learned, Activation = Activation.Gelu, LayerNormEpsilon = 1e-12)]
public partial class AllMiniLmL6V2;
