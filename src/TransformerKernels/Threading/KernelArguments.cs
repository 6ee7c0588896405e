using System.ComponentModel;

namespace TransformerKernels;

/// <summary>Arguments of a generated GEMM, passed by pointer to the worker threads (no closure, no allocation).</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public unsafe struct GemmArguments
{
    /// <summary>A: m rows of K floats, row-major.</summary>
    public float* A;

    /// <summary>Rows of A and C.</summary>
    public int M;

    /// <summary>Packed weights (<see cref="PackedLinear.Weights"/>).</summary>
    public float* Weights;

    /// <summary>Padded bias (<see cref="PackedLinear.Bias"/>).</summary>
    public float* Bias;

    /// <summary>Optional residual added after bias and activation (same layout as C), or null.</summary>
    public float* Residual;

    /// <summary>C: m rows of N floats, row-major. May alias <see cref="Residual"/>.</summary>
    public float* C;

    /// <summary>BF16 weights (<see cref="LowPrecisionWeights.Bf16"/>), when the layer holds them.</summary>
    public ushort* Bf16Weights;

    /// <summary>Int8 weights (<see cref="LowPrecisionWeights.Int8"/>), when the layer holds them.</summary>
    public sbyte* Int8Weights;

    /// <summary>Int8: per padded column, the weights' dequantization scale.</summary>
    public float* ColumnScales;

    /// <summary>Int8: per padded column, the sum of its quantized weights.</summary>
    public int* ColumnSums;

    /// <summary>Int8: A quantized by <see cref="ActivationQuantizer"/> (rows the GEMM's <c>Ldq</c> bytes apart).</summary>
    public byte* QuantizedA;

    /// <summary>Int8: each row's activation scale.</summary>
    public float* RowScales;

    /// <summary>Int8: each row's activation offset (its minimum).</summary>
    public float* RowOffsets;
}

/// <summary>Arguments of the generated multi-head attention kernel.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public unsafe struct AttentionArguments
{
    /// <summary>Query row i of head h at Query + i·QueryStride + h·HeadDim.</summary>
    public float* Query;

    /// <summary>Floats between query rows.</summary>
    public int QueryStride;

    /// <summary>Keys transposed per head: key j, dimension d of head h at KeysT + h·KeysTHeadStride + d·KeysTStride + j.</summary>
    public float* KeysT;

    /// <summary>Floats between heads in <see cref="KeysT"/>.</summary>
    public int KeysTHeadStride;

    /// <summary>Floats between dimensions in <see cref="KeysT"/> (≥ key count rounded up to 16).</summary>
    public int KeysTStride;

    /// <summary>Value row j of head h at Values + j·ValueStride + h·HeadDim.</summary>
    public float* Values;

    /// <summary>Floats between value rows.</summary>
    public int ValueStride;

    /// <summary>Output row i of head h at Output + i·OutputStride + h·HeadDim (the concatenated-heads layout).</summary>
    public float* Output;

    /// <summary>Floats between output rows.</summary>
    public int OutputStride;

    /// <summary>Query rows.</summary>
    public int QueryCount;

    /// <summary>Keys every query may see (keys past it are padding).</summary>
    public int KeyCount;

    /// <summary>-1: no causal mask. Otherwise query i sees key j only when j ≤ i + CausalOffset.</summary>
    public int CausalOffset;

    /// <summary>Scratch: one row of ≥ KeyCount rounded up to 16 floats per head, at Scores + h·ScoresStride.</summary>
    public float* Scores;

    /// <summary>Floats between the heads' score rows.</summary>
    public int ScoresStride;

    /// <summary>Optional: normalized attention weights written at Probabilities + (h·QueryCount + i)·KeyCount + j, or null.</summary>
    public float* Probabilities;
}

/// <summary>
/// Arguments of the generated self-attention over many sequences at once (an encoder's packed or padded batch): the
/// sequences' Q·K·V rows stand in one buffer, and the work is split over threads in (sequence, key/value head) pairs.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public unsafe struct SequenceAttentionArguments
{
    /// <summary>Rows of [Q | K | V] (the model's QkvWidth floats apart), every sequence's rows back to back.</summary>
    public float* QueryKeyValue;

    /// <summary>Per sequence, three ints: its first row, its query rows, its key rows (rows past them are padding).</summary>
    public int* Sequences;

    /// <summary>Sequences.</summary>
    public int Count;

    /// <summary>
    /// Keys transposed per head, indexed by row: dimension d of head h of row r at KeysT + (h·HeadDim + d)·KeysTStride + r.
    /// Each (sequence, head) pair writes its own keys there before attending to them.
    /// </summary>
    public float* KeysT;

    /// <summary>Floats between dimensions in <see cref="KeysT"/>: at least the rows plus 16 (a sequence's last block of 16 keys may read past its rows).</summary>
    public int KeysTStride;

    /// <summary>Output rows (the model's DModel floats apart), heads concatenated, row for row with the queries.</summary>
    public float* Output;
}

/// <summary>
/// One segment of a decoder step over several sequences (<see cref="SegmentAttentionArguments"/>): rows of one sequence at
/// consecutive positions, and where its cache keeps its keys and values.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public unsafe struct AttentionSegment
{
    /// <summary>Its first row among the step's rows.</summary>
    public int First;

    /// <summary>Position of its first row; the cache holds positions [0, Start).</summary>
    public int Start;

    /// <summary>Rows (≥ 1).</summary>
    public int Length;

    /// <summary>Floats between dimensions in its cache's transposed keys.</summary>
    public int KeysTStride;

    /// <summary>Its cache's self-attention keys, transposed per key/value head [KvHeads, HeadDim, KeysTStride].</summary>
    public float* KeysT;

    /// <summary>Its cache's self-attention values, one row of KvDModel floats per position.</summary>
    public float* Values;

    /// <summary>With an encoder: the encoder output's keys, transposed per head [Heads, HeadDim, KeysTStride].</summary>
    public float* MemoryKeysT;

    /// <summary>With an encoder: the encoder output's values, one row of DModel floats per position.</summary>
    public float* MemoryValues;

    /// <summary>With an encoder: the encoder positions the rows attend to.</summary>
    public int MemoryLength;
}

/// <summary>
/// Arguments of the generated attention over a decoder step's segments: threads share the work in (segment, head) pairs,
/// so a step of many short segments (one new token per sequence or beam) uses every thread.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public unsafe struct SegmentAttentionArguments
{
    /// <summary>The segments, in row order.</summary>
    public AttentionSegment* Segments;

    /// <summary>Segments.</summary>
    public int Count;

    /// <summary>Self-attention: the step's [Q | K | V] rows (QkvWidth floats apart). Cross-attention: its query rows (DModel apart).</summary>
    public float* Query;

    /// <summary>Output rows (DModel floats apart), heads concatenated, row for row with the queries.</summary>
    public float* Output;

    /// <summary>Cross-attention with one segment only: [Heads, rows, MemoryLength] attention weights, or null.</summary>
    public float* Probabilities;
}
