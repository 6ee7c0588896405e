namespace TransformerKernels.MiniLM.Tests;

/// <summary>
/// Disposing an embedder from another thread while it embeds: the weights are memory-mapped native memory, and unmapping
/// them under a running GEMM kernel is an access violation that kills the process. The pass in progress must finish
/// first; the Embed call then stops with ObjectDisposedException before its next pass.
/// </summary>
[Collection(nameof(MiniLmCollection))]
public sealed class DisposeWhileEmbeddingTests(MiniLmFixture fixture)
{
    [Fact]
    public async Task DisposeDuringAPassWaitsForItAndStopsTheNextOne()
    {
        var embedder = new SentenceEmbedder(fixture.Files, maxBatch: 1) { TokenBudget = AllMiniLmL6V2.MaxSeqLen };
        string[] texts = [.. Enumerable.Repeat(new string('!', 300), 64)];
        using var firstPassDone = new ManualResetEventSlim();
        int passes = 0;
        var progress = new SynchronousProgress(_ =>
        {
            passes++;
            firstPassDone.Set();
            Thread.Sleep(20); // the next pass starts right after this, while the test thread disposes
        });
        Task<float[][]> embedding = Task.Run(() => embedder.Embed(texts, CancellationToken.None, progress));
        Assert.True(firstPassDone.Wait(TimeSpan.FromSeconds(60)), "the first pass did not finish");
        Thread.Sleep(25); // inside the second pass's kernels (a 256-token pass takes tens of milliseconds)
        embedder.Dispose();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => embedding);
        Assert.InRange(passes, 1, 3);
        Assert.Throws<ObjectDisposedException>(() => embedder.Embed(["after dispose"]));
        embedder.Dispose(); // twice is harmless
    }

    private sealed class SynchronousProgress(Action<int> report) : IProgress<int>
    {
        public void Report(int value) => report(value);
    }
}
