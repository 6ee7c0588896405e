namespace TransformerKernels;

/// <summary>
/// An encoder over token ids, as embedders and rerankers drive it: packed sequences in, one hidden-state row per token out.
/// Implemented by generated encoder-only models with a <c>Vocab</c>; disposing it frees the model's native weights and scratch
/// (once no session holds them).
/// </summary>
public interface ITokenEncoder : IDisposable
{
    /// <summary>
    /// Packed sequences of token ids → hidden states [Σ lengths, DModel], sequence b's rows after sequence b − 1's, each
    /// with positions from 0 and attention over its own tokens only.
    /// </summary>
    /// <param name="ids">Token ids of every sequence, back to back.</param>
    /// <param name="lengths">Tokens of each sequence (each 1..MaxSeqLen; in total at most maxBatch·MaxSeqLen).</param>
    /// <param name="hidden">Receives [Σ lengths, DModel].</param>
    /// <param name="tokenTypes">Segment ids per token, back to back like <paramref name="ids"/>, or empty for all zeros.</param>
    void EncodePacked(ReadOnlySpan<int> ids, ReadOnlySpan<int> lengths, Span<float> hidden, ReadOnlySpan<int> tokenTypes = default);

    /// <summary>
    /// A second encoder over the same packed weights with scratch of its own for <paramref name="maxBatch"/> × MaxSeqLen
    /// tokens per call: an instance runs one call at a time, so concurrent callers each take a session.
    /// </summary>
    ITokenEncoder CreateSession(int maxBatch);
}

/// <summary>
/// A generated encoder-only model as a type: its shape and its loaders, so generic code (an embedder, a reranker) can load
/// any declared BERT-family model: <c>TModel.Load(directory, WeightNaming.Bert, …)</c>.
/// </summary>
/// <typeparam name="TSelf">The generated model class.</typeparam>
public interface IEncoderModel<TSelf> : ITokenEncoder where TSelf : class, IEncoderModel<TSelf>
{
    /// <summary>The declared shape (DModel, MaxSeqLen, EncoderVocab, TokenTypes, …).</summary>
    static abstract ModelShape Shape { get; }

    /// <summary>Loads a safetensors checkpoint (file, index or directory), checking every tensor against <see cref="Shape"/>.</summary>
    /// <exception cref="ModelWeightsException">A tensor is missing, extra (unless allowed) or mis-shaped.</exception>
    /// <exception cref="SafeTensorsFormatException">The file is malformed.</exception>
    static abstract TSelf Load(string path, WeightNaming naming, int maxBatch, bool allowUnusedTensors, WeightPrecision precision);

    /// <summary>Creates the model over weights already loaded for <see cref="Shape"/> (a prepacked cache, say); it owns them.</summary>
    static abstract TSelf Create(TransformerWeights weights, int maxBatch);
}
