using Microsoft.Extensions.AI;

namespace TransformerKernels.MiniLM;

/// <summary>
/// all-MiniLM-L6-v2 behind Microsoft.Extensions.AI's <see cref="IEmbeddingGenerator{TInput, TEmbedding}"/>, so code written
/// for that interface runs locally on TransformerKernels. Inputs are embedded in batches; calls are serialized (the model's
/// scratch is shared), so one instance may be used from several threads.
/// </summary>
public sealed class MiniLmEmbeddingGenerator : IEmbeddingGenerator<string, Embedding<float>>
{
    private readonly SentenceEmbedder _embedder;
    private readonly object _gate = new();

    /// <summary>Loads the model (converting it into the cache on first use) with its linear layers in <paramref name="precision"/>.</summary>
    /// <param name="maxBatch">Largest batch of one forward pass.</param>
    /// <param name="precision">FP32 (default), BF16 or int8 weights; see <see cref="WeightPrecision"/>.</param>
    public MiniLmEmbeddingGenerator(int maxBatch = 8, WeightPrecision precision = WeightPrecision.Fp32) => _embedder = new SentenceEmbedder(maxBatch, precision);

    /// <summary>Wraps an existing embedder; the generator owns it.</summary>
    public MiniLmEmbeddingGenerator(SentenceEmbedder embedder) => _embedder = embedder;

    /// <summary>Describes the model: provider, id and dimensions.</summary>
    public EmbeddingGeneratorMetadata Metadata { get; } =
        new("TransformerKernels", null, "sentence-transformers/all-MiniLM-L6-v2", SentenceEmbedder.Dimensions);

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">A value is empty by <see cref="SentenceEmbedder.IsEmpty(string)"/>'s rule (no tokens
    /// besides [CLS] and [SEP]) or cannot be tokenized; the message names its index. Nothing is computed then.</exception>
    public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(values);
        cancellationToken.ThrowIfCancellationRequested();
        string[] texts = values.ToArray();
        float[][] vectors;
        lock (_gate)
        {
            vectors = _embedder.Embed(texts, cancellationToken);
        }
        var result = new GeneratedEmbeddings<Embedding<float>>(vectors.Select(v => new Embedding<float>(v) { ModelId = Metadata.DefaultModelId, CreatedAt = DateTimeOffset.UtcNow }));
        return Task.FromResult(result);
    }

    /// <inheritdoc/>
    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is null && serviceType.IsInstanceOfType(this) ? this
        : serviceKey is null && serviceType == typeof(EmbeddingGeneratorMetadata) ? Metadata
        : null;

    /// <summary>Releases the model; a call still running finishes its forward pass first (see <see cref="SentenceEmbedder.Dispose"/>).</summary>
    public void Dispose() => _embedder.Dispose();
}
