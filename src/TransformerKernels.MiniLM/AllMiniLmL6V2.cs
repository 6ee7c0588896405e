namespace TransformerKernels.MiniLM;

/// <summary>
/// sentence-transformers/all-MiniLM-L6-v2: a BERT encoder of 6 blocks, d384, 12 heads, FFN 1536 with GELU, learned
/// positions (512) and token types, post-norm with ε 1e-12, WordPiece vocabulary of 30522 — read at build time from the
/// model's own config.json. MaxSeqLen 256 is the sentence-transformers limit for this model (its positions go to 512).
/// </summary>
[TransformerModel(Config = "all-MiniLM-L6-v2/config.json", MaxSeqLen = 256)]
public partial class AllMiniLmL6V2;
