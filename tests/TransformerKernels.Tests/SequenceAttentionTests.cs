using TransformerKernels.Oracle;

namespace TransformerKernels.Tests;

/// <summary>
/// Self-attention over an encoder batch in one job of (sequence, head) pairs (<c>Attention.RunSequences</c>, which the
/// packed and padded encoder blocks call) against the oracle's per-head attention, sequence by sequence: lengths 1, 15, 16
/// and 17 around the 16-key blocks, MaxSeqLen, padded sequences whose last rows are no keys, and a transposed-key buffer
/// filled with NaN beforehand — a column that a pair reads without having written it and without masking it would turn
/// its output into NaN. Tolerance 1e-6 as in <see cref="AttentionTests"/> (same per-head kernel).
/// </summary>
public class SequenceAttentionTests
{
    private delegate void RunSequences(ref SequenceAttentionArguments args);

    private static (ModelShape Shape, RunSequences Run) Model(string name) => name switch
    {
        nameof(MiniLmShape) => (MiniLmShape.Shape, MiniLmShape.Kernels.Attention.RunSequences),
        nameof(OddModel) => (OddModel.Shape, OddModel.Kernels.Attention.RunSequences),
        nameof(TinyModel) => (TinyModel.Shape, TinyModel.Kernels.Attention.RunSequences),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    public static TheoryData<string, int[], int[]> Cases() => new()
    {
        // model, query rows per sequence, key rows per sequence (fewer: padding)
        { nameof(MiniLmShape), [1, 17, 16, 15, 128, 2, 33, 1], [1, 17, 16, 15, 128, 2, 33, 1] },
        { nameof(MiniLmShape), [40, 40, 40], [40, 9, 1] },
        { nameof(OddModel), [3, 40, 1, 17, 16], [3, 40, 1, 17, 16] },
        { nameof(OddModel), [20, 20], [13, 20] },
        { nameof(TinyModel), [9, 1, 4, 9], [9, 1, 4, 2] },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public unsafe void EachSequenceAttendsToItsOwnKeysOnly(string model, int[] queries, int[] keys)
    {
        (ModelShape shape, RunSequences run) = Model(model);
        int d = shape.DModel, heads = shape.Heads, headDim = d / heads, width = shape.QkvWidth, rows = queries.Sum();
        float[] qkv = TestData.Uniform(rows * width, 31);
        using var scratch = new BlockScratch(shape, maxBatch: queries.Length);
        new Span<float>(scratch.KeysT, d * scratch.RowKeysTStride).Fill(float.NaN);
        var output = new float[rows * d];
        var starts = new int[queries.Length];
        for (int b = 0, first = 0; b < queries.Length; first += queries[b], b++)
        {
            starts[b] = first;
            scratch.Sequences[3 * b] = first;
            scratch.Sequences[3 * b + 1] = queries[b];
            scratch.Sequences[3 * b + 2] = keys[b];
        }
        fixed (float* pqkv = qkv, po = output)
        {
            var args = new SequenceAttentionArguments
            {
                QueryKeyValue = pqkv, Sequences = scratch.Sequences, Count = queries.Length,
                KeysT = scratch.KeysT, KeysTStride = scratch.RowKeysTStride, Output = po,
            };
            run(ref args);
        }

        for (int b = 0; b < queries.Length; b++)
        {
            float[] rowsOf(int row0, int count, int column) =>
                Reference.Columns(qkv.AsSpan(row0 * width, count * width).ToArray(), count, width, column, headDim);
            var expected = new float[queries[b] * d];
            for (int h = 0; h < heads; h++)
            {
                float[] head = Reference.ScaledDotProductAttention(
                    rowsOf(starts[b], queries[b], h * headDim), rowsOf(starts[b], keys[b], d + h * headDim),
                    rowsOf(starts[b], keys[b], d + shape.KvDModel + h * headDim), queries[b], keys[b], headDim);
                for (int i = 0; i < queries[b]; i++)
                {
                    Array.Copy(head, i * headDim, expected, i * d + h * headDim, headDim);
                }
            }
            TestData.AssertClose(expected, output.AsSpan(starts[b] * d, queries[b] * d), Tolerance,
                $"{model} sequence {b} of {queries.Length} ({queries[b]} queries, {keys[b]} keys) on {KernelPaths.Active}, {KernelThreads.ThreadCount} threads");
        }
    }

    private const double Tolerance = 1e-6;
}
