namespace TransformerKernels.Embeddings;

/// <summary>
/// A sentence embedder as a host that batches requests itself sees it (the OpenAI-compatible server of
/// TransformerKernels.Server): tokenize each text when its request arrives — so one bad text fails only its own request —
/// then embed many requests' token sequences in shared forward passes of a chosen token budget.
/// </summary>
public interface ITokenSequenceEmbedder : IDisposable
{
    /// <summary>The id reported for the model (a Hugging Face repository id or a directory name).</summary>
    string ModelId { get; }

    /// <summary>Width of an embedding.</summary>
    int Dimensions { get; }

    /// <summary>Longest token sequence, special tokens included; longer texts are truncated by <see cref="Tokenize"/>.</summary>
    int MaxSequenceLength { get; }

    /// <summary>Tokens one forward pass holds: the largest token budget <see cref="EmbedTokens"/> accepts.</summary>
    int Capacity { get; }

    /// <summary>The text's ids with the model's special tokens, truncated to <see cref="MaxSequenceLength"/>. Thread-safe.</summary>
    /// <exception cref="ArgumentException">The text cannot be tokenized (the message says why).</exception>
    int[] Tokenize(string text);

    /// <summary>Whether <paramref name="tokenIds"/> (from <see cref="Tokenize"/>) holds nothing but special tokens: an empty text.</summary>
    bool IsEmptyTokenization(ReadOnlySpan<int> tokenIds);

    /// <summary>
    /// Embeds sequences from <see cref="Tokenize"/>, in order, on the calling thread, in forward passes of at most
    /// <paramref name="tokenBudget"/> tokens (default and maximum <see cref="Capacity"/>).
    /// </summary>
    /// <exception cref="ArgumentException">A sequence is null, too short or too long, or holds an id outside the vocabulary.</exception>
    float[][] EmbedTokens(IReadOnlyList<int[]> sequences, CancellationToken cancellationToken = default, IProgress<int>? progress = null, int? tokenBudget = null);
}
