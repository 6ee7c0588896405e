using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;

namespace TransformerKernels.Embeddings.Tests;

/// <summary>The DI helpers register singletons that resolve, compute the reference and are disposed with the container.</summary>
public class DependencyInjectionTests
{
    [Fact]
    public async Task TheEmbeddingGeneratorResolvesAsOneSingletonAndWorks()
    {
        EmbeddingCase[] cases = Fixtures.Embeddings(Fixtures.MeanNormalize);
        var services = new ServiceCollection();
        services.AddTransformerKernelsEmbeddings<TinyBert>(Fixtures.Directory(Fixtures.MeanNormalize), options => options.ThreadCount = 1);
        IEmbeddingGenerator<string, Embedding<float>> generator;
        await using (ServiceProvider provider = services.BuildServiceProvider(validateScopes: true))
        {
            generator = provider.GetRequiredService<IEmbeddingGenerator<string, Embedding<float>>>();
            Assert.Same(generator, provider.GetRequiredService<IEmbeddingGenerator<string, Embedding<float>>>());
            Assert.Same(generator, provider.GetRequiredService<SentenceTransformerEmbeddingGenerator<TinyBert>>());
            var result = await generator.GenerateAsync(cases.Select(c => c.Text));
            for (int i = 0; i < cases.Length; i++)
            {
                Assert.True(Fixtures.MaxDifference(result[i].Vector.Span, cases[i].Embedding) < Fixtures.Tolerance, $"text {i}");
            }
        }
        // Disposed with the container: its model refuses further work.
        await Assert.ThrowsAsync<ObjectDisposedException>(() => generator.GenerateAsync(["hello"]));
    }

    [Fact]
    public async Task TheRerankerResolvesAndWorks()
    {
        PairCase c = Fixtures.Pairs()[0];
        var services = new ServiceCollection();
        services.AddTransformerKernelsReranker<TinyBert>(Fixtures.Directory(Fixtures.CrossEncoder));
        await using ServiceProvider provider = services.BuildServiceProvider();
        var reranker = provider.GetRequiredService<CrossEncoderReranker<TinyBert>>();
        float[] scores = await reranker.ScoreAsync([(c.Query, c.Document)]);
        Assert.True(Math.Abs(scores[0] - c.Score) < Fixtures.Tolerance);
    }
}
