using Microsoft.Extensions.AI;

namespace TransformerKernels.Embeddings.Tests;

/// <summary>The Microsoft.Extensions.AI generator over a sentence-transformers directory: results, Dimensions, Usage, ModelId, async-ness, concurrency.</summary>
public class EmbeddingGeneratorTests
{
    private static SentenceTransformerEmbeddingGenerator<TinyBert> Generator(string fixture, EncoderModelOptions? options = null) =>
        new(Fixtures.Directory(fixture), options);

    [Fact]
    public async Task GeneratesTheReferenceEmbeddingsWithUsageAndModelId()
    {
        EmbeddingCase[] cases = Fixtures.Embeddings(Fixtures.Cls);
        using IEmbeddingGenerator<string, Embedding<float>> generator = Generator(Fixtures.Cls);
        GeneratedEmbeddings<Embedding<float>> result = await generator.GenerateAsync(cases.Select(c => c.Text));
        Assert.Equal(cases.Length, result.Count);
        for (int i = 0; i < cases.Length; i++)
        {
            Assert.True(Fixtures.MaxDifference(result[i].Vector.Span, cases[i].Embedding) < Fixtures.Tolerance, $"text {i}");
            Assert.Equal(Fixtures.Cls, result[i].ModelId);
        }
        Assert.NotNull(result.Usage);
        Assert.Equal(cases.Sum(c => c.Ids.Length), result.Usage.InputTokenCount);
        Assert.Equal(result.Usage.InputTokenCount, result.Usage.TotalTokenCount);
        EmbeddingGeneratorMetadata metadata = generator.GetService<EmbeddingGeneratorMetadata>()!;
        Assert.Equal(Fixtures.Cls, metadata.DefaultModelId);
        Assert.Equal(32, metadata.DefaultModelDimensions);
        Assert.Equal("TransformerKernels", metadata.ProviderName);
    }

    [Fact]
    public async Task ModelIdComesFromTheOptionsAndARequestForAnotherModelIsRefused()
    {
        using var generator = Generator(Fixtures.Cls, new EncoderModelOptions { ModelId = "tiny/st-cls" });
        Assert.Equal("tiny/st-cls", generator.Metadata.DefaultModelId);
        var result = await generator.GenerateAsync(["hello"], new EmbeddingGenerationOptions { ModelId = "tiny/st-cls" });
        Assert.Equal("tiny/st-cls", result[0].ModelId);
        var refused = await Assert.ThrowsAsync<ArgumentException>(() => generator.GenerateAsync(["hello"], new EmbeddingGenerationOptions { ModelId = "other" }));
        Assert.Contains("other", refused.Message);
    }

    [Fact]
    public async Task DimensionsTruncateAndRenormalizeWhenTheModelNormalizes()
    {
        EmbeddingCase[] cases = Fixtures.Embeddings(Fixtures.MeanNormalize);
        using var generator = Generator(Fixtures.MeanNormalize);
        var result = await generator.GenerateAsync(cases.Select(c => c.Text), new EmbeddingGenerationOptions { Dimensions = 12 });
        for (int i = 0; i < cases.Length; i++)
        {
            double[] head = cases[i].Embedding[..12];
            double norm = Math.Sqrt(head.Sum(v => v * v));
            Assert.Equal(12, result[i].Vector.Length);
            Assert.True(Fixtures.MaxDifference(result[i].Vector.Span, [.. head.Select(v => v / norm)]) < Fixtures.Tolerance, $"text {i}");
            Assert.Equal(1.0, Fixtures.Norm(result[i].Vector.Span), 5);
        }
    }

    [Fact]
    public async Task DimensionsOnlyTruncateWhenTheModelDoesNotNormalize()
    {
        EmbeddingCase[] cases = Fixtures.Embeddings(Fixtures.Cls);
        using var generator = Generator(Fixtures.Cls);
        var result = await generator.GenerateAsync(cases.Select(c => c.Text), new EmbeddingGenerationOptions { Dimensions = 12 });
        for (int i = 0; i < cases.Length; i++)
        {
            Assert.True(Fixtures.MaxDifference(result[i].Vector.Span, cases[i].Embedding[..12]) < Fixtures.Tolerance, $"text {i}");
        }
    }

    // (Dimensions below 1 never reach us: EmbeddingGenerationOptions' own setter refuses them.)
    [Theory]
    [InlineData(33)]
    [InlineData(4096)]
    public async Task DimensionsAboveTheModelsWidthAreRefusedByName(int dimensions)
    {
        using var generator = Generator(Fixtures.MeanNormalize);
        var refused = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => generator.GenerateAsync(["hello"], new EmbeddingGenerationOptions { Dimensions = dimensions }));
        Assert.Equal("Dimensions", refused.ParamName);
    }

    [Fact]
    public async Task GenerateAsyncReturnsBeforeTheWorkIsDone()
    {
        string[] texts = [.. Enumerable.Range(0, 3000).Select(i => $"The quick brown fox {i} jumps over the lazy dog {i % 7}")];
        using var generator = Generator(Fixtures.Cls);
        Task<GeneratedEmbeddings<Embedding<float>>> pending = generator.GenerateAsync(texts);
        // Synchronous work would have finished (hundreds of forward passes) before GenerateAsync returned.
        Assert.False(pending.IsCompleted, "GenerateAsync computed on the caller's thread");
        GeneratedEmbeddings<Embedding<float>> result = await pending;
        Assert.Equal(texts.Length, result.Count);
    }

    [Fact]
    public async Task ACancelledCallThrowsAndLeavesTheGeneratorUsable()
    {
        using var generator = Generator(Fixtures.Cls);
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => generator.GenerateAsync(["hello", "world"], cancellationToken: cancelled.Token));
        Assert.Single(await generator.GenerateAsync(["hello"]));
    }

    [Fact]
    public async Task CancellingDuringALongCallStopsItBetweenPasses()
    {
        string[] texts = [.. Enumerable.Range(0, 20000).Select(i => $"The quick brown fox {i} jumps over the lazy dog {i % 7}")];
        using var generator = Generator(Fixtures.Cls, new EncoderModelOptions { MaxBatch = 1 });
        using var cancellation = new CancellationTokenSource();
        Task<GeneratedEmbeddings<Embedding<float>>> pending = generator.GenerateAsync(texts, cancellationToken: cancellation.Token);
        await cancellation.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pending);
    }

    [Fact]
    public async Task ConcurrentCallsGetExactlyTheSingleCallEmbeddings()
    {
        string[] texts = [.. Fixtures.Embeddings(Fixtures.MeanNormalize).Select(c => c.Text)];
        using var generator = Generator(Fixtures.MeanNormalize, new EncoderModelOptions { MaxConcurrentCalls = 3, MaxBatch = 2 });
        float[][] expected = [.. (await generator.GenerateAsync(texts)).Select(e => e.Vector.ToArray())];
        int mismatches = 0;
        await Parallel.ForAsync(0, 8, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (thread, token) =>
        {
            for (int i = 0; i < 40; i++)
            {
                int which = (thread + i) % texts.Length;
                var result = await generator.GenerateAsync([texts[which]], cancellationToken: token);
                if (!result[0].Vector.Span.SequenceEqual(expected[which]))
                {
                    Interlocked.Increment(ref mismatches);
                }
            }
        });
        Assert.Equal(0, mismatches);
    }

    [Fact]
    public async Task ANullTextIsRefusedByIndex()
    {
        using var generator = Generator(Fixtures.Cls);
        var refused = await Assert.ThrowsAsync<ArgumentException>(() => generator.GenerateAsync(["fine", null!]));
        Assert.Contains("Text 1", refused.Message);
    }
}
