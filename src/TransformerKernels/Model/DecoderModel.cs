using System.ComponentModel;

namespace TransformerKernels;

/// <summary>
/// A decoder-only model without a vocabulary, driven through the float level: <see cref="DecodeEmbeddings"/>. Generated
/// classes declared with <c>EncoderLayers = 0</c> derive from it (or from <see cref="LanguageModel{TSelf}"/>).
/// </summary>
/// <typeparam name="TSelf">The generated model class.</typeparam>
public abstract unsafe class DecoderModel<TSelf> : TransformerModel<TSelf> where TSelf : DecoderModel<TSelf>, IModelKernels<TSelf>
{
    /// <inheritdoc cref="TransformerModel{TSelf}(TransformerWeights, int, bool)"/>
    [EditorBrowsable(EditorBrowsableState.Never)]
    protected DecoderModel(TransformerWeights weights, int maxBatch, bool ownsWeights) : base(weights, maxBatch, ownsWeights)
    {
    }

    /// <summary>
    /// The decoder on embeddings, PyTorch <c>batch_first</c>: <paramref name="target"/> [batch, targetLength, DModel] → <paramref name="output"/>
    /// of the same shape, with the causal mask (each position sees itself and earlier ones),
    /// then the final norm if the checkpoint has one.
    /// </summary>
    /// <param name="target">Decoder input rows [batch, targetLength, DModel].</param>
    /// <param name="batch">Sequences (1..maxBatch).</param>
    /// <param name="targetLength">Positions per target sequence (1..MaxSeqLen).</param>
    /// <param name="output">Receives [batch, targetLength, DModel].</param>
    public void DecodeEmbeddings(ReadOnlySpan<float> target, int batch, int targetLength, Span<float> output)
    {
        Enter();
        try
        {
            DecodeEmbeddingsCore(target, batch, targetLength, cross: false, default, 0, default, output);
        }
        finally
        {
            Exit();
        }
    }
}
