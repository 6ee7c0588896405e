namespace TransformerKernels;

/// <summary>
/// Every buffer a declared model's forward pass and decoding use besides the weights, sized once from the shape: the
/// block scratch, the decoder's key/value caches (one set per batch item or beam, allocated on first use), rows for
/// the decoder input and the output logits. After the first call of a given batch size or beam width, forward passes
/// and decoding steps allocate nothing.
/// </summary>
public sealed unsafe class ModelRunState : IDisposable
{
    private readonly ModelShape _shape;
    private DecoderLayerCache[][] _caches = [];

    /// <summary>Allocates scratch for batches of up to <paramref name="maxBatch"/> sequences.</summary>
    public ModelRunState(ModelShape shape, int maxBatch)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatch, 1);
        _shape = shape;
        MaxBatch = maxBatch;
        Scratch = new BlockScratch(shape, maxBatch);
        Rows = new NativeBuffer((long)maxBatch * shape.MaxSeqLen * shape.DModel);
        DecoderRows = new NativeBuffer((long)shape.MaxSeqLen * shape.DModel);
        Logits = new NativeBuffer(Math.Max(1, shape.DecoderVocab));
    }

    /// <summary>Largest batch.</summary>
    public int MaxBatch { get; }

    /// <summary>Scratch of the blocks.</summary>
    public BlockScratch Scratch { get; }

    /// <summary>Encoder rows [MaxBatch·MaxSeqLen, DModel] for the token-level API.</summary>
    public NativeBuffer Rows { get; }

    /// <summary>Decoder rows [MaxSeqLen, DModel] for decoding.</summary>
    public NativeBuffer DecoderRows { get; }

    /// <summary>One row of output logits [DecoderVocab].</summary>
    public NativeBuffer Logits { get; }

    /// <summary>The caches of slot <paramref name="slot"/> (one per decoder layer), allocating slots up to it on first use.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A slot outside [0, 2·<see cref="BeamSearch.MaxWidth"/>).</exception>
    public DecoderLayerCache[] Caches(int slot)
    {
        if ((uint)slot >= 2 * BeamSearch.MaxWidth)
        {
            throw new ArgumentOutOfRangeException(nameof(slot), slot, $"Beam slots are 0..{2 * BeamSearch.MaxWidth - 1} (two per beam).");
        }
        if (slot >= _caches.Length)
        {
            var grown = new DecoderLayerCache[slot + 1][];
            Array.Copy(_caches, grown, _caches.Length);
            for (int i = _caches.Length; i <= slot; i++)
            {
                grown[i] = new DecoderLayerCache[_shape.DecoderLayers];
                for (int layer = 0; layer < _shape.DecoderLayers; layer++)
                {
                    grown[i][layer] = new DecoderLayerCache(_shape);
                }
            }
            _caches = grown;
        }
        return _caches[slot];
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        Scratch.Dispose();
        Rows.Dispose();
        DecoderRows.Dispose();
        Logits.Dispose();
        foreach (DecoderLayerCache[] slot in _caches)
        {
            foreach (DecoderLayerCache cache in slot)
            {
                cache.Dispose();
            }
        }
    }
}
