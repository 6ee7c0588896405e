using BenchmarkDotNet.Attributes;
using TransformerKernels.ChineseEnglish;

namespace TransformerKernels.Bench;

/// <summary>
/// Translating the 1,000 held-out sentences (model/heldout.tsv) one at a time against <see cref="ChineseEnglishTranslator.TranslateBatch"/>
/// in batches of <see cref="SentenceTranslator.DefaultBatch"/>, greedy and with 4 beams. One operation translates them all
/// (ids prepared once), so sentences/s = count / time; the one-at-a-time run is the baseline of the same run.
/// </summary>
[WarmupCount(1)]
[IterationCount(5)]
[InvocationCount(1)]
public class TranslationBatchBenchmarks
{
    [Params(1, 2)]
    public int Threads { get; set; }

    [Params(1, 4)]
    public int Beam { get; set; }

    private ChineseEnglishTranslator _model = null!;
    private int[][] _sources = [];
    private int[] _packed = [], _lengths = [], _targets = [], _targetLengths = [];

    /// <summary>Sentences in one operation: the held-out set, or its first 64 in quick mode (a smoke run in CI).</summary>
    public static int SentenceCount => Sentences().Length;

    private static string[] Sentences()
    {
        string[] sentences = [.. File.ReadAllLines(Path.Combine(TranslatorFiles.DefaultDirectory, TranslatorFiles.HeldOutFileName))
            .Where(l => l.Contains('\t')).Select(l => l.Split('\t')[0])];
        return Program.Quick ? sentences[..64] : sentences;
    }

    [GlobalSetup]
    public void Setup()
    {
        KernelThreads.ThreadCount = Threads;
        _model = ChineseEnglishTranslator.Load(Path.Combine(TranslatorFiles.DefaultDirectory, TranslatorFiles.WeightsFileName), maxBatch: SentenceTranslator.DefaultBatch);
        var vocabulary = Vocabulary.Load(TranslatorFiles.DefaultDirectory);
        _sources = [.. Sentences().Select(s => vocabulary.TryEncode(s, out int[] ids, out _) ? ids : throw new InvalidDataException($"untranslatable held-out sentence {s}"))];
        _packed = [.. _sources.SelectMany(s => s)];
        _lengths = [.. _sources.Select(s => s.Length)];
        _targets = new int[_sources.Length * ChineseEnglishTranslator.MaxSeqLen];
        _targetLengths = new int[_sources.Length];
    }

    [GlobalCleanup]
    public void Cleanup() => _model.Dispose();

    [Benchmark(Baseline = true)]
    public int OneAtATime()
    {
        int tokens = 0;
        foreach (int[] source in _sources)
        {
            tokens += _model.Translate(source, _targets, Vocabulary.Start, Vocabulary.End, Beam);
        }
        return tokens;
    }

    [Benchmark]
    public int Batched()
    {
        _model.TranslateBatch(_packed, _lengths, _targets, _targetLengths, Vocabulary.Start, Vocabulary.End, Beam);
        return _targetLengths[0];
    }
}
