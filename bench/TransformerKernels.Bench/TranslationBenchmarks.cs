using BenchmarkDotNet.Attributes;
using TransformerKernels.ChineseEnglish;

namespace TransformerKernels.Bench;

/// <summary>Greedy translation of the seed's sentence with the trained model: encoder once, then one cached decoder step per token.</summary>
public class TranslationBenchmarks
{
    private ChineseEnglishTranslator _model = null!;
    private int[] _source = null!;
    private readonly int[] _target = new int[32];

    /// <summary>Tokens produced per call (including the end token): "I have a cat" + &lt;/s&gt;. Static so the report can read it.</summary>
    public static int TokensPerCall { get; private set; }

    [Params(1)]
    public int Threads { get; set; }

    [Params(WeightPrecision.Fp32, WeightPrecision.Bf16, WeightPrecision.Int8)]
    public WeightPrecision Precision { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        KernelThreads.ThreadCount = Threads;
        string directory = Path.Combine(AppContext.BaseDirectory, "model");
        _model = ChineseEnglishTranslator.Load(Path.Combine(directory, "translator.safetensors"), precision: Precision);
        Vocabulary.Load(directory).TryEncode("我有一只猫", out _source, out _);
        TokensPerCall = _model.Translate(_source, _target, Vocabulary.Start, Vocabulary.End) + 1;
    }

    [GlobalCleanup]
    public void Cleanup() => _model.Dispose();

    [Benchmark]
    public int GreedyTranslate() => _model.Translate(_source, _target, Vocabulary.Start, Vocabulary.End);
}
