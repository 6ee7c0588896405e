using System.ComponentModel;

namespace TransformerKernels;

/// <summary>
/// What a generated model class plugs into the runtime's model classes (<see cref="TransformerModel{TSelf}"/> and the kinds
/// derived from it): its declared shape, its constructor, and the kernels generated for that shape. The generated class
/// implements these members explicitly, so they are no part of its API; guards, argument checks, sessions, embeddings,
/// chunking and decoding are compiled code in the runtime, and only what these members call depends on the shape.
/// </summary>
/// <remarks>
/// A model kind calls only the kernels its stack has: an encoder-only model never calls the decoder hooks, which keep their
/// default bodies (they throw <see cref="NotSupportedException"/>, which would mean a generator bug).
/// </remarks>
/// <typeparam name="TSelf">The generated model class.</typeparam>
[EditorBrowsable(EditorBrowsableState.Never)]
public unsafe interface IModelKernels<TSelf> where TSelf : TransformerModel<TSelf>, IModelKernels<TSelf>
{
    /// <summary>The declared shape (the generated <c>Shape</c>).</summary>
    static abstract ModelShape DeclaredShape { get; }

    /// <summary>The weight precisions the GEMMs are generated for (the generated <c>Precisions</c>).</summary>
    static abstract ModelPrecisions DeclaredPrecisions { get; }

    /// <summary>A new instance over <paramref name="weights"/>; with <paramref name="ownsWeights"/> it disposes them.</summary>
    static abstract TSelf CreateModel(TransformerWeights weights, int maxBatch, bool ownsWeights);

    /// <summary>The model's norm (LayerNorm or RMSNorm, its ε) over <paramref name="rows"/> rows of DModel, in place.</summary>
    static abstract void Normalize(float* x, float* gamma, float* beta, int rows);

    /// <summary>One encoder block over <paramref name="batch"/> padded sequences of <paramref name="length"/> rows, in place.</summary>
    static virtual void EncoderBlock(float* x, int batch, int length, ReadOnlySpan<int> validLengths, EncoderLayerWeights weights, BlockScratch scratch) =>
        throw Missing("encoder blocks");

    /// <summary>One encoder block over sequences packed back to back, in place.</summary>
    static virtual void EncoderBlockPacked(float* x, ReadOnlySpan<int> lengths, EncoderLayerWeights weights, BlockScratch scratch) =>
        throw Missing("encoder blocks");

    /// <summary>
    /// One decoder block over segments of rows back to back, each against its own cache; <paramref name="crossAttentionWeights"/>
    /// (encoder–decoder models only, one segment only) receives the cross-attention weights, or is null.
    /// </summary>
    static virtual void DecoderBlock(float* y, ReadOnlySpan<int> starts, ReadOnlySpan<int> lengths, ReadOnlySpan<DecoderLayerCache> caches,
        DecoderLayerWeights weights, BlockScratch scratch, float* crossAttentionWeights) => throw Missing("decoder blocks");

    /// <summary>A decoder block's cross-attention keys and values of one encoder output, into <paramref name="cache"/>.</summary>
    static virtual void PrepareCrossAttention(float* memory, int memoryLength, int validLength, DecoderLayerWeights weights, DecoderLayerCache cache, BlockScratch scratch) =>
        throw Missing("cross-attention");

    /// <summary>The final linear to the vocabulary: <paramref name="count"/> rows of DModel → logits [count, DecoderVocab].</summary>
    static virtual void ProjectToVocabulary(float* rows, int count, PackedLinear generator, float* logits) =>
        throw Missing("a final linear to a vocabulary");

    private static NotSupportedException Missing(string what) =>
        new($"{typeof(TSelf).Name} has no {what}: the generator wired a kernel its declaration does not have.");
}
