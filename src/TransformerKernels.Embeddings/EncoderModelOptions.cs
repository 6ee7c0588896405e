namespace TransformerKernels.Embeddings;

/// <summary>How an embedder or reranker loads and runs its encoder.</summary>
public sealed class EncoderModelOptions
{
    private int _maxBatch = 8, _maxConcurrentCalls = 1;
    private int? _threadCount, _maxSequenceLength;

    /// <summary>Longest texts (of MaxSeqLen tokens) one forward pass holds; shorter texts are packed, so a pass holds maxBatch × MaxSeqLen tokens. Default 8.</summary>
    public int MaxBatch
    {
        get => _maxBatch;
        set => _maxBatch = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(MaxBatch), value, "At least 1.");
    }

    /// <summary>How the linear layers are stored: FP32 (default, matches the reference within 1e-4), BF16 or int8.</summary>
    public WeightPrecision Precision { get; set; } = WeightPrecision.Fp32;

    /// <summary>
    /// Threads this instance's forward passes use, the calling worker included (null: <see cref="KernelThreads.ThreadCount"/>,
    /// the process default). Per instance: an embedder on 1 thread and a reranker on 2 can share a process.
    /// </summary>
    public int? ThreadCount
    {
        get => _threadCount;
        set => _threadCount = value is null or (>= 1 and <= KernelThreads.MaxThreadCount) ? value
            : throw new ArgumentOutOfRangeException(nameof(ThreadCount), value, $"1..{KernelThreads.MaxThreadCount}, or null for the process default.");
    }

    /// <summary>
    /// Calls computed at the same time, each in a session of its own (scratch for MaxBatch × MaxSeqLen tokens; the weights are
    /// shared). Further calls wait, asynchronously. Default 1.
    /// </summary>
    public int MaxConcurrentCalls
    {
        get => _maxConcurrentCalls;
        set => _maxConcurrentCalls = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(MaxConcurrentCalls), value, "At least 1.");
    }

    /// <summary>Truncation length in tokens, [CLS] and [SEP] included (null: what the directory says; at most the declared MaxSeqLen).</summary>
    public int? MaxSequenceLength
    {
        get => _maxSequenceLength;
        set => _maxSequenceLength = value is null or >= 3 ? value : throw new ArgumentOutOfRangeException(nameof(MaxSequenceLength), value, "At least 3 ([CLS], a token, [SEP]), or null.");
    }

    /// <summary>
    /// Refuse EMPTY texts — no tokens besides [CLS] and [SEP] ("", blanks, only characters BERT's clean-up removes) — by
    /// index, before anything is computed, instead of embedding them as [CLS] [SEP] as sentence-transformers does (every
    /// such text would get the same vector). Default false.
    /// </summary>
    public bool RejectEmptyTexts { get; set; }

    /// <summary>The model id reported in metadata and on every embedding (null: the directory's name).</summary>
    public string? ModelId { get; set; }
}
