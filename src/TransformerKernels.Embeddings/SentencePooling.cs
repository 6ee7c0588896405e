using System.Numerics.Tensors;

namespace TransformerKernels.Embeddings;

/// <summary>How a sentence-transformers <c>Pooling</c> module turns a text's token vectors into one vector.</summary>
public enum PoolingMode
{
    /// <summary><c>pooling_mode_cls_token</c>: the first ([CLS]) token's vector.</summary>
    Cls,

    /// <summary><c>pooling_mode_mean_tokens</c>: the mean over the text's real tokens ([CLS] and [SEP] included).</summary>
    Mean,

    /// <summary><c>pooling_mode_max_tokens</c>: the element-wise maximum over the text's real tokens.</summary>
    Max,
}

/// <summary>
/// The pooling of a sentence-transformers model and whether a <c>Normalize</c> module follows it: one vector per text from
/// the hidden states of its tokens (only real tokens: texts are packed, never padded).
/// </summary>
/// <param name="Mode">Which pooling.</param>
/// <param name="Normalize">Whether the vector is then L2-normalized (sentence-transformers' Normalize module, ε 1e-12).</param>
public sealed record SentencePooling(PoolingMode Mode, bool Normalize)
{
    /// <summary>Pools <paramref name="tokens"/> rows of <paramref name="hidden"/> [tokens, width] into <paramref name="destination"/> [width].</summary>
    public void Pool(ReadOnlySpan<float> hidden, int tokens, Span<float> destination)
    {
        int width = destination.Length;
        ArgumentOutOfRangeException.ThrowIfLessThan(tokens, 1);
        if (hidden.Length < tokens * width)
        {
            throw new ArgumentException($"hidden has {hidden.Length} floats; {tokens} tokens of {width} need {tokens * width}.", nameof(hidden));
        }
        switch (Mode)
        {
            case PoolingMode.Cls:
                hidden.Slice(0, width).CopyTo(destination); // row 0: [CLS]
                break;
            case PoolingMode.Max:
                hidden[..width].CopyTo(destination);
                for (int t = 1; t < tokens; t++)
                {
                    TensorPrimitives.Max(destination, hidden.Slice(t * width, width), destination); // NaN propagates, as Math.Max and torch.max do
                }
                break;
            default:
                destination.Clear();
                for (int t = 0; t < tokens; t++)
                {
                    TensorPrimitives.Add(destination, hidden.Slice(t * width, width), destination);
                }
                if (Normalize)
                {
                    // The 1/tokens of the mean and the normalization in one scale: the direction is the sum's (ε bounds the mean's norm).
                    double meanNorm = TensorPrimitives.Norm(destination) / (double)tokens;
                    TensorPrimitives.Multiply(destination, (float)(1.0 / tokens / Math.Max(meanNorm, 1e-12)), destination);
                    return;
                }
                TensorPrimitives.Multiply(destination, 1f / tokens, destination);
                return;
        }
        if (Normalize)
        {
            NormalizeInPlace(destination);
        }
    }

    /// <summary>
    /// Matryoshka truncation: keeps the first <paramref name="dimensions"/> components and, when the model normalizes its
    /// embeddings, normalizes the shorter vector again (as sentence-transformers' <c>truncate_dim</c> followed by
    /// normalization does), so cosine and dot product stay the same thing.
    /// </summary>
    public float[] Truncate(ReadOnlySpan<float> embedding, int dimensions)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(dimensions, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(dimensions, embedding.Length);
        float[] result = embedding[..dimensions].ToArray();
        if (Normalize && dimensions < embedding.Length)
        {
            NormalizeInPlace(result);
        }
        return result;
    }

    /// <summary>Divides <paramref name="v"/> by its L2 norm, at least 1e-12 (torch.nn.functional.normalize's ε).</summary>
    private static void NormalizeInPlace(Span<float> v) => TensorPrimitives.Multiply(v, (float)(1.0 / Math.Max(TensorPrimitives.Norm(v), 1e-12)), v);
}
