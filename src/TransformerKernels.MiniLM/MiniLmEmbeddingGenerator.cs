using Microsoft.Extensions.AI;
using TransformerKernels.Embeddings;

namespace TransformerKernels.MiniLM;

/// <summary>
/// all-MiniLM-L6-v2 behind Microsoft.Extensions.AI's <see cref="IEmbeddingGenerator{TInput, TEmbedding}"/>: the generic
/// <see cref="SentenceTransformerEmbeddingGenerator{TModel}"/> over <see cref="SentenceEmbedder"/>'s model, so it is
/// asynchronous (computed on the thread pool), honours <see cref="EmbeddingGenerationOptions.Dimensions"/> (Matryoshka
/// truncation, renormalized), reports <see cref="GeneratedEmbeddings{TEmbedding}.Usage"/> and the model id. Calls from several
/// threads are safe (serialized). EMPTY texts are refused, as <see cref="SentenceEmbedder"/> refuses them.
/// </summary>
public sealed class MiniLmEmbeddingGenerator : IEmbeddingGenerator<string, Embedding<float>>
{
    private readonly SentenceEmbedder _embedder;
    private readonly SentenceTransformerEmbeddingGenerator<AllMiniLmL6V2> _generator;

    /// <summary>Loads the model (converting it into the cache on first use) with its linear layers in <paramref name="precision"/>.</summary>
    /// <param name="maxBatch">Largest batch of one forward pass.</param>
    /// <param name="precision">FP32 (default), BF16 or int8 weights; see <see cref="WeightPrecision"/>.</param>
    public MiniLmEmbeddingGenerator(int maxBatch = 8, WeightPrecision precision = WeightPrecision.Fp32) : this(new SentenceEmbedder(maxBatch, precision))
    {
    }

    /// <summary>Wraps an existing embedder; the generator owns it.</summary>
    public MiniLmEmbeddingGenerator(SentenceEmbedder embedder)
    {
        _embedder = embedder ?? throw new ArgumentNullException(nameof(embedder));
        _generator = new SentenceTransformerEmbeddingGenerator<AllMiniLmL6V2>(embedder.Transformer, ownsModel: false);
    }

    /// <summary>Describes the model: provider, id and dimensions.</summary>
    public EmbeddingGeneratorMetadata Metadata => _generator.Metadata;

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">A value is empty by <see cref="SentenceEmbedder.IsEmpty(string)"/>'s rule (no tokens
    /// besides [CLS] and [SEP]) or cannot be tokenized; the message names its index. Nothing is computed then.</exception>
    /// <exception cref="ArgumentOutOfRangeException">Dimensions is above 384 (ParamName <c>Dimensions</c>).</exception>
    public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default) =>
        _generator.GenerateAsync(values, options, cancellationToken);

    /// <inheritdoc/>
    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is null && serviceType.IsInstanceOfType(this) ? this : _generator.GetService(serviceType, serviceKey);

    /// <summary>Releases the model; a call still running finishes its forward pass first (see <see cref="SentenceEmbedder.Dispose"/>).</summary>
    public void Dispose() => _embedder.Dispose();
}
