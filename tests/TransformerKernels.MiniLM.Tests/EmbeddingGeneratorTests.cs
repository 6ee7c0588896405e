using Microsoft.Extensions.AI;
using TransformerKernels.Onnx;

namespace TransformerKernels.MiniLM.Tests;

/// <summary>The Microsoft.Extensions.AI interface, and the converter's errors.</summary>
[Collection(nameof(MiniLmCollection))]
public class EmbeddingGeneratorTests(MiniLmFixture fixture)
{
    [Fact]
    public async Task GeneratesOneNormalizedEmbeddingPerInputInOrder()
    {
        string[] inputs = ["A man is eating food.", "The sky is blue.", "我有一只猫", "Hello"];
        using IEmbeddingGenerator<string, Embedding<float>> generator = new MiniLmEmbeddingGenerator(maxBatch: 3);
        GeneratedEmbeddings<Embedding<float>> result = await generator.GenerateAsync(inputs);
        Assert.Equal(inputs.Length, result.Count);
        float[][] direct = fixture.Embedder.Embed(inputs);
        for (int i = 0; i < inputs.Length; i++)
        {
            Assert.Equal(384, result[i].Vector.Length);
            Assert.True(SentenceEmbedder.Cosine(direct[i], result[i].Vector.Span) > 0.99999f, $"input {i} differs between batch sizes");
        }
        Assert.Equal("sentence-transformers/all-MiniLM-L6-v2", generator.GetService<EmbeddingGeneratorMetadata>()?.DefaultModelId);
    }

    [Theory]
    [InlineData(WeightPrecision.Bf16, 0.9999)]
    [InlineData(WeightPrecision.Int8, 0.975)] // the accuracy tests' minimum on the 7-bit-weight paths (0.99 on the others)
    public async Task GeneratesInLowerPrecisions(WeightPrecision precision, double minimumCosine)
    {
        string[] inputs = ["A man is eating food.", "The sky is blue.", "我有一只猫", "Hello"];
        using IEmbeddingGenerator<string, Embedding<float>> generator = new MiniLmEmbeddingGenerator(maxBatch: 3, precision);
        GeneratedEmbeddings<Embedding<float>> result = await generator.GenerateAsync(inputs);
        float[][] fp32 = fixture.Embedder.Embed(inputs);
        for (int i = 0; i < inputs.Length; i++)
        {
            float cosine = SentenceEmbedder.Cosine(fp32[i], result[i].Vector.Span);
            Assert.True(cosine >= minimumCosine && cosine < 1f, $"{precision} input {i}: cosine to FP32 {cosine}");
        }
    }

    [Fact]
    public async Task GenerateAsyncIsAsynchronousAndReportsUsage()
    {
        // Before the generator was built on the generic embedder, 200 texts came back in an already completed Task.
        string[] inputs = [.. Enumerable.Range(0, 200).Select(i => $"Sentence number {i} about eating food in the park.")];
        using var generator = new MiniLmEmbeddingGenerator(maxBatch: 8);
        Task<GeneratedEmbeddings<Embedding<float>>> pending = generator.GenerateAsync(inputs);
        Assert.False(pending.IsCompleted, "GenerateAsync computed on the caller's thread");
        GeneratedEmbeddings<Embedding<float>> result = await pending;
        Assert.Equal(inputs.Sum(text => fixture.Embedder.Tokenize(text).Length), result.Usage?.InputTokenCount);
        Assert.Equal(result.Usage?.InputTokenCount, result.Usage?.TotalTokenCount);
        Assert.All(result, e => Assert.Equal("sentence-transformers/all-MiniLM-L6-v2", e.ModelId));
    }

    [Fact]
    public async Task DimensionsAreAMatryoshkaTruncationRenormalized()
    {
        string[] inputs = ["A man is eating food.", "The sky is blue."];
        using var generator = new MiniLmEmbeddingGenerator(maxBatch: 2);
        var result = await generator.GenerateAsync(inputs, new EmbeddingGenerationOptions { Dimensions = 128 });
        float[][] full = fixture.Embedder.Embed(inputs);
        for (int i = 0; i < inputs.Length; i++)
        {
            double norm = Math.Sqrt(full[i][..128].Sum(v => (double)v * v));
            Assert.Equal(128, result[i].Vector.Length);
            for (int j = 0; j < 128; j++)
            {
                Assert.Equal(full[i][j] / norm, result[i].Vector.Span[j], 1e-6);
            }
        }
        var refused = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => generator.GenerateAsync(inputs, new EmbeddingGenerationOptions { Dimensions = 385 }));
        Assert.Equal("Dimensions", refused.ParamName);
    }

    [Fact]
    public async Task EmptyTextsAreRefusedByIndex()
    {
        using var generator = new MiniLmEmbeddingGenerator(maxBatch: 1);
        var refused = await Assert.ThrowsAsync<ArgumentException>(() => generator.GenerateAsync(["Hello", " \t "]));
        Assert.Contains("Text 1 is empty", refused.Message);
    }

    [Fact]
    public void MalformedOnnxIsRejected()
    {
        string path = Path.Combine(fixture.CacheDirectory, "bad.safetensors");
        Assert.Throws<OnnxFormatException>(() => OnnxBertConverter.Convert([0xFF, 0xFF, 0xFF, 0x01, 0x02], path));
        Assert.Throws<OnnxFormatException>(() => OnnxBertConverter.Convert(fixture.OnnxModel.AsSpan(0, 1000), path));
        Assert.False(File.Exists(path));
    }
}

/// <summary>One generator used from 8 threads at once: every one of a thousand concurrent calls equals the single-threaded embedding.</summary>
[Collection(nameof(MiniLmCollection))]
public class EmbeddingConcurrencyTests(MiniLmFixture fixture)
{
    [Fact]
    public async Task ConcurrentCallsGetExactlyTheSingleThreadedEmbeddings()
    {
        string[] sentences = ["A man is eating food.", "The sky is blue.", "我有一只猫", "Café au lait", "Hello"];
        float[][] expected = fixture.Embedder.Embed(sentences);
        using var generator = new MiniLmEmbeddingGenerator(maxBatch: 2);
        int mismatches = 0, calls = 0;
        await Parallel.ForAsync(0, 8, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (thread, token) =>
        {
            for (int i = 0; i < 125; i++)
            {
                int which = (thread + i) % sentences.Length;
                var result = await generator.GenerateAsync([sentences[which]], cancellationToken: token);
                if (!result[0].Vector.Span.SequenceEqual(expected[which]))
                {
                    Interlocked.Increment(ref mismatches);
                }
                Interlocked.Increment(ref calls);
            }
        });
        Assert.Equal(1000, calls);
        Assert.Equal(0, mismatches);
    }
}

/// <summary>A damaged or outdated prepacked cache is rebuilt, not fatal.</summary>
[Collection(nameof(MiniLmCollection))]
public class PackedCacheTests(MiniLmFixture fixture)
{
    [Fact]
    public void ADamagedPackedCacheIsRebuilt()
    {
        string packed = MiniLmFiles.PackedWeightsPath;
        Assert.StartsWith(fixture.CacheDirectory, packed);
        // Replace the file (new inode), as our own writers do: truncating it in place would pull the pages from under the
        // fixture's live mapping of the same file.
        File.WriteAllBytes(packed + ".damaged", [1, 2, 3]);
        File.Move(packed + ".damaged", packed, overwrite: true);
        using (var embedder = new SentenceEmbedder(maxBatch: 1))
        {
            float[] embedding = embedder.Embed(["Hello"])[0];
            Assert.True(SentenceEmbedder.Cosine(embedding, fixture.Embedder.Embed(["Hello"])[0]) > 0.99999f);
        }
        using SafeTensorsFile rebuilt = SafeTensorsFile.Open(packed);
        Assert.Equal(PackedCheckpoint.Format, rebuilt.Metadata["format"]);
    }

    [Theory]
    [InlineData(WeightPrecision.Bf16)]
    [InlineData(WeightPrecision.Int8)]
    public void LowPrecisionCachesAreWrittenMappedAndRebuiltWhenDamaged(WeightPrecision precision)
    {
        string packed = SentenceEmbedder.PackedPath(MiniLmFiles.WeightsPath, precision);
        float[] first;
        using (var embedder = new SentenceEmbedder(maxBatch: 1, precision))
        {
            first = embedder.Embed(["A man is eating food."])[0];
        }
        Assert.True(File.Exists(packed), $"no {precision} cache at {packed}");
        using (SafeTensorsFile file = SafeTensorsFile.Open(packed))
        {
            Assert.Equal(precision.ToString(), file.Metadata["precision"]);
            Assert.True(new FileInfo(packed).Length < new FileInfo(MiniLmFiles.PackedWeightsPath).Length, "the low-precision cache is smaller than the FP32 one");
        }
        // Mapped from the cache: the same embedding, bit for bit.
        using (var mapped = new SentenceEmbedder(maxBatch: 1, precision))
        {
            Assert.Equal(precision, mapped.Model.Weights.Precision);
            Assert.Equal(first, mapped.Embed(["A man is eating food."])[0]);
        }
        File.WriteAllBytes(packed + ".damaged", [1, 2, 3]);
        File.Move(packed + ".damaged", packed, overwrite: true);
        using (var rebuilt = new SentenceEmbedder(maxBatch: 1, precision))
        {
            Assert.Equal(first, rebuilt.Embed(["A man is eating food."])[0]);
        }
        using SafeTensorsFile again = SafeTensorsFile.Open(packed);
        Assert.Equal(precision.ToString(), again.Metadata["precision"]);
    }
}
