using System.ComponentModel;

namespace TransformerKernels;

/// <summary>
/// Every scratch buffer one block needs, sized once from the model's shape and the largest batch, so a forward pass
/// allocates nothing. Like llama2.c's RunState: one place lists all intermediate activations.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed unsafe class BlockScratch : IDisposable
{
    private readonly NativeBuffer[] _buffers;

    /// <summary>Allocates scratch for up to <paramref name="maxBatch"/> sequences of the shape's MaxSeqLen.</summary>
    public BlockScratch(ModelShape shape, int maxBatch = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatch, 1);
        MaxRows = checked(maxBatch * shape.MaxSeqLen);
        int d = shape.DModel;
        // An encoder batch's transposed keys (MaxRows columns per dimension) only when the shape has encoder blocks: a
        // decoder keeps its keys in its caches.
        RowKeysTStride = shape.EncoderLayers > 0 ? ShapeMath.RowKeysTStride(MaxRows) : 0;
        _buffers =
        [
            new NativeBuffer((long)MaxRows * shape.QkvWidth),   // QueryKeyValue
            new NativeBuffer((long)MaxRows * d),                // Context
            new NativeBuffer((long)MaxRows * d),                // Projected
            new NativeBuffer((long)MaxRows * d),                // Normed
            new NativeBuffer((long)MaxRows * shape.FfnHiddenStride), // Hidden
            new NativeBuffer((long)d * RowKeysTStride),         // KeysT: Heads × HeadDim × RowKeysTStride
            new NativeBuffer(3L * MaxRows),                     // Sequences: 3 ints each (floats and ints are both 4 bytes)
            new NativeBuffer((long)MaxRows * sizeof(AttentionSegment) / sizeof(float)), // Segments: at most one per row
        ];
    }

    /// <summary>
    /// The rows rounded up to 16, plus 16 (attention reads a sequence's keys in blocks of 16, so the last block of the last
    /// sequence may reach 15 columns past the rows), made an odd multiple of 16 floats: the HeadDim rows of a head then start
    /// on different cache sets instead of all on one, which a power-of-two stride would do.
    /// </summary>

    /// <summary>Rows (batch × positions) the buffers hold.</summary>
    public int MaxRows { get; }

    /// <summary>Fused Q·K·V projection output [rows, 3·DModel].</summary>
    public float* QueryKeyValue => _buffers[0].Pointer;

    /// <summary>Attention output, heads concatenated [rows, DModel].</summary>
    public float* Context => _buffers[1].Pointer;

    /// <summary>Output of a sub-layer's last linear layer [rows, DModel].</summary>
    public float* Projected => _buffers[2].Pointer;

    /// <summary>LayerNorm output feeding a pre-norm sub-layer, or cross-attention queries [rows, DModel].</summary>
    public float* Normed => _buffers[3].Pointer;

    /// <summary>FFN hidden activations [rows, FfnDim], rows <see cref="ModelShape.FfnHiddenStride"/> floats apart.</summary>
    public float* Hidden => _buffers[4].Pointer;

    /// <summary>
    /// An encoder batch's keys, transposed per head with one column per row of the batch [Heads, HeadDim,
    /// <see cref="RowKeysTStride"/>]: every sequence keeps its keys at its own rows' columns, so (sequence, head) pairs run
    /// in parallel. Empty when the shape has no encoder blocks.
    /// </summary>
    public float* KeysT => _buffers[5].Pointer;

    /// <summary>Floats between the dimensions of <see cref="KeysT"/> (≥ MaxRows + 16; 0 without encoder blocks).</summary>
    public int RowKeysTStride { get; }

    /// <summary>Per sequence of an encoder batch: its first row, query rows and key rows (<see cref="SequenceAttentionArguments.Sequences"/>).</summary>
    public int* Sequences => (int*)_buffers[6].Pointer;

    /// <summary>Per segment of a decoder step: its rows and its cache (<see cref="SegmentAttentionArguments.Segments"/>).</summary>
    public AttentionSegment* Segments => (AttentionSegment*)_buffers[7].Pointer;

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (NativeBuffer buffer in _buffers)
        {
            buffer.Dispose();
        }
    }
}

/// <summary>
/// What one decoder block keeps between decoding steps for one sequence: its own keys (transposed per head) and values
/// for every position so far, and (with an encoder) the keys and values of the encoder output, projected once per source.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed unsafe class DecoderLayerCache : IDisposable
{
    private readonly NativeBuffer _keysT, _values;
    private readonly NativeBuffer? _memoryKeysT, _memoryValues;
    private readonly int _dModel, _maxSeqLen, _kvWidth;
    private DecoderLayerCache? _memoryOwner;
    private int _memoryLength;

    /// <summary>Allocates a cache for sequences and sources of up to the shape's MaxSeqLen.</summary>
    public DecoderLayerCache(ModelShape shape)
    {
        int d = _dModel = shape.DModel;
        _maxSeqLen = shape.MaxSeqLen;
        KeysTStride = ShapeMath.KeyBlocks(shape.MaxSeqLen);
        // Self-attention keys and values are KvDModel wide (narrower than DModel with grouped-query attention).
        int kv = _kvWidth = shape.KvDModel;
        _keysT = new NativeBuffer((long)kv * KeysTStride);
        _values = new NativeBuffer((long)shape.MaxSeqLen * kv);
        if (shape.EncoderLayers > 0)
        {
            // Only a decoder with an encoder has cross-attention: a decoder-only model's caches hold no encoder state.
            _memoryKeysT = new NativeBuffer((long)d * KeysTStride);
            _memoryValues = new NativeBuffer((long)shape.MaxSeqLen * d);
        }
    }

    /// <summary>Self-attention keys [KvHeads, HeadDim, KeysTStride].</summary>
    public float* KeysT => _keysT.Pointer;

    /// <summary>Self-attention values [MaxSeqLen, KvDModel].</summary>
    public float* Values => _values.Pointer;

    /// <summary>Encoder-output keys [Heads, HeadDim, KeysTStride] (the owner's, when shared).</summary>
    public float* MemoryKeysT => (_memoryOwner ?? this)._memoryKeysT is { } buffer ? buffer.Pointer : null;

    /// <summary>Encoder-output values [MaxSeqLen, DModel] (the owner's, when shared).</summary>
    public float* MemoryValues => (_memoryOwner ?? this)._memoryValues is { } buffer ? buffer.Pointer : null;

    /// <summary>MaxSeqLen rounded up to 16: floats between the dimensions of <see cref="KeysT"/> and <see cref="MemoryKeysT"/>.</summary>
    public int KeysTStride { get; }

    /// <summary>Encoder positions the cross-attention may see (set by PrepareCrossAttention; the owner's, when shared).</summary>
    public int MemoryLength
    {
        get => _memoryOwner?._memoryLength ?? _memoryLength;
        set
        {
            if (_memoryOwner is not null)
            {
                throw new InvalidOperationException("This cache shares another's encoder output; call ShareMemoryOf(null) first.");
            }
            _memoryLength = value;
        }
    }

    /// <summary>
    /// Copies another cache's self-attention keys and values for positions [0, <paramref name="positions"/>): beam search
    /// reorders beams this way. The encoder part is not copied: every beam's cache was prepared from the same source.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="positions"/> outside [0, MaxSeqLen].</exception>
    public void CopySelfAttentionFrom(DecoderLayerCache other, int positions)
    {
        ArgumentNullException.ThrowIfNull(other);
        if ((uint)positions > (uint)_maxSeqLen || other._maxSeqLen != _maxSeqLen || other._dModel != _dModel || other._kvWidth != _kvWidth)
        {
            throw new ArgumentOutOfRangeException(nameof(positions), positions, $"Must be 0..{_maxSeqLen}, between caches of one shape.");
        }
        int d = _kvWidth;
        for (int row = 0; row < d; row++)
        {
            new Span<float>(other.KeysT + (long)row * KeysTStride, positions).CopyTo(new Span<float>(KeysT + (long)row * KeysTStride, positions));
        }
        new Span<float>(other.Values, positions * d).CopyTo(new Span<float>(Values, positions * d));
    }

    /// <summary>
    /// Makes this cache read its encoder-output keys and values from <paramref name="owner"/> (null: from its own buffers
    /// again). Every beam of one source attends to the same encoder output, so beams share their first slot's projection
    /// instead of each holding a copy. PrepareCrossAttention calls <c>ShareMemoryOf(null)</c> before writing.
    /// </summary>
    /// <exception cref="ArgumentException">A cache of another shape, or one that itself shares another's memory.</exception>
    public void ShareMemoryOf(DecoderLayerCache? owner)
    {
        if (owner is not null && (owner._maxSeqLen != _maxSeqLen || owner._dModel != _dModel || owner._memoryOwner is not null))
        {
            throw new ArgumentException("The owner must be a cache of the same shape holding its own encoder output.", nameof(owner));
        }
        _memoryOwner = ReferenceEquals(owner, this) ? null : owner;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _keysT.Dispose();
        _values.Dispose();
        _memoryKeysT?.Dispose();
        _memoryValues?.Dispose();
    }
}
