using Microsoft.Extensions.AI;
using TransformerKernels;
using TransformerKernels.Embeddings;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers TransformerKernels embedders and rerankers with a service container.</summary>
public static class TransformerKernelsServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="IEmbeddingGenerator{TInput, TEmbedding}"/> of strings (and the concrete
    /// <see cref="SentenceTransformerEmbeddingGenerator{TModel}"/>) as one singleton over the sentence-transformers directory
    /// <paramref name="directory"/>, loaded on first resolution and disposed with the container.
    /// </summary>
    /// <typeparam name="TModel">The generated encoder declared with the directory's shape.</typeparam>
    /// <param name="services">The container.</param>
    /// <param name="directory">The sentence-transformers directory.</param>
    /// <param name="configure">Sets batch, precision, threads, concurrency, model id.</param>
    public static IServiceCollection AddTransformerKernelsEmbeddings<TModel>(this IServiceCollection services, string directory, Action<EncoderModelOptions>? configure = null)
        where TModel : class, IEncoderModel<TModel>
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrEmpty(directory);
        EncoderModelOptions options = Configure(configure);
        services.AddSingleton(_ => new SentenceTransformerEmbeddingGenerator<TModel>(directory, options));
        services.AddSingleton<IEmbeddingGenerator<string, Embedding<float>>>(provider => provider.GetRequiredService<SentenceTransformerEmbeddingGenerator<TModel>>());
        return services;
    }

    /// <summary>
    /// Registers <see cref="CrossEncoderReranker{TModel}"/> as a singleton over the cross-encoder directory
    /// <paramref name="directory"/>, loaded on first resolution and disposed with the container.
    /// </summary>
    /// <typeparam name="TModel">The generated encoder declared with the directory's shape.</typeparam>
    /// <param name="services">The container.</param>
    /// <param name="directory">The cross-encoder directory (Hugging Face BertForSequenceClassification files).</param>
    /// <param name="configure">Sets batch, precision, threads, concurrency, model id.</param>
    public static IServiceCollection AddTransformerKernelsReranker<TModel>(this IServiceCollection services, string directory, Action<EncoderModelOptions>? configure = null)
        where TModel : class, IEncoderModel<TModel>
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrEmpty(directory);
        EncoderModelOptions options = Configure(configure);
        services.AddSingleton(_ => CrossEncoderReranker<TModel>.Load(directory, options));
        return services;
    }

    private static EncoderModelOptions Configure(Action<EncoderModelOptions>? configure)
    {
        var options = new EncoderModelOptions();
        configure?.Invoke(options);
        return options;
    }
}
