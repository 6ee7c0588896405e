namespace TransformerKernels.Embeddings.Tests;

/// <summary>
/// A stand-in encoder that records where and how each forward pass runs (thread, kernel thread count) and can hold a pass
/// until the test releases it, so asynchrony, the per-instance thread count and cancellation between passes are observed
/// directly rather than inferred from timing. Its hidden states are the token ids (enough for pooling to run).
/// </summary>
internal sealed class ProbeEncoder(ProbeEncoder.Recorder recorder) : IEncoderModel<ProbeEncoder>
{
    private int _inside;

    public static ModelShape Shape { get; } = new(32, 4, 2, 0, 64, 32, 64, 256, 0, 2, NormPlacement.Post, Activation.Gelu, PositionEncoding.Learned, 1e-12f);

    public static ProbeEncoder Load(string path, WeightNaming naming, int maxBatch, bool allowUnusedTensors, WeightPrecision precision) => throw new NotSupportedException();

    public static ProbeEncoder Create(TransformerWeights weights, int maxBatch) => throw new NotSupportedException();

    public void EncodePacked(ReadOnlySpan<int> ids, ReadOnlySpan<int> lengths, Span<float> hidden, ReadOnlySpan<int> tokenTypes = default)
    {
        // A session is entered by one call at a time: a second call inside the same instance is what a shared scratch would corrupt.
        if (Interlocked.Increment(ref _inside) > 1)
        {
            Interlocked.Increment(ref recorder.SharedEntries);
        }
        recorder.Passes.Enqueue((Environment.CurrentManagedThreadId, KernelThreads.CurrentThreadCount));
        recorder.OnPass?.Invoke();
        Interlocked.Decrement(ref _inside);
        for (int i = 0; i < ids.Length; i++)
        {
            hidden.Slice(i * Shape.DModel, Shape.DModel).Fill(ids[i]);
        }
    }

    public ITokenEncoder CreateSession(int maxBatch) => new ProbeEncoder(recorder);

    public void Dispose()
    {
    }

    public sealed class Recorder
    {
        public System.Collections.Concurrent.ConcurrentQueue<(int Thread, int KernelThreads)> Passes { get; } = new();

        public Action? OnPass { get; set; }

        /// <summary>Passes that entered an instance another pass was still inside.</summary>
        public int SharedEntries;
    }

    /// <summary>A sentence-transformer over a probe, with the CLS fixture's tokenizer.</summary>
    public static SentenceTransformer<ProbeEncoder> Embedder(Recorder recorder, EncoderModelOptions options) =>
        new(new ProbeEncoder(recorder), BertWordPieceTokenizer.FromDirectory(Fixtures.Directory(Fixtures.Cls)), new SentencePooling(PoolingMode.Mean, false), 32, "probe", options);
}
