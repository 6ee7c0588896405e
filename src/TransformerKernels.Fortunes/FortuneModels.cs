using TransformerKernels;

namespace TransformerKernels.Fortunes;

/// <summary>
/// The Llama-style fortune model (model/llama/): RMSNorm, rotary positions (θ 10000), SwiGLU, 8 query heads of 32 sharing 2
/// key/value heads, no biases, embeddings tied to the output; d_model 256, 4 blocks, 256 positions, 2048 SentencePiece
/// pieces. Trained by tools/train-generate/train.py; its config.json is checked against this declaration at load.
/// </summary>
[TransformerModel(DModel = 256, Heads = 8, KvHeads = 2, EncoderLayers = 0, DecoderLayers = 4, FfnDim = 704, MaxSeqLen = 256, Vocab = 2048,
                  Norm = NormPlacement.RmsNorm, Activation = Activation.SwiGlu, Positions = PositionEncoding.Rotary, RotaryTheta = 10000,
                  LayerNormEpsilon = 1e-5, Bias = false)]
public partial class FortuneLlama;

/// <summary>
/// The GPT-2-style fortune model (model/gpt2/, a sharded checkpoint): pre-norm LayerNorm, learned positions, GELU (tanh),
/// biases, embeddings tied to the output; d_model 256, 8 heads, 4 blocks, 256 positions, the same 2048-piece tokenizer.
/// </summary>
[TransformerModel(DModel = 256, Heads = 8, EncoderLayers = 0, DecoderLayers = 4, FfnDim = 1024, MaxSeqLen = 256, Vocab = 2048,
                  Norm = NormPlacement.Pre, Activation = Activation.GeluTanh, Positions = PositionEncoding.Learned)]
public partial class FortuneGpt2;
