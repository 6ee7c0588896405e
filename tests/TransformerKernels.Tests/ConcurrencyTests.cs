using TransformerKernels.ChineseEnglish;

namespace TransformerKernels.Tests;

/// <summary>
/// One loaded model used from 8 threads: each thread gets a session over the shared packed weights
/// (<c>CreateSession</c>), and every one of thousands of concurrent translations equals the single-threaded result.
/// </summary>
public class ConcurrencyTests
{
    private static readonly string[] Sentences = ["我有一只猫", "她喜欢两条鱼", "我们想要三本书", "他不需要一把新伞", "老师看见四只大象"];

    [Fact]
    public void SessionsOverSharedWeightsTranslateConcurrentlyAndExactly()
    {
        string directory = Path.Combine(AppContext.BaseDirectory, "model");
        using var model = ChineseEnglishTranslator.Load(Path.Combine(directory, "translator.safetensors"));
        Vocabulary vocabulary = Vocabulary.Load(directory);
        int[][] sources = Sentences.Select(s => { vocabulary.TryEncode(s, out int[] ids, out _); return ids; }).ToArray();
        int[][] expected = sources.Select(ids => { var output = new int[32]; int n = model.Translate(ids, output, Vocabulary.Start, Vocabulary.End); return output[..n]; }).ToArray();

        int mismatches = 0, calls = 0;
        Parallel.For(0, 8, new ParallelOptions { MaxDegreeOfParallelism = 8 }, thread =>
        {
            using var session = model.CreateSession();
            var output = new int[32];
            for (int i = 0; i < 300; i++)
            {
                int which = (i + thread) % sources.Length;
                int n = session.Translate(sources[which], output, Vocabulary.Start, Vocabulary.End, beamWidth: i % 7 == 0 ? 3 : 1);
                if (!output.AsSpan(0, n).SequenceEqual(expected[which]))
                {
                    Interlocked.Increment(ref mismatches);
                }
                Interlocked.Increment(ref calls);
            }
        });
        Assert.Equal(2400, calls);
        Assert.Equal(0, mismatches);
    }

    [Fact]
    public void AnInstanceUsedFromTwoThreadsAtOnceSaysSoInsteadOfCorruptingResults()
    {
        using var model = FixtureTransformerPostRelu.Load(PyTorchParityTests.Fixture("transformer_post_relu.safetensors"), maxBatch: 2);
        float[] src = PyTorchParityTests.Tensor("transformer_post_relu.io.safetensors", "src");
        var expected = new float[src.Length];
        model.EncodeEmbeddings(src, 2, 6, default, expected);
        int collisions = 0, wrong = 0, calls = 0;
        // Two dedicated threads (not Parallel.For, which may run its iterations one after another) call at the same time
        // until they have collided a few times; each collision must be the documented exception, never a wrong result.
        var deadline = DateTime.UtcNow.AddSeconds(20);
        using var start = new Barrier(2);
        void Hammer()
        {
            var memory = new float[src.Length];
            start.SignalAndWait();
            while (Volatile.Read(ref collisions) < 20 && DateTime.UtcNow < deadline)
            {
                try
                {
                    model.EncodeEmbeddings(src, 2, 6, default, memory);
                    Interlocked.Increment(ref calls);
                    if (!memory.AsSpan().SequenceEqual(expected))
                    {
                        Interlocked.Increment(ref wrong);
                    }
                }
                catch (InvalidOperationException e) when (e.Message.Contains("CreateSession"))
                {
                    Interlocked.Increment(ref collisions);
                }
            }
        }
        var threads = new[] { new Thread(Hammer), new Thread(Hammer) };
        foreach (Thread thread in threads)
        {
            thread.Start();
        }
        foreach (Thread thread in threads)
        {
            thread.Join();
        }
        Assert.True(collisions > 0, $"two threads made {calls} calls on one instance and no call was refused");
        Assert.Equal(0, wrong);
    }
}
