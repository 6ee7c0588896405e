using TransformerKernels;

namespace TransformerKernels.ChineseEnglish;

/// <summary>
/// The design document's Transformer: sinusoidal positions, post-norm Add &amp; Norm, ReLU, 2 encoder and 2 decoder
/// blocks of d_model 128 with 4 heads, trained by tools/train-translate on a templated Chinese→English corpus.
/// The vocabulary sizes are those of samples/Translate/model/*_vocab.txt (checked at load).
/// </summary>
[TransformerModel(DModel = 128, Heads = 4, EncoderLayers = 2, DecoderLayers = 2, FfnDim = 256, MaxSeqLen = 32,
                  SourceVocab = 170, TargetVocab = 217)]
public partial class ChineseEnglishTranslator;
