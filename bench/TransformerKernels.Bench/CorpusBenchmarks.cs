using BenchmarkDotNet.Attributes;
using Microsoft.ML.OnnxRuntime;
using TransformerKernels.MiniLM;

namespace TransformerKernels.Bench;

/// <summary>
/// Throughput over many texts of natural lengths (bench/corpus/fortunes.txt: 821 Debian fortunes, 2–425 words): the
/// embedder's packed batches (rows back to back, no padding) against batches of 32 padded to their longest text, ours
/// and ONNX Runtime's (with the real attention mask), in corpus order and sorted by length (padding's best case: ONNX
/// Runtime at its best). One operation embeds the whole corpus — tokenization and pooling included for ours, token ids
/// prepared once for the padded runs — so sentences/s = 821 / time. The int8 pair: our embedder with int8 weights, packed,
/// against ONNX Runtime's int8 graph (MiniLmBenchmarks' dynamic quantization of the same model.onnx) on sorted padded
/// batches — what each side offers a user who picks speed over the last digits.
/// </summary>
[WarmupCount(1)]
[IterationCount(3)]
[InvocationCount(1)]
public class CorpusBenchmarks
{
    /// <summary>Texts per padded batch (ours and ONNX Runtime's).</summary>
    public const int PaddedBatch = 32;

    [Params(1, 2)]
    public int Threads { get; set; }

    private string[] _texts = [];
    private SentenceEmbedder _embedder = null!, _embedderInt8 = null!;
    private InferenceSession _session = null!, _sessionInt8 = null!;
    private List<(int[] Ids, int[] Lengths, int Length)> _batches = [], _sortedBatches = [];
    private List<OrtValue[]> _ortInputs = [], _sortedOrtInputs = [];
    private float[] _hidden = [];

    /// <summary>Texts in one operation, for sentences/s: the corpus, or its first 64 in quick mode (a smoke run in CI).</summary>
    public static int CorpusSize => Corpus().Length;

    private static string[] Corpus()
    {
        string[] texts = [.. File.ReadAllLines(CorpusPath).Where(l => l.Length > 0)];
        return Program.Quick ? texts[..64] : texts;
    }

    private static string CorpusPath => Path.Combine(PeerSections.BenchDirectory, "corpus", "fortunes.txt");

    [GlobalSetup]
    public void Setup()
    {
        KernelThreads.ThreadCount = Threads;
        _texts = Corpus();
        _embedder = new SentenceEmbedder(maxBatch: PaddedBatch);
        _embedderInt8 = new SentenceEmbedder(maxBatch: PaddedBatch, precision: WeightPrecision.Int8);
        _hidden = new float[PaddedBatch * AllMiniLmL6V2.MaxSeqLen * SentenceEmbedder.Dimensions];
        int[][] tokens = [.. _texts.Select(_embedder.Tokenize)];
        _batches = Batches(tokens);
        _sortedBatches = Batches([.. tokens.OrderBy(t => t.Length)]);
        var options = new SessionOptions { IntraOpNumThreads = Threads, InterOpNumThreads = 1, ExecutionMode = ExecutionMode.ORT_SEQUENTIAL, GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        (byte[] onnx, byte[] onnxInt8) = MiniLmBenchmarks.OnnxGraphs.Value;
        _session = new InferenceSession(onnx, options);
        _sessionInt8 = new InferenceSession(onnxInt8, options);
        _ortInputs = OrtInputs(_batches);
        _sortedOrtInputs = OrtInputs(_sortedBatches);
    }

    /// <summary>Batches of 32 sequences padded ([PAD] = 0) to their longest.</summary>
    private static List<(int[] Ids, int[] Lengths, int Length)> Batches(int[][] tokens) => [.. tokens.Chunk(PaddedBatch).Select(chunk =>
    {
        int length = chunk.Max(t => t.Length);
        var ids = new int[chunk.Length * length];
        for (int b = 0; b < chunk.Length; b++)
        {
            chunk[b].CopyTo(ids, b * length);
        }
        return (ids, chunk.Select(t => t.Length).ToArray(), length);
    })];

    /// <summary>ONNX Runtime's inputs for each padded batch: ids, the attention mask of its real tokens, token types.</summary>
    private static List<OrtValue[]> OrtInputs(List<(int[] Ids, int[] Lengths, int Length)> batches) => [.. batches.Select(batch =>
    {
        long[] shape = [batch.Lengths.Length, batch.Length];
        var mask = new long[batch.Ids.Length];
        for (int b = 0; b < batch.Lengths.Length; b++)
        {
            mask.AsSpan(b * batch.Length, batch.Lengths[b]).Fill(1);
        }
        return new[]
        {
            OrtValue.CreateTensorValueFromMemory(batch.Ids.Select(i => (long)i).ToArray(), shape),
            OrtValue.CreateTensorValueFromMemory(mask, shape),
            OrtValue.CreateTensorValueFromMemory(new long[batch.Ids.Length], shape),
        };
    })];

    [GlobalCleanup]
    public void Cleanup()
    {
        _embedder.Dispose();
        _embedderInt8.Dispose();
        _session.Dispose();
        _sessionInt8.Dispose();
        foreach (OrtValue value in _ortInputs.Concat(_sortedOrtInputs).SelectMany(v => v))
        {
            value.Dispose();
        }
    }

    /// <summary>The embedder as users call it: tokenize, pack by token budget, encode, pool.</summary>
    [Benchmark]
    public float[][] Packed() => _embedder.Embed(_texts);

    /// <summary>Our encoder on batches of 32 padded to their longest text, in corpus order (the layout before packing).</summary>
    [Benchmark]
    public void Padded() => RunPadded(_batches);

    /// <summary>The same, the texts sorted by length first: padding's best case.</summary>
    [Benchmark]
    public void PaddedSorted() => RunPadded(_sortedBatches);

    /// <summary>ONNX Runtime on the padded batches in corpus order, with the real attention mask.</summary>
    [Benchmark]
    public void OnnxRuntimePadded() => RunOnnxRuntime(_session, _ortInputs);

    /// <summary>ONNX Runtime at its best: batches of texts sorted by length.</summary>
    [Benchmark(Baseline = true)]
    public void OnnxRuntimePaddedSorted() => RunOnnxRuntime(_session, _sortedOrtInputs);

    /// <summary>The embedder with int8 weights, packed.</summary>
    [Benchmark]
    public float[][] PackedInt8() => _embedderInt8.Embed(_texts);

    /// <summary>ONNX Runtime's int8 graph at its best: batches of texts sorted by length.</summary>
    [Benchmark]
    public void OnnxRuntimeInt8PaddedSorted() => RunOnnxRuntime(_sessionInt8, _sortedOrtInputs);

    private void RunPadded(List<(int[] Ids, int[] Lengths, int Length)> batches)
    {
        foreach ((int[] ids, int[] lengths, int length) in batches)
        {
            _embedder.Model.Encode(ids, lengths.Length, length, lengths, _hidden);
        }
    }

    private static void RunOnnxRuntime(InferenceSession session, List<OrtValue[]> batches)
    {
        string[] names = ["input_ids", "attention_mask", "token_type_ids"];
        using var options = new RunOptions();
        foreach (OrtValue[] inputs in batches)
        {
            using IDisposableReadOnlyCollection<OrtValue> results = session.Run(options, names, inputs, ["last_hidden_state"]);
        }
    }
}
