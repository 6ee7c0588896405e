using TransformerKernels.Oracle;

namespace TransformerKernels.Tests;

/// <summary>
/// Rotary positions are applied inside attention (keys as TransposeKeys copies them into the cache, queries as the kernel
/// reads them), so they are checked there: un-rotated Q, K, V in, against rotate-half RoPE computed here in double from its
/// definition, followed by the oracle's attention per head. Tolerance 1e-6 as for <see cref="AttentionTests"/> (unit-scale
/// inputs; float angles from a double table differ from the double ones by ~1e-7 relative).
/// </summary>
public class RotaryAttentionTests
{
    private const double Tolerance = 1e-6;

    public static TheoryData<string, int, int> Cases() => new()
    {
        // model, queries, first query position (the keys are positions 0 … first + queries − 1)
        { nameof(PartialRotaryModel), 1, 0 },
        { nameof(PartialRotaryModel), 6, 0 },
        { nameof(PartialRotaryModel), 1, 33 },
        { nameof(PartialRotaryModel), 4, 36 }, // up to MaxSeqLen
        { nameof(FixtureLlama), 5, 7 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public unsafe void QueriesAndKeysRotateByTheirPositions(string model, int queries, int start)
    {
        Type type = typeof(RotaryAttentionTests).Assembly.GetType("TransformerKernels.Tests." + model)!;
        var kernels = type.GetNestedType("Kernels")!;
        Type attention = kernels.GetNestedType("Attention")!, rotary = kernels.GetNestedType("Rotary")!;
        int d = TestData.Constant(type, "DModel"), heads = TestData.Constant(type, "Heads"), kvHeads = TestData.Constant(type, "KvHeads");
        int headDim = d / heads, kvD = kvHeads * headDim, rotated = TestData.Constant(rotary, "Dimensions");
        double theta = ((ModelShape)type.GetField("Shape")!.GetValue(null)!).RotaryTheta;
        int keys = start + queries, padded = (keys + 15) / 16 * 16;
        float[] q = TestData.Uniform(queries * d, 41), k = TestData.Uniform(keys * kvD, 42), v = TestData.Uniform(keys * kvD, 43);
        var keysT = new float[kvHeads * headDim * padded];
        var scores = new float[heads * padded];
        var output = new float[queries * d];
        fixed (float* pq = q, pk = k, pv = v, pkt = keysT, ps = scores, po = output)
        {
            // The keys join the cache in two calls, as a prefill and a later step would add them.
            int first = keys / 2;
            foreach ((int from, int count) in new[] { (0, first), (first, keys - first) })
            {
                attention.GetMethod("TransposeKeys")!.Invoke(null, [System.Reflection.Pointer.Box(pk + from * kvD, typeof(float*)), kvD, count, kvHeads,
                    System.Reflection.Pointer.Box(pkt, typeof(float*)), headDim * padded, padded, from]);
            }
            object[] parameters =
            [
                new AttentionArguments
                {
                    Query = pq, QueryStride = d, KeysT = pkt, KeysTHeadStride = headDim * padded, KeysTStride = padded, Values = pv, ValueStride = kvD,
                    Output = po, OutputStride = d, QueryCount = queries, KeyCount = keys, CausalOffset = start, Scores = ps, ScoresStride = padded,
                },
            ];
            attention.GetMethod("Run")!.Invoke(null, parameters);
        }

        float[] rq = Rotate(q, queries, d, headDim, rotated, theta, start);
        float[] rk = Rotate(k, keys, kvD, headDim, rotated, theta, 0);
        var expected = new float[queries * d];
        for (int h = 0; h < heads; h++)
        {
            int kv = h / (heads / kvHeads);
            float[] head = Reference.ScaledDotProductAttention(
                Reference.Columns(rq, queries, d, h * headDim, headDim), Reference.Columns(rk, keys, kvD, kv * headDim, headDim),
                Reference.Columns(v, keys, kvD, kv * headDim, headDim), queries, keys, headDim, (i, j) => j <= start + i);
            for (int i = 0; i < queries; i++)
            {
                Array.Copy(head, i * headDim, expected, i * d + h * headDim, headDim);
            }
        }
        TestData.AssertClose(expected, output, Tolerance, $"{model} rotary attention q={queries} start={start} on {KernelPaths.Active}");
    }

    [Fact]
    public unsafe void PositionsBeyondTheTableAreRefused()
    {
        var buffer = new float[PartialRotaryModel.MaxSeqLen * PartialRotaryModel.DModel];
        fixed (float* p = buffer)
        {
            float* pointer = p;
            var e = Assert.Throws<ArgumentOutOfRangeException>(() => PartialRotaryModel.Kernels.Attention.TransposeKeys(pointer, PartialRotaryModel.KvDModel, 2, 2, pointer, 48 * 48, 48, PartialRotaryModel.MaxSeqLen - 1));
            Assert.Equal("firstPosition", e.ParamName);
            var args = new AttentionArguments { Query = pointer, QueryStride = 192, KeysT = pointer, KeysTStride = 48, KeysTHeadStride = 48 * 48, Values = pointer, Output = pointer, QueryCount = 1, KeyCount = 1, CausalOffset = -1, Scores = pointer, ScoresStride = 48 };
            Assert.Throws<ArgumentOutOfRangeException>(() => PartialRotaryModel.Kernels.Attention.Run(ref args));
        }
    }

    /// <summary>Rotate-half RoPE from its definition: in each head, (x_i, x_{i+r/2}) turns by p·θ^(−2i/r) at position p; dimensions ≥ r stay.</summary>
    private static float[] Rotate(float[] x, int rows, int width, int headDim, int r, double theta, int firstPosition)
    {
        var y = (float[])x.Clone();
        for (int row = 0; row < rows; row++)
        {
            for (int head = 0; head < width / headDim; head++)
            {
                int at = row * width + head * headDim;
                for (int i = 0; i < r / 2; i++)
                {
                    double angle = (firstPosition + row) * Math.Pow(theta, -2.0 * i / r);
                    double x1 = x[at + i], x2 = x[at + i + r / 2];
                    y[at + i] = (float)(x1 * Math.Cos(angle) - x2 * Math.Sin(angle));
                    y[at + i + r / 2] = (float)(x2 * Math.Cos(angle) + x1 * Math.Sin(angle));
                }
            }
        }
        return y;
    }
}
