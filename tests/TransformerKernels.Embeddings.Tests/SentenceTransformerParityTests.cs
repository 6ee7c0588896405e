namespace TransformerKernels.Embeddings.Tests;

/// <summary>
/// Each fixture directory loaded as sentence-transformers would load it, by the declaration <typeparamref name="TModel"/>,
/// gives the PyTorch reference's token ids exactly and its embeddings within 1e-4: CLS pooling without Normalize
/// (vocab.txt), mean pooling with Normalize (tokenizer.json, modules under 0_Transformer/, max_seq_length 24), max pooling.
/// The long text is truncated at max_seq_length. Run through the explicit declaration (TinyBert) and the one read from
/// st-cls/config.json (TinyBertFromConfig; the three fixtures share that config).
/// </summary>
public abstract class SentenceTransformerParityTests<TModel> where TModel : class, IEncoderModel<TModel>
{
    [Theory]
    [InlineData(Fixtures.Cls, PoolingMode.Cls, false, 32)]
    [InlineData(Fixtures.MeanNormalize, PoolingMode.Mean, true, 24)]
    [InlineData(Fixtures.Max, PoolingMode.Max, false, 32)]
    public void EmbeddingsMatchThePyTorchReference(string fixture, PoolingMode mode, bool normalize, int maxSeqLength)
    {
        using var model = SentenceTransformer<TModel>.Load(Fixtures.Directory(fixture));
        AssertMatchesReference(model, fixture, new SentencePooling(mode, normalize), maxSeqLength);
    }

    /// <summary>Pooling and length as the directory says, the reference's ids exactly, its embeddings within <see cref="Fixtures.Tolerance"/>.</summary>
    internal static void AssertMatchesReference(SentenceTransformer<TModel> model, string fixture, SentencePooling pooling, int maxSeqLength)
    {
        EmbeddingCase[] cases = Fixtures.Embeddings(fixture);
        Assert.Equal(pooling, model.Pooling);
        Assert.Equal(maxSeqLength, model.MaxSequenceLength);
        Assert.Contains(cases, c => c.Ids.Length == maxSeqLength); // the long text reaches the limit
        foreach (EmbeddingCase c in cases)
        {
            Assert.Equal(c.Ids, model.Tokenize(c.Text));
        }
        SentenceEmbeddings result = model.Embed([.. cases.Select(c => c.Text)]);
        for (int i = 0; i < cases.Length; i++)
        {
            double difference = Fixtures.MaxDifference(result.Vectors[i], cases[i].Embedding);
            Assert.True(difference < Fixtures.Tolerance, $"{typeof(TModel).Name}, {fixture} text {i} ('{cases[i].Text[..Math.Min(20, cases[i].Text.Length)]}'): max |difference| {difference:E2}");
        }
        Assert.Equal(cases.Sum(c => c.Ids.Length), result.InputTokens);
    }
}

public sealed class TinyBertParityTests : SentenceTransformerParityTests<TinyBert>;

public sealed class TinyBertFromConfigParityTests : SentenceTransformerParityTests<TinyBertFromConfig>;

/// <summary>Packing, thread counts and their scopes, on the explicit declaration.</summary>
public class SentenceTransformerParityTests
{
    [Fact]
    public void PackingSeveralTextsInOnePassChangesNothing()
    {
        EmbeddingCase[] cases = Fixtures.Embeddings(Fixtures.MeanNormalize);
        string[] texts = [.. cases.Select(c => c.Text)];
        using var packed = SentenceTransformer<TinyBert>.Load(Fixtures.Directory(Fixtures.MeanNormalize), new EncoderModelOptions { MaxBatch = 4 });
        float[][] together = packed.Embed(texts).Vectors;
        for (int i = 0; i < texts.Length; i++)
        {
            Assert.Equal(together[i], packed.Embed([texts[i]]).Vectors[0]);
        }
    }

    [Fact]
    public void ThreadCountIsPerInstanceAndDoesNotChangeResults()
    {
        string[] texts = [.. Fixtures.Embeddings(Fixtures.Cls).Select(c => c.Text)];
        using var one = SentenceTransformer<TinyBert>.Load(Fixtures.Directory(Fixtures.Cls), new EncoderModelOptions { ThreadCount = 1 });
        using var two = SentenceTransformer<TinyBert>.Load(Fixtures.Directory(Fixtures.Cls), new EncoderModelOptions { ThreadCount = 2 });
        int processDefault = KernelThreads.ThreadCount;
        float[][] a = one.Embed(texts).Vectors, b = two.Embed(texts).Vectors;
        for (int i = 0; i < texts.Length; i++)
        {
            Assert.Equal(a[i], b[i]);
        }
        Assert.Equal(processDefault, KernelThreads.ThreadCount); // the instances never touched the process setting
        Assert.Equal(processDefault, KernelThreads.CurrentThreadCount);
    }

    [Fact]
    public void AThreadCountScopeOverridesOnlyTheCurrentThreadAndIsRestored()
    {
        int processDefault = KernelThreads.CurrentThreadCount;
        using (KernelThreads.UseThreadCount(3))
        {
            Assert.Equal(3, KernelThreads.CurrentThreadCount);
            int elsewhere = 0;
            var thread = new Thread(() => elsewhere = KernelThreads.CurrentThreadCount);
            thread.Start();
            thread.Join();
            Assert.Equal(processDefault, elsewhere);
            using (KernelThreads.UseThreadCount(1))
            {
                Assert.Equal(1, KernelThreads.CurrentThreadCount);
            }
            Assert.Equal(3, KernelThreads.CurrentThreadCount);
        }
        Assert.Equal(processDefault, KernelThreads.CurrentThreadCount);
        Assert.Throws<ArgumentOutOfRangeException>(() => KernelThreads.UseThreadCount(0));
    }
}
