namespace TransformerKernels;

/// <summary>
/// Batched decoding steps of a model with a key/value cache per slot; implemented by generated encoder–decoder models and
/// driven by <see cref="GreedySearch"/> and <see cref="BeamSearch"/>.
/// </summary>
public interface ITokenDecoder
{
    /// <summary>Size of the output vocabulary: the length of one row of logits.</summary>
    int Vocabulary { get; }

    /// <summary>
    /// One decoding step of several sequences at once: row i feeds <paramref name="tokens"/>[i] at
    /// <paramref name="positions"/>[i] through the decoder of slot <paramref name="slots"/>[i] (distinct slots), all rows in
    /// one pass over the weights. Returns the logits [rows, <see cref="Vocabulary"/>], valid until the next step.
    /// </summary>
    Span<float> Step(scoped ReadOnlySpan<int> slots, scoped ReadOnlySpan<int> tokens, scoped ReadOnlySpan<int> positions);

    /// <summary>Copies slot <paramref name="from"/>'s cached keys and values for positions [0, <paramref name="positions"/>) into slot <paramref name="to"/>.</summary>
    void CopySlot(int from, int to, int positions);
}
