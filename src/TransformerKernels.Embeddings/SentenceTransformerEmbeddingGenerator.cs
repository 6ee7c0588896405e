using Microsoft.Extensions.AI;

namespace TransformerKernels.Embeddings;

/// <summary>
/// A <see cref="SentenceTransformer{TModel}"/> behind Microsoft.Extensions.AI's <see cref="IEmbeddingGenerator{TInput, TEmbedding}"/>:
/// truly asynchronous (the work runs on the thread pool, the returned task is pending while it does), honouring
/// <see cref="EmbeddingGenerationOptions.Dimensions"/> by Matryoshka truncation, reporting <see cref="GeneratedEmbeddings{TEmbedding}.Usage"/>
/// and the model id. Safe to call from several threads.
/// </summary>
/// <typeparam name="TModel">The generated encoder.</typeparam>
public sealed class SentenceTransformerEmbeddingGenerator<TModel> : IEmbeddingGenerator<string, Embedding<float>> where TModel : class, IEncoderModel<TModel>
{
    /// <summary>The provider name reported in <see cref="Metadata"/>.</summary>
    public const string ProviderName = "TransformerKernels";

    private readonly SentenceTransformer<TModel> _model;
    private readonly bool _ownsModel;

    /// <summary>Loads a sentence-transformers directory (see <see cref="SentenceTransformer{TModel}.Load"/>).</summary>
    public SentenceTransformerEmbeddingGenerator(string directory, EncoderModelOptions? options = null)
        : this(SentenceTransformer<TModel>.Load(directory, options), ownsModel: true)
    {
    }

    /// <summary>Serves an existing model; <paramref name="ownsModel"/> says whether disposing the generator disposes it.</summary>
    public SentenceTransformerEmbeddingGenerator(SentenceTransformer<TModel> model, bool ownsModel = true)
    {
        _model = model ?? throw new ArgumentNullException(nameof(model));
        _ownsModel = ownsModel;
        Metadata = new EmbeddingGeneratorMetadata(ProviderName, null, model.ModelId, model.Dimensions);
    }

    /// <summary>Provider, model id and full width.</summary>
    public EmbeddingGeneratorMetadata Metadata { get; }

    /// <summary>The model behind the generator.</summary>
    public SentenceTransformer<TModel> Model => _model;

    /// <inheritdoc/>
    /// <remarks>
    /// <see cref="EmbeddingGenerationOptions.Dimensions"/> at most the model's width keeps the first components (Matryoshka)
    /// and normalizes them again when the model normalizes; <see cref="EmbeddingGenerationOptions.ModelId"/>, when given, must be
    /// this model's id. Usage counts the tokens fed to the encoder after truncation.
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException">Dimensions is below 1 or above the model's width (ParamName <c>Dimensions</c>).</exception>
    /// <exception cref="ArgumentException">ModelId names another model; a value is null or cannot be tokenized (its index named).</exception>
    public async Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(values);
        int dimensions = options?.Dimensions ?? _model.Dimensions;
        if (dimensions < 1 || dimensions > _model.Dimensions)
        {
            throw new ArgumentOutOfRangeException(nameof(EmbeddingGenerationOptions.Dimensions), dimensions,
                $"Dimensions must be 1..{_model.Dimensions}: {_model.ModelId} makes {_model.Dimensions}-dimensional embeddings (fewer are a Matryoshka truncation).");
        }
        if (options?.ModelId is { } requested && requested != _model.ModelId)
        {
            throw new ArgumentException($"ModelId '{requested}' was requested, but this generator serves '{_model.ModelId}'.", nameof(options));
        }
        string[] texts = values.ToArray();
        SentenceEmbeddings embedded = await _model.EmbedAsync(texts, cancellationToken).ConfigureAwait(false);
        DateTimeOffset created = DateTimeOffset.UtcNow;
        var result = new GeneratedEmbeddings<Embedding<float>>(embedded.Vectors.Length)
        {
            Usage = new UsageDetails { InputTokenCount = embedded.InputTokens, TotalTokenCount = embedded.InputTokens },
        };
        foreach (float[] vector in embedded.Vectors)
        {
            float[] value = dimensions == _model.Dimensions ? vector : _model.Pooling.Truncate(vector, dimensions);
            result.Add(new Embedding<float>(value) { ModelId = _model.ModelId, CreatedAt = created });
        }
        return result;
    }

    /// <inheritdoc/>
    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        return serviceKey is not null ? null
            : serviceType == typeof(EmbeddingGeneratorMetadata) ? Metadata
            : serviceType.IsInstanceOfType(this) ? this
            : serviceType.IsInstanceOfType(_model) ? _model
            : null;
    }

    /// <summary>Releases the model when the generator owns it.</summary>
    public void Dispose()
    {
        if (_ownsModel)
        {
            _model.Dispose();
        }
    }
}
