namespace TransformerKernels;

/// <summary>
/// Every size derived from a declared shape that both the generated kernels and the runtime depend on: the generator
/// compiles this very file (a linked file, as the .NET Regex generator compiles RegexParser.cs) and bakes its results into
/// the kernels' constants, and the runtime sizes and strides the buffers those kernels index with it. One formula each, so
/// the two can never drift. netstandard2.0-safe: no runtime types, no newer BCL APIs.
/// </summary>
internal static class ShapeMath
{
    /// <summary>Columns of one packed weight panel: one Vector512 of floats, two Vector256.</summary>
    public const int PanelWidth = 16;

    /// <summary>Keys are processed in blocks of this many (one Vector512 of scores): key and score rows are padded to it.</summary>
    public const int KeyBlock = 16;

    /// <summary>Int8: inputs summed into one int32 lane (VPDPBUSD, or VPMADDUBSW + VPMADDWD).</summary>
    public const int Int8GroupSize = 4;

    /// <summary>Width of one attention head.</summary>
    public static int HeadDim(int dModel, int heads) => dModel / heads;

    /// <summary>Width of the keys (and of the values) of one position: KvHeads·HeadDim (0 KvHeads: as many as query heads).</summary>
    public static int KvDModel(int dModel, int heads, int kvHeads) => (kvHeads == 0 ? heads : kvHeads) * HeadDim(dModel, heads);

    /// <summary>Outputs of the fused Q·K·V projection: DModel + 2·KvDModel.</summary>
    public static int QkvWidth(int dModel, int heads, int kvHeads) => dModel + 2 * KvDModel(dModel, heads, kvHeads);

    /// <summary>
    /// Columns of a gated FFN's gate-and-up GEMM: 16 per group of 8 hidden units — the group's 8 gate columns, then its 8 up
    /// columns, so every 16-column panel holds both halves of 8 outputs (the last group padded with zero columns when FfnDim
    /// is not a multiple of 8).
    /// </summary>
    public static int GatedColumns(int ffnDim) => PanelWidth * ((ffnDim + 7) / 8);

    /// <summary>Floats of one FFN hidden row a gated GEMM writes: FfnDim rounded up to 8 (the padding is 0).</summary>
    public static int GatedHiddenWidth(int ffnDim) => GatedColumns(ffnDim) / 2;

    /// <summary>
    /// A row width padded by 16 floats when rows would be a multiple of 4 KiB apart: such rows share one L1 set, and the
    /// 12 rows a GEMM register tile reads at once would evict each other (8-way L1).
    /// </summary>
    public static int PaddedStride(int width) => width * 4 % 4096 == 0 ? width + 16 : width;

    /// <summary>A key count rounded up to whole key blocks: the stride of transposed keys and of score rows.</summary>
    public static int KeyBlocks(int keys) => (keys + KeyBlock - 1) / KeyBlock * KeyBlock;

    /// <summary>
    /// Stride of row-indexed transposed keys for <paramref name="rows"/> rows (packed encoder batches): whole key blocks
    /// plus one, made odd, so the rows of consecutive dimensions fall in different cache sets.
    /// </summary>
    public static int RowKeysTStride(int rows) => (((rows + KeyBlock - 1) / KeyBlock + 1) | 1) * KeyBlock;

    /// <summary>Int8: groups of <see cref="Int8GroupSize"/> inputs along K (K rounded up to 4, divided by 4).</summary>
    public static int Int8Groups(int k) => (k + Int8GroupSize - 1) / Int8GroupSize;

    /// <summary>Int8: bytes between rows of quantized activations — K rounded up to 4, plus 64 when that is a multiple of 4 KiB.</summary>
    public static int Int8RowStride(int k)
    {
        int bytes = Int8Groups(k) * Int8GroupSize;
        return bytes % 4096 == 0 ? bytes + 64 : bytes;
    }
}
