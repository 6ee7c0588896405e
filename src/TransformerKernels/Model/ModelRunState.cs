using System.ComponentModel;

namespace TransformerKernels;

/// <summary>
/// Every buffer a declared model's forward pass and decoding use besides the weights, sized once from the shape: the
/// block scratch, the decoder's key/value caches (one set per batch item or beam, allocated on first use), rows for
/// the decoder input and the output logits. After the first call of a given batch size or beam width, forward passes
/// and decoding steps allocate nothing.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed unsafe class ModelRunState : IDisposable
{
    private readonly ModelShape _shape;
    private DecoderLayerCache[][] _caches = [];
    private NativeBuffer? _logits;
    private int _logitRows;

    /// <summary>Allocates scratch for batches of up to <paramref name="maxBatch"/> sequences.</summary>
    public ModelRunState(ModelShape shape, int maxBatch)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatch, 1);
        _shape = shape;
        MaxBatch = maxBatch;
        Scratch = new BlockScratch(shape, maxBatch);
        Rows = new NativeBuffer((long)maxBatch * shape.MaxSeqLen * shape.DModel);
        MaxStepRows = Math.Min(MaxSlots, Scratch.MaxRows);
        DecoderRows = new NativeBuffer((long)Math.Max(shape.MaxSeqLen, MaxStepRows) * shape.DModel);
        SegmentCaches = new DecoderLayerCache[MaxSlots];
        SegmentStarts = new int[MaxSlots];
        SegmentLengths = new int[MaxSlots];
        Array.Fill(SegmentLengths, 1);
    }

    /// <summary>
    /// Positions each slot's decoder cache holds, [0, SlotLengths[slot]) [MaxSlots]: Prefill sets them, a step at position p
    /// makes them p + 1, CopySlot copies them. A step may not start past them — it would attend over positions nobody wrote.
    /// </summary>
    public int[] SlotLengths { get; } = new int[MaxSlots];

    /// <summary>Decoder cache slots: 256, two per beam of the widest beam search.</summary>
    public const int MaxSlots = 2 * BeamSearch.MaxWidth;

    /// <summary>Most rows one batched decoding step takes: one per slot, within the scratch.</summary>
    public int MaxStepRows { get; }

    /// <summary>Per-segment cache of one layer, filled before each batched decoder block call [MaxSlots].</summary>
    public DecoderLayerCache[] SegmentCaches { get; }

    /// <summary>Per-segment first positions for batched decoder calls [MaxSlots].</summary>
    public int[] SegmentStarts { get; }

    /// <summary>Per-segment row counts for batched decoder calls [MaxSlots]; all 1 unless a caller changes them (decoding steps).</summary>
    public int[] SegmentLengths { get; }

    /// <summary>Largest batch.</summary>
    public int MaxBatch { get; }

    /// <summary>Scratch of the blocks.</summary>
    public BlockScratch Scratch { get; }

    /// <summary>Encoder rows [MaxBatch·MaxSeqLen, DModel] for the token-level API.</summary>
    public NativeBuffer Rows { get; }

    /// <summary>Decoder rows [max(MaxSeqLen, MaxStepRows), DModel] for decoding.</summary>
    public NativeBuffer DecoderRows { get; }

    /// <summary>
    /// Output logits [rows, DecoderVocab], grown on first use to the most rows asked for so far (a large vocabulary times
    /// every possible step row would be gigabytes); later steps of that size allocate nothing.
    /// </summary>
    public float* Logits(int rows)
    {
        if (rows > _logitRows)
        {
            _logits?.Dispose();
            _logits = new NativeBuffer((long)rows * Math.Max(1, _shape.DecoderVocab));
            _logitRows = rows;
        }
        return _logits!.Pointer;
    }

    /// <summary>The caches of slot <paramref name="slot"/> (one per decoder layer), allocating slots up to it on first use.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A slot outside [0, 2·<see cref="BeamSearch.MaxWidth"/>).</exception>
    public DecoderLayerCache[] Caches(int slot)
    {
        if ((uint)slot >= MaxSlots)
        {
            throw new ArgumentOutOfRangeException(nameof(slot), slot, $"Decoder slots are 0..{MaxSlots - 1} (two per beam).");
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
        _logits?.Dispose();
        foreach (DecoderLayerCache[] slot in _caches)
        {
            foreach (DecoderLayerCache cache in slot)
            {
                cache.Dispose();
            }
        }
    }
}
