namespace TransformerKernels.Embeddings.Tests;

/// <summary>
/// The shape of the fixtures tools/fixtures/sentence_transformers.py writes: a BERT of 2 blocks, d32, 4 heads, FFN 64
/// (GELU), 64 learned positions, 2 token types, a WordPiece vocabulary of 256. MaxSeqLen 32 is the longest
/// max_seq_length among them.
/// </summary>
[TransformerModel(DModel = 32, Heads = 4, EncoderLayers = 2, FfnDim = 64, MaxSeqLen = 32, Vocab = 256, TokenTypes = 2,
                  PositionTableSize = 64, Positions = PositionEncoding.Learned, Activation = Activation.Gelu, LayerNormEpsilon = 1e-12)]
public partial class TinyBert;

/// <summary>
/// The same BERT declared from Data/st-cls/config.json (shared by every sentence-transformers fixture), as the package
/// consumer and the compiled binary declare it. MaxSeqLen 32 as above: the config's default would be its 64 positions.
/// </summary>
[TransformerModel(Config = "Data/st-cls/config.json", MaxSeqLen = 32)]
public partial class TinyBertFromConfig;

/// <summary>
/// The RoBERTa sentence-transformers fixture (tools/fixtures/sentence_roberta.py), declared from its config.json:
/// 381 byte-level BPE tokens, 26 position rows of which the first 2 (up to pad_token_id) are no positions, so
/// PositionTableSize and MaxSeqLen are 24.
/// </summary>
[TransformerModel(Config = "Data/st-roberta/0_Transformer/config.json")]
public partial class TinyRoberta;
