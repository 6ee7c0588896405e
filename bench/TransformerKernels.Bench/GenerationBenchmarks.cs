using BenchmarkDotNet.Attributes;
using System.Runtime.Intrinsics;

namespace TransformerKernels.Bench;

/// <summary>
/// Decoder-only generation on <see cref="BenchLlama"/> (random weights): a prefill of 128 prompt tokens (reported as % of
/// the FMA peak), a decoding step of 1 and of 8 sequences at position 128 (against the time it takes to stream the
/// model's weights at the memory bandwidth <see cref="StreamWeights"/> measures in the same run), and the stream itself.
/// </summary>
public class GenerationBenchmarks
{
    /// <summary>Prompt tokens of the prefill row and the position of the decoding steps.</summary>
    public const int PromptLength = 128;

    [Params(1, 2)]
    public int Threads { get; set; }

    private string _path = "";
    private BenchLlama _model = null!;
    private int[] _prompt = [], _prompts = [], _lengths = [], _slots = [], _tokens = [], _positions = [];
    private NativeBuffer _stream = null!; // allocated as the weights are (huge pages where the OS grants them), so both streams see the same page size

    /// <summary>Bytes of the FP32 weights a decoding step reads: every linear layer and the output projection.</summary>
    public static long WeightBytes
    {
        get
        {
            long d = BenchLlama.DModel, kv = BenchLlama.KvDModel, f = BenchLlama.FfnDim, layers = BenchLlama.DecoderLayers;
            return 4 * (layers * (d * (d + 2 * kv) + d * d + d * 2 * f + f * d) + (long)BenchLlama.DecoderVocab * d);
        }
    }

    /// <summary>Floating-point operations of a prefill of <see cref="PromptLength"/> tokens: the GEMMs and the causal attention.</summary>
    public static double PrefillFlops
    {
        get
        {
            double n = PromptLength, d = BenchLlama.DModel;
            double linear = (WeightBytes / 4 - (double)BenchLlama.DecoderVocab * d) * 2 * n + 2 * d * BenchLlama.DecoderVocab; // LM head: last row only
            double attention = BenchLlama.DecoderLayers * 2 * 2 * d * n * (n + 1) / 2;
            return linear + attention;
        }
    }

    /// <summary>Bytes <see cref="StreamWeights"/> reads: 256 MB, far beyond the caches.</summary>
    public const long StreamBytes = 256L << 20;

    [GlobalSetup]
    public void Setup()
    {
        KernelThreads.ThreadCount = Threads;
        _path = Path.Combine(Path.GetTempPath(), $"tk-bench-llama-{Environment.ProcessId}.safetensors");
        var random = new Random(1);
        float[] Uniform(long count, double scale) => [.. Enumerable.Range(0, (int)count).Select(_ => (float)((random.NextDouble() * 2 - 1) * scale))];
        int d = BenchLlama.DModel, kv = BenchLlama.KvDModel, f = BenchLlama.FfnDim, vocab = BenchLlama.DecoderVocab;
        var tensors = new List<(string, long[], float[])>
        {
            ("model.embed_tokens.weight", [vocab, d], Uniform((long)vocab * d, 1)),
            ("model.norm.weight", [d], [.. Enumerable.Repeat(1f, d)]),
            ("lm_head.weight", [vocab, d], Uniform((long)vocab * d, 1 / Math.Sqrt(d))),
        };
        for (int i = 0; i < BenchLlama.DecoderLayers; i++)
        {
            string p = $"model.layers.{i}.";
            tensors.Add((p + "self_attn.q_proj.weight", [d, d], Uniform((long)d * d, 1 / Math.Sqrt(d))));
            tensors.Add((p + "self_attn.k_proj.weight", [kv, d], Uniform((long)kv * d, 1 / Math.Sqrt(d))));
            tensors.Add((p + "self_attn.v_proj.weight", [kv, d], Uniform((long)kv * d, 1 / Math.Sqrt(d))));
            tensors.Add((p + "self_attn.o_proj.weight", [d, d], Uniform((long)d * d, 1 / Math.Sqrt(d))));
            tensors.Add((p + "mlp.gate_proj.weight", [f, d], Uniform((long)f * d, 1 / Math.Sqrt(d))));
            tensors.Add((p + "mlp.up_proj.weight", [f, d], Uniform((long)f * d, 1 / Math.Sqrt(d))));
            tensors.Add((p + "mlp.down_proj.weight", [d, f], Uniform((long)d * f, 1 / Math.Sqrt(f))));
            tensors.Add((p + "input_layernorm.weight", [d], [.. Enumerable.Repeat(1f, d)]));
            tensors.Add((p + "post_attention_layernorm.weight", [d], [.. Enumerable.Repeat(1f, d)]));
        }
        SafeTensorsWriter.Write(_path, tensors);
        _model = BenchLlama.Load(_path, WeightNaming.Llama, maxBatch: 8);
        _prompt = [.. Enumerable.Range(0, PromptLength).Select(i => (i * 37 + 11) % vocab)];
        // Eight prompts prefilled into slots 0..7, so the steps attend over 128 cached positions.
        _prompts = [.. Enumerable.Range(0, 8).SelectMany(_ => _prompt)];
        _lengths = [.. Enumerable.Repeat(PromptLength, 8)];
        _model.Prefill(_prompts, _lengths);
        _slots = [.. Enumerable.Range(0, 8)];
        _tokens = [.. Enumerable.Range(0, 8).Select(k => k + 5)];
        _positions = [.. Enumerable.Repeat(PromptLength, 8)];
        _stream = new NativeBuffer(StreamBytes / 4, zeroed: false);
        Span<float> stream = _stream.Span;
        new Random(2).NextBytes(System.Runtime.InteropServices.MemoryMarshal.AsBytes(stream));
        for (int i = 0; i < stream.Length; i++)
        {
            stream[i] = float.IsFinite(stream[i]) ? stream[i] : 0f;
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _model.Dispose();
        _stream.Dispose();
        File.Delete(_path);
    }

    /// <summary>One prompt of 128 tokens through the model into slot 0 (the GEMM rows are the prompt's tokens).</summary>
    [Benchmark]
    public float Prefill128() => _model.Prefill(_prompt, [PromptLength])[0];

    /// <summary>One decoding step of one sequence at position 128 (rewrites that position of its cache each time).</summary>
    [Benchmark]
    public float DecodeStepBatch1() => _model.Step(_slots.AsSpan(0, 1), _tokens.AsSpan(0, 1), _positions.AsSpan(0, 1))[0];

    /// <summary>One decoding step of eight sequences at position 128: one pass over the weights for all eight.</summary>
    [Benchmark]
    public float DecodeStepBatch8() => _model.Step(_slots, _tokens, _positions)[0];

    /// <summary>Reads 256 MB with 512-bit loads on one thread: the memory bandwidth a decoding step's weight stream gets.</summary>
    [Benchmark]
    public unsafe float StreamWeights()
    {
        var a = Vector512<float>.Zero;
        var b = Vector512<float>.Zero;
        float* p = _stream.Pointer;
        for (long i = 0; i < _stream.Length; i += 32)
        {
            a += Vector512.Load(p + i);
            b += Vector512.Load(p + i + 16);
        }
        return Vector512.Sum(a + b);
    }
}
