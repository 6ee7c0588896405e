using System.Runtime.Intrinsics;

namespace TransformerKernels;

/// <summary>The final softmax over a vocabulary row, and the argmax greedy decoding needs.</summary>
public static class RowSoftmax
{
    /// <summary>In place: x ← x − max − log Σ exp(x − max), i.e. log-probabilities; stable for any finite logits.</summary>
    public static void LogSoftmax(Span<float> row)
    {
        float max = Max(row);
        float logSum = MathF.Log(SumExp(row, max));
        for (int i = 0; i < row.Length; i++)
        {
            row[i] = row[i] - max - logSum;
        }
    }

    /// <summary>In place: x ← exp(x − max) / Σ exp(x − max), probabilities summing to 1.</summary>
    public static void Softmax(Span<float> row)
    {
        float max = Max(row);
        float inverse = 1f / SumExp(row, max);
        for (int i = 0; i < row.Length; i++)
        {
            row[i] = VectorMath.Exp(row[i] - max) * inverse;
        }
    }

    /// <summary>Index of the largest value (the first one on ties).</summary>
    public static int ArgMax(ReadOnlySpan<float> row)
    {
        int best = 0;
        for (int i = 1; i < row.Length; i++)
        {
            if (row[i] > row[best])
            {
                best = i;
            }
        }
        return best;
    }

    private static float Max(ReadOnlySpan<float> row)
    {
        float max = float.NegativeInfinity;
        foreach (float v in row)
        {
            max = MathF.Max(max, v);
        }
        return max;
    }

    private static float SumExp(ReadOnlySpan<float> row, float max)
    {
        int i = 0;
        float sum = 0f;
        if (KernelPaths.Active == KernelPath.Avx512)
        {
            Vector512<float> sums = Vector512<float>.Zero, shift = Vector512.Create(max);
            for (; i + 16 <= row.Length; i += 16)
            {
                sums += VectorMath.Exp(Vector512.Create(row.Slice(i, 16)) - shift);
            }
            sum = HorizontalMath.Sum(sums);
        }
        else if (KernelPaths.Active == KernelPath.Avx2)
        {
            Vector256<float> sums = Vector256<float>.Zero, shift = Vector256.Create(max);
            for (; i + 8 <= row.Length; i += 8)
            {
                sums += VectorMath.Exp(Vector256.Create(row.Slice(i, 8)) - shift);
            }
            sum = HorizontalMath.Sum(sums);
        }
        for (; i < row.Length; i++)
        {
            sum += VectorMath.Exp(row[i] - max);
        }
        return sum;
    }
}
