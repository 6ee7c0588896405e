using System.ComponentModel;

namespace TransformerKernels;

/// <summary>
/// An encoder–decoder model without vocabularies, driven through the float level: <see cref="EncoderModel{TSelf}.EncodeEmbeddings"/>
/// and <see cref="DecodeEmbeddings"/>, PyTorch <c>nn.Transformer</c> style. Generated classes declared with encoder and
/// decoder blocks derive from it (or from <see cref="TranslationModel{TSelf}"/>).
/// </summary>
/// <typeparam name="TSelf">The generated model class.</typeparam>
public abstract unsafe class EncoderDecoderModel<TSelf> : EncoderModel<TSelf> where TSelf : EncoderDecoderModel<TSelf>, IModelKernels<TSelf>
{
    /// <inheritdoc cref="TransformerModel{TSelf}(TransformerWeights, int, bool)"/>
    [EditorBrowsable(EditorBrowsableState.Never)]
    protected EncoderDecoderModel(TransformerWeights weights, int maxBatch, bool ownsWeights) : base(weights, maxBatch, ownsWeights)
    {
    }

    /// <summary>
    /// The decoder on embeddings, PyTorch <c>batch_first</c>: <paramref name="target"/> [batch, targetLength, DModel] → <paramref name="output"/>
    /// of the same shape, with the causal mask (each position sees itself and earlier ones) and attention over,
    /// <paramref name="memory"/> [batch, memoryLength, DModel], then the final norm if the checkpoint has one.
    /// </summary>
    /// <param name="target">Decoder input rows [batch, targetLength, DModel].</param>
    /// <param name="batch">Sequences (1..maxBatch).</param>
    /// <param name="targetLength">Positions per target sequence (1..MaxSeqLen).</param>
    /// <param name="memory">Encoder output [batch, memoryLength, DModel].</param>
    /// <param name="memoryLength">Positions per encoder sequence.</param>
    /// <param name="memoryLengths">Real encoder positions per sequence (<c>memory_key_padding_mask</c>); empty: all.</param>
    /// <param name="output">Receives [batch, targetLength, DModel].</param>
    public void DecodeEmbeddings(ReadOnlySpan<float> target, int batch, int targetLength, ReadOnlySpan<float> memory, int memoryLength, ReadOnlySpan<int> memoryLengths, Span<float> output)
    {
        Enter();
        try
        {
            DecodeEmbeddingsCore(target, batch, targetLength, cross: true, memory, memoryLength, memoryLengths, output);
        }
        finally
        {
            Exit();
        }
    }
}
