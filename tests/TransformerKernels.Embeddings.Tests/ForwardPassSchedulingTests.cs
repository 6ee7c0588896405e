using Microsoft.Extensions.AI;

namespace TransformerKernels.Embeddings.Tests;

/// <summary>Where and how forward passes run, observed with <see cref="ProbeEncoder"/>: off the caller, with the instance's thread count, stopped by cancellation between passes.</summary>
public class ForwardPassSchedulingTests
{
    private static readonly string[] Texts = [.. Enumerable.Range(0, 6).Select(i => $"the quick brown fox {i} jumps over the lazy dog")];

    [Fact]
    public async Task GenerateAsyncReturnsWhileTheFirstPassIsStillRunning()
    {
        var recorder = new ProbeEncoder.Recorder();
        using var release = new ManualResetEventSlim();
        bool timedOut = false;
        // If the pass ran on the caller's thread, GenerateAsync could not return before the pass is released: it would
        // wait out the timeout here, then come back completed.
        recorder.OnPass = () => timedOut |= !release.Wait(TimeSpan.FromSeconds(5));
        using var generator = new SentenceTransformerEmbeddingGenerator<ProbeEncoder>(ProbeEncoder.Embedder(recorder, new EncoderModelOptions()));
        Task<GeneratedEmbeddings<Embedding<float>>> pending = generator.GenerateAsync(Texts);
        bool completedOnReturn = pending.IsCompleted;
        release.Set();
        Assert.Equal(Texts.Length, (await pending).Count);
        Assert.False(completedOnReturn, "GenerateAsync returned a completed task: it computed on the caller's thread");
        Assert.False(timedOut, "the first forward pass ran before GenerateAsync returned");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public async Task PassesUseTheInstancesThreadCount(int threads)
    {
        var recorder = new ProbeEncoder.Recorder();
        using var embedder = ProbeEncoder.Embedder(recorder, new EncoderModelOptions { ThreadCount = threads, MaxBatch = 1 });
        await embedder.EmbedAsync(Texts);
        embedder.Embed(Texts);
        Assert.True(recorder.Passes.Count >= 4, $"{recorder.Passes.Count} passes"); // two texts of ~12 tokens per 32-token pass
        Assert.All(recorder.Passes, pass => Assert.Equal(threads, pass.KernelThreads));
        Assert.Equal(KernelThreads.ThreadCount, KernelThreads.CurrentThreadCount); // the caller's thread is left alone
    }

    [Fact]
    public async Task WithoutAThreadCountPassesUseTheProcessDefault()
    {
        var recorder = new ProbeEncoder.Recorder();
        using var embedder = ProbeEncoder.Embedder(recorder, new EncoderModelOptions());
        await embedder.EmbedAsync(Texts);
        Assert.All(recorder.Passes, pass => Assert.Equal(KernelThreads.ThreadCount, pass.KernelThreads));
    }

    [Fact]
    public async Task CancellationStopsBetweenPasses()
    {
        var recorder = new ProbeEncoder.Recorder();
        using var cancellation = new CancellationTokenSource();
        recorder.OnPass = cancellation.Cancel; // cancelled during the first pass
        using var embedder = ProbeEncoder.Embedder(recorder, new EncoderModelOptions { MaxBatch = 1 }); // a 32-token pass holds two texts
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => embedder.EmbedAsync(Texts, cancellation.Token));
        Assert.Single(recorder.Passes);
        recorder.OnPass = null;
        Assert.Equal(Texts.Length, (await embedder.EmbedAsync(Texts)).Vectors.Length); // still usable
    }

    [Fact]
    public async Task ConcurrentCallsRunInSessionsOfTheirOwnUpToTheLimit()
    {
        var recorder = new ProbeEncoder.Recorder();
        using var bothInside = new CountdownEvent(2);
        int arrivals = 0, running = 0, most = 0;
        bool met = true;
        recorder.OnPass = () =>
        {
            InterlockedMax(ref most, Interlocked.Increment(ref running));
            // The first two passes wait for each other: with two sessions they are inside at the same time.
            if (Interlocked.Increment(ref arrivals) <= 2)
            {
                bothInside.Signal();
                met &= bothInside.Wait(TimeSpan.FromSeconds(5));
            }
            Interlocked.Decrement(ref running);
        };
        using var embedder = ProbeEncoder.Embedder(recorder, new EncoderModelOptions { MaxConcurrentCalls = 2 });
        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => embedder.EmbedAsync(Texts[..1])));
        Assert.True(met, "two calls never ran at the same time with MaxConcurrentCalls = 2");
        Assert.Equal(2, most);
        Assert.Equal(0, recorder.SharedEntries);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while ((seen = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen)
        {
        }
    }
}
