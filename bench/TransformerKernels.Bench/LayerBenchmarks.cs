using BenchmarkDotNet.Attributes;

namespace TransformerKernels.Bench;

/// <summary>
/// A whole encoder block of the seed and MiniLM shapes, and its non-GEMM parts alone (attention with softmax, and the
/// two Add &amp; Norms), so their share of a layer's time is measured rather than guessed.
/// </summary>
public unsafe class LayerBenchmarks
{
    [Params("seed d512", "MiniLM d384")]
    public string Model { get; set; } = "";

    [Params(128, 16)]
    public int Length { get; set; }

    [Params(1, 2)]
    public int Threads { get; set; }

    private ModelShape _shape = null!;
    private EncoderLayerWeights _weights = null!;
    private BlockScratch _scratch = null!;
    private NativeBuffer _x = null!, _input = null!;

    [GlobalSetup]
    public void Setup()
    {
        KernelThreads.ThreadCount = Threads;
        _shape = Model.StartsWith("seed", StringComparison.Ordinal) ? SeedTransformer.Shape : MiniLm.Shape;
        _weights = RandomLayers.Encoder(_shape, seed: 1);
        _scratch = new BlockScratch(_shape);
        _x = new NativeBuffer(Length * _shape.DModel);
        _input = new NativeBuffer(Length * _shape.DModel);
        var random = new Random(2);
        for (int i = 0; i < Length * _shape.DModel; i++)
        {
            _input.Pointer[i] = (float)random.NextDouble() - 0.5f;
        }
        // Q·K·V of real inputs, so the attention-only benchmark sees realistic scores.
        EncoderBlock();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _weights.Dispose();
        _scratch.Dispose();
        _x.Dispose();
        _input.Dispose();
    }

    [Benchmark(Baseline = true)]
    public void EncoderBlock()
    {
        Buffer.MemoryCopy(_input.Pointer, _x.Pointer, _x.Length * 4, _x.Length * 4);
        if (_shape == SeedTransformer.Shape)
        {
            SeedTransformer.Kernels.EncoderBlock(_x.Pointer, 1, Length, default, _weights, _scratch);
        }
        else
        {
            MiniLm.Kernels.EncoderBlock(_x.Pointer, 1, Length, default, _weights, _scratch);
        }
    }

    [Benchmark]
    public void AttentionOnly()
    {
        // What the encoder block runs: self-attention of its one sequence, keys transposed per head on the way.
        _scratch.Sequences[0] = 0;
        _scratch.Sequences[1] = Length;
        _scratch.Sequences[2] = Length;
        var args = new SequenceAttentionArguments
        {
            QueryKeyValue = _scratch.QueryKeyValue, Sequences = _scratch.Sequences, Count = 1,
            KeysT = _scratch.KeysT, KeysTStride = _scratch.RowKeysTStride, Output = _scratch.Context,
        };
        if (_shape == SeedTransformer.Shape)
        {
            SeedTransformer.Kernels.Attention.RunSequences(ref args);
        }
        else
        {
            MiniLm.Kernels.Attention.RunSequences(ref args);
        }
    }

    [Benchmark]
    public void TwoAddNorms()
    {
        for (int i = 0; i < 2; i++)
        {
            if (_shape == SeedTransformer.Shape)
            {
                SeedTransformer.Kernels.AddNorm.Run(_x.Pointer, _scratch.Projected, _weights.Norm1.Gamma, _weights.Norm1.Beta, _scratch.Normed, Length);
            }
            else
            {
                MiniLm.Kernels.AddNorm.Run(_x.Pointer, _scratch.Projected, _weights.Norm1.Gamma, _weights.Norm1.Beta, _scratch.Normed, Length);
            }
        }
    }

    /// <summary>Floating-point operations of one encoder block (GEMMs + attention).</summary>
    public long Flops => 2L * Length * _shape.DModel * (4L * _shape.DModel + 2L * _shape.FfnDim) + 4L * Length * Length * _shape.DModel;
}
