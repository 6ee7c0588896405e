using System.ComponentModel;

namespace TransformerKernels;

/// <summary>
/// An encoder-only model over token ids (BERT and its family): <see cref="Encode(ReadOnlySpan{int}, int, int, ReadOnlySpan{int}, Span{float}, ReadOnlySpan{int})"/>
/// for padded batches, <see cref="EncodePacked"/> for sequences back to back, and the generic <see cref="IEncoderModel{TSelf}"/>
/// that embedders load it through. Generated classes declared with <c>EncoderLayers</c>, no decoder and a <c>Vocab</c> derive from it.
/// </summary>
/// <typeparam name="TSelf">The generated model class.</typeparam>
public abstract unsafe class TokenEncoderModel<TSelf> : EncoderModel<TSelf>, IEncoderModel<TSelf> where TSelf : TokenEncoderModel<TSelf>, IModelKernels<TSelf>
{
    /// <inheritdoc cref="TransformerModel{TSelf}(TransformerWeights, int, bool)"/>
    [EditorBrowsable(EditorBrowsableState.Never)]
    protected TokenEncoderModel(TransformerWeights weights, int maxBatch, bool ownsWeights) : base(weights, maxBatch, ownsWeights)
    {
    }

    /// <summary>
    /// Token ids [batch, length] → hidden states [batch, length, DModel]: embeddings, positions, every encoder block, final norm.
    /// </summary>
    /// <param name="ids">Token ids in [0, EncoderVocab); padded positions must hold a valid id too.</param>
    /// <param name="batch">Sequences (1..maxBatch).</param>
    /// <param name="length">Positions per sequence (1..MaxSeqLen).</param>
    /// <param name="lengths">Real tokens per sequence (attention mask); empty: all.</param>
    /// <param name="hidden">Receives [batch, length, DModel]; nothing is written when an argument is rejected.</param>
    /// <param name="tokenTypes">Segment ids per token (BERT), or empty for all zeros.</param>
    public void Encode(ReadOnlySpan<int> ids, int batch, int length, ReadOnlySpan<int> lengths, Span<float> hidden, ReadOnlySpan<int> tokenTypes = default)
    {
        Enter();
        try
        {
            EncodeCore(ids, batch, length, lengths, hidden, tokenTypes);
        }
        finally
        {
            Exit();
        }
    }

    /// <summary>One sequence of token ids → hidden states [ids.Length, DModel].</summary>
    public void Encode(ReadOnlySpan<int> ids, Span<float> hidden, ReadOnlySpan<int> tokenTypes = default) => Encode(ids, 1, ids.Length, default, hidden, tokenTypes);

    /// <summary>
    /// Packed sequences of token ids → hidden states, back to back: sequence b's rows follow sequence b − 1's, each with
    /// its own length and positions from 0. The GEMMs run once over all Σ lengths rows (one pass over the weights for the
    /// whole batch), attention per sequence over its own tokens: no arithmetic on padding. Each sequence's output equals
    /// what <see cref="Encode(ReadOnlySpan{int}, Span{float}, ReadOnlySpan{int})"/> gives for it alone.
    /// </summary>
    /// <param name="ids">Token ids of every sequence, back to back [Σ lengths].</param>
    /// <param name="lengths">Tokens of each sequence (each 1..MaxSeqLen; in total at most maxBatch·MaxSeqLen).</param>
    /// <param name="hidden">Receives [Σ lengths, DModel]; nothing is written when an argument is rejected.</param>
    /// <param name="tokenTypes">Segment ids per token, back to back like <paramref name="ids"/>, or empty for all zeros.</param>
    public void EncodePacked(ReadOnlySpan<int> ids, ReadOnlySpan<int> lengths, Span<float> hidden, ReadOnlySpan<int> tokenTypes = default)
    {
        Enter();
        try
        {
            EncodePackedCore(ids, lengths, hidden, tokenTypes);
        }
        finally
        {
            Exit();
        }
    }

    ITokenEncoder ITokenEncoder.CreateSession(int maxBatch) => CreateSession(maxBatch);

    static ModelShape IEncoderModel<TSelf>.Shape => TSelf.DeclaredShape;

    static TSelf IEncoderModel<TSelf>.Load(string path, WeightNaming naming, int maxBatch, bool allowUnusedTensors, WeightPrecision precision) =>
        Load(path, naming, maxBatch, allowUnusedTensors, precision);

    static TSelf IEncoderModel<TSelf>.Create(TransformerWeights weights, int maxBatch) => TSelf.CreateModel(weights, maxBatch, ownsWeights: true);
}
