using TransformerKernels.Oracle;

namespace TransformerKernels.Tests;

/// <summary>
/// Whole encoder and decoder blocks wired by the generator against the oracle's blocks: post-norm/ReLU (the seed),
/// post-norm/GELU (MiniLM), pre-norm/GELU-tanh with every tail (OddModel); padding in a batch; decoding one token at a
/// time against the cache equals running the whole target at once. Tolerance 1e-5 absolute on LayerNorm-scaled
/// outputs (values of order 1): the largest error measured on the three kernel paths is 2.1e-6 (MiniLM's block at 128
/// tokens), a margin of 4.7×.
/// </summary>
public class BlockTests
{
    private const double Tolerance = 1e-5;

    [Fact]
    public unsafe void SeedEncoderBlockMatchesOracleWithPaddingInABatch()
    {
        ModelShape shape = SeedModel.Shape;
        var oracle = RandomWeights.Encoder(shape, 100);
        using var weights = RandomWeights.Pack(oracle, shape);
        using var scratch = new BlockScratch(shape, maxBatch: 2);
        const int length = 19;
        int[] valid = [19, 11];
        float[] x = TestData.Uniform(2 * length * shape.DModel, 101);
        float[] output = (float[])x.Clone();
        fixed (float* px = output)
        {
            SeedModel.Kernels.EncoderBlock(px, 2, length, valid, weights, scratch);
        }
        for (int b = 0; b < 2; b++)
        {
            float[] item = x[(b * length * shape.DModel)..((b + 1) * length * shape.DModel)];
            float[] expected = Reference.EncoderBlock(item, length, shape, oracle, valid[b]);
            // Padded positions still get computed (as PyTorch's slow path does); compare the real tokens.
            TestData.AssertClose(expected[..(valid[b] * shape.DModel)], output.AsSpan(b * length * shape.DModel), Tolerance, $"seed encoder, sequence {b}");
        }
    }

    [Theory]
    [InlineData(nameof(MiniLmShape), 37)]
    [InlineData(nameof(MiniLmShape), 128)]
    [InlineData(nameof(OddModel), 1)]
    [InlineData(nameof(OddModel), 40)]
    [InlineData(nameof(TinyModel), 9)]
    [InlineData(nameof(RmsNormModel), 1)]
    [InlineData(nameof(RmsNormModel), 20)]
    [InlineData(nameof(SwiGluModel), 1)]
    [InlineData(nameof(SwiGluModel), 17)]
    public unsafe void EncoderBlockMatchesOracle(string model, int length)
    {
        Type type = typeof(BlockTests).Assembly.GetType("TransformerKernels.Tests." + model)!;
        ModelShape shape = (ModelShape)type.GetField("Shape")!.GetValue(null)!;
        var oracle = RandomWeights.Encoder(shape, 200);
        using var weights = RandomWeights.Pack(oracle, shape);
        using var scratch = new BlockScratch(shape);
        float[] x = TestData.Uniform(length * shape.DModel, 201);
        float[] output = (float[])x.Clone();
        var block = type.GetNestedType("Kernels")!.GetMethod("EncoderBlock")!;
        fixed (float* px = output)
        {
            var run = block.CreateDelegate<EncoderBlockCall>();
            run(px, 1, length, default, weights, scratch);
        }
        TestData.AssertClose(Reference.EncoderBlock(x, length, shape, oracle), output, Tolerance, $"{model} encoder block, {length} tokens");
    }

    private unsafe delegate void EncoderBlockCall(float* x, int batch, int length, ReadOnlySpan<int> validLengths, TransformerKernels.EncoderLayerWeights w, BlockScratch s);

    [Fact]
    public unsafe void SeedDecoderBlockMatchesOracleAndStepwiseDecodingEqualsTheFullPass() =>
        CheckDecoder(SeedModel.Shape, (y, length, start, w, cache, s) => SeedModel.Kernels.DecoderBlock(y, length, start, w, cache, s),
            (memory, length, valid, w, cache, s) => SeedModel.Kernels.PrepareCrossAttention(memory, length, valid, w, cache, s), "seed");

    [Fact]
    public unsafe void PreNormDecoderBlockWithTailsMatchesOracle() =>
        CheckDecoder(OddModel.Shape, (y, length, start, w, cache, s) => OddModel.Kernels.DecoderBlock(y, length, start, w, cache, s),
            (memory, length, valid, w, cache, s) => OddModel.Kernels.PrepareCrossAttention(memory, length, valid, w, cache, s), "odd");

    [Fact]
    public unsafe void RmsNormDecoderBlockMatchesOracle() =>
        CheckDecoder(RmsNormModel.Shape, (y, length, start, w, cache, s) => RmsNormModel.Kernels.DecoderBlock(y, length, start, w, cache, s),
            (memory, length, valid, w, cache, s) => RmsNormModel.Kernels.PrepareCrossAttention(memory, length, valid, w, cache, s), "rms");

    [Fact]
    public unsafe void SwiGluDecoderBlockMatchesOracle() =>
        CheckDecoder(SwiGluModel.Shape, (y, length, start, w, cache, s) => SwiGluModel.Kernels.DecoderBlock(y, length, start, w, cache, s),
            (memory, length, valid, w, cache, s) => SwiGluModel.Kernels.PrepareCrossAttention(memory, length, valid, w, cache, s), "swiglu");

    private unsafe delegate void DecoderCall(float* y, int length, int start, TransformerKernels.DecoderLayerWeights w, DecoderLayerCache cache, BlockScratch s);

    private unsafe delegate void PrepareCall(float* memory, int length, int valid, TransformerKernels.DecoderLayerWeights w, DecoderLayerCache cache, BlockScratch s);

    private static unsafe void CheckDecoder(ModelShape shape, DecoderCall decode, PrepareCall prepare, string name)
    {
        var oracle = RandomWeights.Decoder(shape, 300);
        using var weights = RandomWeights.Pack(oracle, shape);
        using var scratch = new BlockScratch(shape);
        using var cache = new DecoderLayerCache(shape);
        const int targetLength = 9, memoryLength = 13, validMemory = 10;
        float[] y = TestData.Uniform(targetLength * shape.DModel, 301);
        float[] memory = TestData.Uniform(memoryLength * shape.DModel, 302);
        float[] expected = Reference.DecoderBlock(y, targetLength, memory, memoryLength, shape, oracle, validMemory);

        float[] full = (float[])y.Clone();
        fixed (float* pm = memory, py = full)
        {
            prepare(pm, memoryLength, validMemory, weights, cache, scratch);
            decode(py, targetLength, 0, weights, cache, scratch);
        }
        TestData.AssertClose(expected, full, Tolerance, $"{name} decoder block, whole target");

        float[] stepwise = (float[])y.Clone();
        fixed (float* py = stepwise)
        {
            for (int position = 0; position < targetLength; position++)
            {
                decode(py + position * shape.DModel, 1, position, weights, cache, scratch);
            }
        }
        TestData.AssertClose(expected, stepwise, Tolerance, $"{name} decoder block, one token at a time");
    }

    [Fact]
    public void SeedDecoderBlockOverSegmentsEqualsEachSequenceAlone() => CheckDecoderSegments<SeedModel>(SeedModel.Shape, "seed");

    [Fact]
    public void PreNormDecoderBlockOverSegmentsEqualsEachSequenceAlone() => CheckDecoderSegments<OddModel>(OddModel.Shape, "odd");

    /// <summary>
    /// Three sequences with their own encoder outputs (different lengths and padding) decoded together, as batched decoding
    /// and batched prefill do: a first call with a segment per sequence of 4, 5 and 1 rows, then single rows and a final
    /// segment of 4. Every row must equal the oracle's whole-sequence pass — a segment attending to another's cache or
    /// encoder output, or rows shifted between segments, fails.
    /// </summary>
    private static unsafe void CheckDecoderSegments<TModel>(ModelShape shape, string name)
    {
        var oracle = RandomWeights.Decoder(shape, 310);
        using var weights = RandomWeights.Pack(oracle, shape);
        using var scratch = new BlockScratch(shape, maxBatch: 2);
        int d = shape.DModel;
        int[] targetLengths = [9, 5, 2], memoryLengths = [13, 7, 13], validMemory = [10, 7, 4];
        var caches = new DecoderLayerCache[3];
        var targets = new float[3][];
        var expected = new float[3][];
        try
        {
            for (int k = 0; k < 3; k++)
            {
                caches[k] = new DecoderLayerCache(shape);
                targets[k] = TestData.Uniform(targetLengths[k] * d, 311 + k);
                float[] memory = TestData.Uniform(memoryLengths[k] * d, 321 + k);
                expected[k] = Reference.DecoderBlock(targets[k], targetLengths[k], memory, memoryLengths[k], shape, oracle, validMemory[k]);
                fixed (float* pm = memory)
                {
                    Prepare<TModel>(pm, memoryLengths[k], validMemory[k], weights, caches[k], scratch);
                }
            }
            // Each call: (sequence, first row, rows) per segment.
            (int Sequence, int Start, int Length)[][] calls =
            [
                [(0, 0, 4), (1, 0, 5), (2, 0, 1)],
                [(2, 1, 1), (0, 4, 1)],
                [(0, 5, 4)],
            ];
            var actual = targets.Select(t => new float[t.Length]).ToArray();
            foreach (var call in calls)
            {
                int rows = call.Sum(c => c.Length);
                var y = new float[rows * d];
                int offset = 0;
                foreach (var (sequence, start, length) in call)
                {
                    Array.Copy(targets[sequence], start * d, y, offset * d, length * d);
                    offset += length;
                }
                int[] starts = [.. call.Select(c => c.Start)], lengths = [.. call.Select(c => c.Length)];
                DecoderLayerCache[] segmentCaches = [.. call.Select(c => caches[c.Sequence])];
                fixed (float* py = y)
                {
                    Decode<TModel>(py, starts, lengths, segmentCaches, weights, scratch);
                }
                offset = 0;
                foreach (var (sequence, start, length) in call)
                {
                    Array.Copy(y, offset * d, actual[sequence], start * d, length * d);
                    offset += length;
                }
            }
            for (int k = 0; k < 3; k++)
            {
                TestData.AssertClose(expected[k], actual[k], Tolerance, $"{name} decoder block over segments, sequence {k}");
            }
        }
        finally
        {
            foreach (DecoderLayerCache? cache in caches)
            {
                cache?.Dispose();
            }
        }
    }

    private static unsafe void Prepare<TModel>(float* memory, int length, int valid, TransformerKernels.DecoderLayerWeights w, DecoderLayerCache cache, BlockScratch s)
    {
        if (typeof(TModel) == typeof(SeedModel)) SeedModel.Kernels.PrepareCrossAttention(memory, length, valid, w, cache, s);
        else OddModel.Kernels.PrepareCrossAttention(memory, length, valid, w, cache, s);
    }

    private static unsafe void Decode<TModel>(float* y, int[] starts, int[] lengths, DecoderLayerCache[] caches, TransformerKernels.DecoderLayerWeights w, BlockScratch s)
    {
        if (typeof(TModel) == typeof(SeedModel)) SeedModel.Kernels.DecoderBlock(y, starts, lengths, caches, w, s);
        else OddModel.Kernels.DecoderBlock(y, starts, lengths, caches, w, s);
    }

    [Fact]
    public unsafe void DecoderSegmentsThatDoNotFitAreRefused()
    {
        ModelShape shape = OddModel.Shape;
        using var weights = RandomWeights.Pack(RandomWeights.Decoder(shape, 330), shape);
        using var scratch = new BlockScratch(shape);
        using var a = new DecoderLayerCache(shape);
        using var b = new DecoderLayerCache(shape);
        var memory = TestData.Uniform(3 * shape.DModel, 331);
        var y = new float[2 * OddModel.MaxSeqLen * shape.DModel];
        fixed (float* pm = memory, py = y)
        {
            float* p = py;
            // Not prepared: no encoder output to attend to.
            Assert.Throws<InvalidOperationException>(() => OddModel.Kernels.DecoderBlock(p, [0], [1], [a], weights, scratch));
            OddModel.Kernels.PrepareCrossAttention(pm, 3, 3, weights, a, scratch);
            OddModel.Kernels.PrepareCrossAttention(pm, 3, 3, weights, b, scratch);
            // Two segments sharing one cache would overwrite each other's keys.
            Assert.Equal("caches", Assert.Throws<ArgumentException>(() => OddModel.Kernels.DecoderBlock(p, [0, 0], [1, 1], [a, a], weights, scratch)).ParamName);
            Assert.Equal("caches", Assert.Throws<ArgumentException>(() => OddModel.Kernels.DecoderBlock(p, [0, 0], [1, 1], [a], weights, scratch)).ParamName);
            Assert.Equal("lengths", Assert.Throws<ArgumentOutOfRangeException>(() => OddModel.Kernels.DecoderBlock(p, [OddModel.MaxSeqLen - 1], [2], [a], weights, scratch)).ParamName);
            Assert.Equal("lengths", Assert.Throws<ArgumentOutOfRangeException>(() => OddModel.Kernels.DecoderBlock(p, [0, 0], [0, 1], [a, b], weights, scratch)).ParamName);
            Assert.Equal("lengths", Assert.Throws<ArgumentOutOfRangeException>(() => OddModel.Kernels.DecoderBlock(p, [0, 0], [OddModel.MaxSeqLen, 1], [a, b], weights, scratch)).ParamName);
        }
    }

    [Fact]
    public unsafe void BlocksRejectShapesThatDoNotFit()
    {
        ModelShape shape = TinyModel.Shape;
        using var weights = RandomWeights.Pack(RandomWeights.Encoder(shape, 400), shape);
        using var scratch = new BlockScratch(shape);
        var x = new float[4 * TinyModel.MaxSeqLen * shape.DModel];
        fixed (float* px = x)
        {
            float* p = px;
            Assert.Equal("length", Assert.Throws<ArgumentOutOfRangeException>(() => TinyModel.Kernels.EncoderBlock(p, 1, TinyModel.MaxSeqLen + 1, default, weights, scratch)).ParamName);
            Assert.Equal("batch", Assert.Throws<ArgumentOutOfRangeException>(() => TinyModel.Kernels.EncoderBlock(p, 2, 5, default, weights, scratch)).ParamName);
            Assert.Equal("validLengths", Assert.Throws<ArgumentOutOfRangeException>(() => TinyModel.Kernels.EncoderBlock(p, 1, 5, [6], weights, scratch)).ParamName);
            Assert.Equal("validLengths", Assert.Throws<ArgumentException>(() => TinyModel.Kernels.EncoderBlock(p, 1, 5, [1, 2], weights, scratch)).ParamName);
            // A decoder-only shape's scratch has no room for an encoder batch's transposed keys (rows enough, though).
            using var decoderScratch = new BlockScratch(PartialRotaryModel.Shape);
            Assert.Equal("scratch", Assert.Throws<ArgumentException>(() => TinyModel.Kernels.EncoderBlock(p, 1, 5, default, weights, decoderScratch)).ParamName);
            Assert.Equal("scratch", Assert.Throws<ArgumentException>(() => TinyModel.Kernels.EncoderBlockPacked(p, [2, 3], weights, decoderScratch)).ParamName);
        }
    }
}
