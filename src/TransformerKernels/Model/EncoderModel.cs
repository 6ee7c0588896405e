using System.ComponentModel;

namespace TransformerKernels;

/// <summary>
/// An encoder-only model without a vocabulary, driven through the float level: <see cref="EncodeEmbeddings"/>. Generated
/// classes declared with <c>EncoderLayers</c> and no decoder derive from it (or from <see cref="TokenEncoderModel{TSelf}"/>).
/// </summary>
/// <typeparam name="TSelf">The generated model class.</typeparam>
public abstract unsafe class EncoderModel<TSelf> : TransformerModel<TSelf> where TSelf : EncoderModel<TSelf>, IModelKernels<TSelf>
{
    /// <inheritdoc cref="TransformerModel{TSelf}(TransformerWeights, int, bool)"/>
    [EditorBrowsable(EditorBrowsableState.Never)]
    protected EncoderModel(TransformerWeights weights, int maxBatch, bool ownsWeights) : base(weights, maxBatch, ownsWeights)
    {
    }

    /// <summary>
    /// The encoder on embeddings, with PyTorch <c>batch_first</c> semantics: <paramref name="source"/> [batch, length, DModel]
    /// → <paramref name="memory"/> [batch, length, DModel], through every encoder block and the final norm if the checkpoint has one.
    /// </summary>
    /// <param name="source">Input rows [batch, length, DModel] (embeddings with positions already added).</param>
    /// <param name="batch">Sequences (1..maxBatch).</param>
    /// <param name="length">Positions per sequence (1..MaxSeqLen).</param>
    /// <param name="sourceLengths">Real tokens per sequence (later positions are padding, as <c>src_key_padding_mask</c>); empty: all.</param>
    /// <param name="memory">Receives [batch, length, DModel]; nothing is written when an argument is rejected.</param>
    public void EncodeEmbeddings(ReadOnlySpan<float> source, int batch, int length, ReadOnlySpan<int> sourceLengths, Span<float> memory)
    {
        Enter();
        try
        {
            EncodeEmbeddingsCore(source, batch, length, sourceLengths, memory);
        }
        finally
        {
            Exit();
        }
    }
}
