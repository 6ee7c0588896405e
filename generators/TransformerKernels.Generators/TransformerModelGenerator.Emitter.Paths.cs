using System.Linq;
using TransformerKernels.Generators.Helpers;
using TransformerKernels.Generators.Model;

namespace TransformerKernels.Generators;

public sealed partial class TransformerModelGenerator
{
    /// <summary>
    /// A float vector path of the kernels (a <c>KernelPath</c> member): its vector type, lanes and fused multiply-add. The
    /// attention, rotary and Add &amp; Norm emitters write one loop per path from these; the scalar path (the switch's default)
    /// follows them.
    /// </summary>
    private sealed record VectorPath(string Name, string VectorType, int Lanes, string Fma)
    {
        public static readonly VectorPath Avx512 = new("Avx512", "Vector512", 16, "Avx512F.FusedMultiplyAdd");
        public static readonly VectorPath Avx2 = new("Avx2", "Vector256", 8, "Fma.MultiplyAdd");

        /// <summary>The vector paths in the order the dispatch switch tries them.</summary>
        public static readonly VectorPath[] All = { Avx512, Avx2 };

        /// <summary>The names of every float path's member functions: the vector paths, then Scalar.</summary>
        public static readonly string[] Names = { Avx512.Name, Avx2.Name, "Scalar" };

        public bool Wide => Lanes == 16;

        /// <summary>Whole vectors in a row of <paramref name="row"/>'s width on this path.</summary>
        public int FullVectors(VectorTiling row) => Wide ? row.FullVectors512 : row.FullVectors256;

        /// <summary>Lanes left after the whole vectors (0: none).</summary>
        public int Tail(VectorTiling row) => Wide ? row.Tail512 : row.Tail256;
    }

    /// <summary>
    /// The <c>KernelPaths.Active</c> switch over the float paths (<see cref="EmitPathSwitch"/>): <paramref name="statement"/> is
    /// given each path's name, and "Scalar" for the default case.
    /// </summary>
    private static void EmitFloatPathSwitch(SourceWriter w, System.Func<string, string> statement) =>
        EmitPathSwitch(w, int8: false, [.. VectorPath.All.Select(p => ((string?)p.Name, statement(p.Name))), (null, statement("Scalar"))]);

    /// <summary>
    /// One ISA path of a GEMM format: the <c>KernelPath</c> / <c>Int8KernelPath</c> member that selects it (also its member
    /// names), its vectors, its register tiles (rows of the largest first, then the remainders) and how its tiles multiply.
    /// A 512-bit path's unit of work is two panels, a 256-bit path's one. Adding a path is one descriptor and, where the
    /// instructions differ, its tile body.
    /// </summary>
    /// <param name="Name">Path member and name prefix of its workers and tiles.</param>
    /// <param name="Vector">Vector type and lanes (the float FMA for FP32 and BF16 tiles).</param>
    /// <param name="RowTiles">Rows of the register tiles, largest first.</param>
    /// <param name="Int8Dot">Int8 C# tiles: the statement that adds the dot products of broadcast <c>x</c> and <c>w{j}</c> into an accumulator.</param>
    /// <param name="Int8Ones">Int8 C# tiles: whether the dot product needs a vector of 16-bit ones (VPMADDWD after VPMADDUBSW).</param>
    /// <param name="Assembled">Int8: the K loop is an assembled VPDPBUSD tile called from C#.</param>
    /// <param name="Prefetch">Whether the largest tile prefetches the weight stream.</param>
    private sealed record GemmPath(string Name, VectorPath Vector, int[] RowTiles, System.Func<string, int, string>? Int8Dot = null,
                                   bool Int8Ones = false, bool Assembled = false, bool Prefetch = false)
    {
        public bool Wide => Vector.Wide;

        public int Lanes => Vector.Lanes;

        public string VectorType => Vector.VectorType;

        /// <summary>Units of work the path's worker is split into: pairs of panels (plus an odd one) on 512 bits, panels on 256.</summary>
        public int Units(GemmSpec gemm) => Wide ? gemm.Units512 : gemm.Panels;

        /// <summary>The <c>Lanes</c> helper reading the first lanes of a partial vector.</summary>
        public string LoadFirst => Wide ? "LoadFirst" : "LoadFirst256";

        public static readonly GemmPath Avx512 = new("Avx512", VectorPath.Avx512, new[] { GemmSpec.RowTile512, 8, 4, 2, 1 }, Prefetch: true);
        public static readonly GemmPath Avx2 = new("Avx2", VectorPath.Avx2, new[] { GemmSpec.RowTile256, 4, 2, 1 });

        /// <summary>
        /// Int8 row tiles: Vector512 (12 rows: 24 accumulators + 2 weights + ones + broadcast + product = 29 of 32 zmm; 8 rows
        /// measured the same on Zen 4), Vector256 VPDPBUSD (VEX: 16 ymm), Vector256 AVX2.
        /// </summary>
        private static readonly int[] RowsInt8Avx512 = { 12, 8, 4, 2, 1 };

        public static readonly GemmPath Int8Avx512Vnni = new("Avx512Vnni", VectorPath.Avx512, RowsInt8Avx512, Assembled: true);
        public static readonly GemmPath Int8Avx512BW = new("Avx512BW", VectorPath.Avx512, RowsInt8Avx512,
            (acc, j) => $" {acc} += Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(x, w{j}), ones);", Int8Ones: true);
        public static readonly GemmPath Int8AvxVnni = new("AvxVnni", VectorPath.Avx2, new[] { 6, 4, 2, 1 },
            (acc, j) => $" {acc} = AvxVnni.MultiplyWideningAndAdd({acc}, x, w{j});");
        public static readonly GemmPath Int8Avx2 = new("Avx2", VectorPath.Avx2, new[] { 4, 2, 1 },
            (acc, j) => $" {acc} += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(x, w{j}), ones);", Int8Ones: true);

        /// <summary>"12×32 Avx512BW"-style tile shape of the largest tile, as the remarks write it.</summary>
        public string LargestTile => $"{RowTiles[0]}×{2 * Lanes}";
    }

    /// <summary>How a GEMM's weights are stored: each format has its own workers and tiles, chosen by the layer's precision at run time.</summary>
    private enum WeightFormat
    {
        Fp32,
        Bf16,
        Int8,
    }

    /// <summary>
    /// A weight format of the GEMMs: how its weights are stored and read, and the paths it is emitted for.
    /// </summary>
    /// <param name="Format">The format (its value is the <c>WeightPrecision</c> it serves).</param>
    /// <param name="Prefix">Prefix of its generated member names (none for FP32, so its names are what they always were).</param>
    /// <param name="ElementType">Element type of the packed weights.</param>
    /// <param name="Field">The <c>GemmArguments</c> field its workers read the weights from.</param>
    /// <param name="ElementsPerStep">
    /// Weight elements per column in one step of the K loop: 1 float (FP32), a pair of BF16 halves in one 32-bit word, a
    /// group of 4 int8 inputs (one int32 lane of VPDPBUSD / VPMADDUBSW + VPMADDWD).
    /// </param>
    /// <param name="Note">What the worker summaries add after the path's name.</param>
    /// <param name="Int8Dispatch">Whether its paths are <c>Int8KernelPath</c> members (chosen by <c>Int8Paths.Active</c>).</param>
    /// <param name="Paths">Its vector paths, in the order their workers and tiles are written; a scalar worker follows them.</param>
    /// <param name="Dispatch">The same paths in the order the switch tries them.</param>
    private sealed record GemmFormat(WeightFormat Format, string Prefix, string ElementType, string Field, int ElementsPerStep, string Note,
                                     bool Int8Dispatch, GemmPath[] Paths, GemmPath[] Dispatch)
    {
        public static readonly GemmFormat Fp32 = new(WeightFormat.Fp32, "", "float", "Weights", 1, "", false,
            new[] { GemmPath.Avx512, GemmPath.Avx2 }, new[] { GemmPath.Avx512, GemmPath.Avx2 });

        /// <summary>BF16 weights: the FP32 workers' shape with the weight loads widened; A, C and the arithmetic stay FP32.</summary>
        public static readonly GemmFormat Bf16 = new(WeightFormat.Bf16, "Bf16", "ushort", "Bf16Weights", 2, " for BF16 weights (widened to FP32 in registers)", false,
            new[] { GemmPath.Avx512, GemmPath.Avx2 }, new[] { GemmPath.Avx512, GemmPath.Avx2 });

        /// <summary>Int8 weights: u8 activations (quantized per row by the GEMM) times s8 weights into int32, dequantized in the epilogue.</summary>
        public static readonly GemmFormat Int8 = new(WeightFormat.Int8, "Int8", "sbyte", "Int8Weights", 4, " for int8 weights", true,
            new[] { GemmPath.Int8Avx512Vnni, GemmPath.Int8Avx512BW, GemmPath.Int8AvxVnni, GemmPath.Int8Avx2 },
            new[] { GemmPath.Int8Avx512Vnni, GemmPath.Int8AvxVnni, GemmPath.Int8Avx512BW, GemmPath.Int8Avx2 });

        /// <summary>Every format, in the order a GEMM class holds them.</summary>
        public static readonly GemmFormat[] All = { Fp32, Bf16, Int8 };

        /// <summary>The format's flag in a model's <see cref="ModelPrecisions"/>.</summary>
        public ModelPrecisions Flag => (ModelPrecisions)(1 << (int)Format);

        public bool IsInt8 => Format == WeightFormat.Int8;

        /// <summary>
        /// Weight elements in one packed panel: 16 columns × ElementsPerStep × ⌈K / ElementsPerStep⌉ — 16 × K floats (FP32),
        /// 16 × 2 halves × ⌈K/2⌉ pairs (BF16), 16 int32 lanes × 4 bytes × groups of 4 inputs (int8).
        /// </summary>
        public int PanelElements(GemmSpec gemm) => 16 * ElementsPerStep * ((gemm.K + ElementsPerStep - 1) / ElementsPerStep);

        /// <summary>Name of a path's worker.</summary>
        public string Worker(GemmPath? path) => Prefix + (path?.Name ?? "Scalar") + "Units";
    }
}
