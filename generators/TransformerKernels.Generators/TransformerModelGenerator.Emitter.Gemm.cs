using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using TransformerKernels.Generators.Helpers;
using TransformerKernels.Generators.Model;

namespace TransformerKernels.Generators;

public sealed partial class TransformerModelGenerator
{
    /// <summary>
    /// One register tile of a GEMM: <c>Rows</c> rows of A times <c>Vectors</c> vectors of packed columns, the last
    /// vector storing only <c>LastLanes</c> lanes (a partial last panel). <c>Format</c> is how the weights are stored.
    /// </summary>
    private sealed record GemmTile(WeightFormat Format, string Isa, int Rows, int Vectors, int LastLanes)
    {
        public bool Wide => Isa is "Avx512" or "Avx512BW" or "Avx512Vnni";

        public int Lanes => Wide ? 16 : 8;

        public string Name => $"{Prefix(Format)}{Isa}Tile{Rows}x{Vectors * Lanes}" + (LastLanes == Lanes ? "" : $"Keep{(Vectors - 1) * Lanes + LastLanes}");

        public string VectorType => Wide ? "Vector512" : "Vector256";

        /// <summary>
        /// Offset in weight elements of vector v inside one packed row: 512-bit tiles span two panels (the second a whole
        /// panel further on), 256-bit tiles one (the second vector half a row further on).
        /// </summary>
        public string WeightOffset(int vector, GemmSpec gemm) =>
            vector == 0 ? "0" : Wide ? Num(PanelElements(Format, gemm)) : Num(vector * Lanes * Format switch { WeightFormat.Int8 => 4, WeightFormat.Bf16 => 2, _ => 1 });
    }

    /// <summary>How a GEMM's weights are stored: each format has its own workers and tiles, chosen by the layer's precision at run time.</summary>
    private enum WeightFormat
    {
        Fp32,
        Bf16,
        Int8,
    }

    /// <summary>Prefix of a format's generated member names (none for FP32, so its names are what they always were).</summary>
    private static string Prefix(WeightFormat format) => format == WeightFormat.Fp32 ? "" : format.ToString();

    private static string WeightType(WeightFormat format) => format switch
    {
        WeightFormat.Bf16 => "ushort",
        WeightFormat.Int8 => "sbyte",
        _ => "float",
    };

    private static string WeightField(WeightFormat format) => format switch
    {
        WeightFormat.Bf16 => "Bf16Weights",
        WeightFormat.Int8 => "Int8Weights",
        _ => "Weights",
    };

    /// <summary>
    /// Weight elements in one packed panel: 16 columns × K floats (FP32), 16 columns × 2 halves × ⌈K/2⌉ pairs (BF16), or
    /// 16 int32 lanes × 4 bytes × groups of 4 inputs (int8).
    /// </summary>
    private static int PanelElements(WeightFormat format, GemmSpec gemm) => format switch
    {
        WeightFormat.Int8 => 64 * gemm.Groups,
        WeightFormat.Bf16 => 32 * ((gemm.K + 1) / 2),
        _ => 16 * gemm.K,
    };

    /// <summary>Writes {Class}.{Gemm}.g.cs: one GEMM class with its dispatch, per-path workers and register tiles.</summary>
    private static string EmitGemm(ModelSpec model, GemmSpec gemm)
    {
        var w = new SourceWriter();
        using (OpenModelClass(w, model, "using global::System.Runtime.Intrinsics;", "using global::System.Runtime.Intrinsics.X86;"))
        using (w.Block("partial class Kernels"))
        {
            w.Line(gemm.Activation == EpilogueActivation.SwiGlu
                ? $"/// <summary>C[m×{gemm.N / 2}] = SiLU(gate)·up of A[m×{gemm.K}]·W + bias, W's {gemm.N} columns gate and up 8 and 8 per panel. Used by: {gemm.Roles}.</summary>"
                : $"/// <summary>C[m×{gemm.N}] = A[m×{gemm.K}]·W + bias{ActivationSuffix(gemm.Activation)} (+ residual). Used by: {gemm.Roles}.</summary>");
            w.Line("/// <remarks>");
            w.Line($"/// W is prepacked in {gemm.Panels} panels of 16 columns × {gemm.K} rows" +
                   (gemm.LastPanelWidth == 16 ? "." : $"; the last panel stores {gemm.LastPanelWidth} columns."));
            w.Line($"/// Avx512: {gemm.PanelPairs} unit(s) of 12×32 tiles (two panels)" + (gemm.HasOddPanel ? " + 1 unit of 12×16 tiles (the odd last panel)" : "") +
                   "; AVX2: one unit per panel, 6×16 tiles. Remainder rows use tiles of 8, 4, 2, 1 (Avx512) or 4, 2, 1 (AVX2).");
            w.Line("/// Units are split over threads; each output element is computed by the same instructions on any thread.");
            w.Line($"/// Below FP32 (the layer's <see cref=\"global::TransformerKernels.PackedLinear.Precision\"/>): <c>RunBf16</c> runs the same tiles on BF16 weights in pairs of k;");
            w.Line($"/// <c>RunInt8</c> quantizes A per row into u8, then multiplies by s8 weights in {gemm.Groups} groups of 4 inputs on the int8 path");
            w.Line("/// (Avx512Vnni 12×32 with an assembled VPDPBUSD K loop, AvxVnni 6×16, Avx512BW 12×32, Avx2 4×16, scalar) and dequantizes in the epilogue.");
            w.Line("/// </remarks>");
            using (w.Block($"public static unsafe class {gemm.Name}"))
            {
                w.Line("/// <summary>Inner dimension (features in).</summary>");
                w.Line($"public const int K = {gemm.K};");
                w.Line("/// <summary>Output columns (features out).</summary>");
                w.Line($"public const int N = {gemm.N};");
                w.Line(gemm.Lda == gemm.K ? "/// <summary>Floats between rows of A.</summary>" : $"/// <summary>Floats between rows of A: K padded so rows are not 4 KiB apart (12 rows in one L1 set would evict each other).</summary>");
                w.Line($"public const int Lda = {gemm.Lda};");
                w.Line(gemm.Ldc == gemm.N ? "/// <summary>Floats between rows of C (and of the residual).</summary>" : $"/// <summary>Floats between rows of C and the residual: N padded so rows are not 4 KiB apart.</summary>");
                w.Line($"public const int Ldc = {gemm.Ldc};");
                w.Line($"private const int Panels = {gemm.Panels};");
                w.Line($"private const int PanelPairs = {gemm.PanelPairs};");
                w.Line();
                EmitGemmRun(w, gemm);
                foreach (WeightFormat format in new[] { WeightFormat.Fp32, WeightFormat.Bf16 })
                {
                    if (format == WeightFormat.Bf16)
                    {
                        EmitGemmRunBf16(w, gemm);
                    }
                    EmitGemmWorker(w, gemm, format, "Avx512", Rows512, Plan512(gemm, format, "Avx512"));
                    EmitGemmWorker(w, gemm, format, "Avx2", Rows256, Plan256(gemm, format, "Avx2"));
                    EmitGemmWorkerScalar(w, gemm, format);
                    foreach (GemmTile tile in Tiles512(gemm, format, "Avx512", Rows512).Concat(Tiles256(gemm, format, "Avx2", Rows256)))
                    {
                        EmitGemmTile(w, gemm, tile);
                    }
                }
                EmitGemmInt8(w, gemm);
            }
        }
        return w.ToString();
    }

    private static readonly int[] Rows512 = { GemmSpec.RowTile512, 8, 4, 2, 1 };
    private static readonly int[] Rows256 = { GemmSpec.RowTile256, 4, 2, 1 };

    private static IEnumerable<GemmTile> Tiles512(GemmSpec gemm, WeightFormat format, string isa, int[] rows)
    {
        bool lastPairPartial = !gemm.HasOddPanel && gemm.LastPanelWidth < 16;
        foreach (int r in rows)
        {
            if (gemm.PanelPairs > 0)
            {
                yield return new GemmTile(format, isa, r, 2, 16);
            }
            if (gemm.PanelPairs > 0 && lastPairPartial)
            {
                yield return new GemmTile(format, isa, r, 2, gemm.LastPanelWidth);
            }
            if (gemm.HasOddPanel)
            {
                yield return new GemmTile(format, isa, r, 1, gemm.LastPanelWidth);
            }
        }
    }

    private static IEnumerable<GemmTile> Tiles256(GemmSpec gemm, WeightFormat format, string isa, int[] rows)
    {
        foreach (int r in rows)
        {
            if (gemm.Panels > 1 || gemm.LastPanelWidth == 16)
            {
                yield return new GemmTile(format, isa, r, 2, 8);
            }
            if (gemm.LastPanelWidth < 16)
            {
                yield return LastPanelTile256(gemm, format, isa, r);
            }
        }
    }

    private static GemmTile LastPanelTile256(GemmSpec gemm, WeightFormat format, string isa, int rows) =>
        gemm.LastPanelWidth > 8 ? new GemmTile(format, isa, rows, 2, gemm.LastPanelWidth - 8) : new GemmTile(format, isa, rows, 1, gemm.LastPanelWidth);

    private static void EmitGemmRun(SourceWriter w, GemmSpec gemm)
    {
        bool swiGlu = gemm.Activation == EpilogueActivation.SwiGlu;
        w.Line("/// <summary>Computes C = A·W + bias" + ActivationSuffix(gemm.Activation) + (swiGlu ? "" : " (+ residual)") + " for the first <paramref name=\"m\"/> rows.</summary>");
        w.Line($"/// <param name=\"a\">m rows of {gemm.K} floats, {gemm.Lda} floats apart.</param>");
        w.Line("/// <param name=\"m\">Rows (sequence positions × batch).</param>");
        w.Line(swiGlu ? $"/// <param name=\"weights\">Gate and up packed by <see cref=\"global::TransformerKernels.PackedLinear.PackGated\"/>: {gemm.N} columns, {gemm.K} inputs.</param>"
                      : $"/// <param name=\"weights\">The layer packed by <see cref=\"global::TransformerKernels.PackedLinear.Pack\"/> with {gemm.N} outputs and {gemm.K} inputs.</param>");
        w.Line(swiGlu ? "/// <param name=\"residual\">Must be null: the SwiGLU GEMM adds none.</param>"
                      : "/// <param name=\"residual\">Added last (after the activation), or null. May be the same memory as <paramref name=\"c\"/>.</param>");
        w.Line($"/// <param name=\"c\">m rows of {(swiGlu ? gemm.N / 2 : gemm.N)} floats, {gemm.Ldc} floats apart.</param>");
        using (w.Block("public static void Run(float* a, int m, global::TransformerKernels.PackedLinear weights, float* residual, float* c)"))
        {
            using (w.Block("if (weights.InputSize != K || weights.OutputSize != N)"))
            {
                w.Line("throw new global::System.ArgumentException($\"Weights are [{weights.OutputSize}, {weights.InputSize}]; this GEMM needs [{N}, {K}].\", nameof(weights));");
            }
            if (swiGlu)
            {
                w.Line("if (residual != null) throw new global::System.ArgumentException(\"The SwiGLU GEMM adds no residual; pass null.\", nameof(residual));");
            }
            w.Line("if (m <= 0) return;");
            using (w.Block("switch (weights.Precision)"))
            {
                w.Line("case global::TransformerKernels.WeightPrecision.Bf16: RunBf16(a, m, weights, residual, c); return;");
                w.Line("case global::TransformerKernels.WeightPrecision.Int8: RunInt8(a, m, weights, residual, c); return;");
            }
            w.Line("global::TransformerKernels.GemmArguments args = new() { A = a, M = m, Weights = weights.Weights, Bias = weights.Bias, Residual = residual, C = c };");
            EmitDispatch(w, int8: false, ("Avx512", gemm.Units512, "Avx512Units"), ("Avx2", gemm.Panels, "Avx2Units"), (null, gemm.Panels, "ScalarUnits"));
        }
        w.Line();
    }

    /// <summary>
    /// How a path's worker walks the columns: a unit of work is <see cref="Columns"/> columns; most units take the
    /// <see cref="Full"/> tile (all units when <see cref="Last"/> is null), units from <see cref="FullUnits"/> on take the
    /// <see cref="Last"/> one (all units when <see cref="Full"/> is null).
    /// </summary>
    private sealed record UnitPlan(string Summary, int Columns, int WeightsPerUnit, System.Func<int, GemmTile>? Full, string? FullUnits,
                                   System.Func<int, GemmTile>? Last, string LastComment);

    /// <summary>Avx512: unit u is two panels side by side (32 columns); a partial or odd last pair gets its own tiles.</summary>
    private static UnitPlan Plan512(GemmSpec gemm, WeightFormat format, string isa)
    {
        string summary = "unit u covers columns [32u, 32u + 32) — two panels side by side";
        int weights = 2 * PanelElements(format, gemm);
        GemmTile Full(int r) => new(format, isa, r, 2, 16);
        if (gemm.PanelPairs == 0)
        {
            return new UnitPlan(summary, 32, weights, null, null, r => new GemmTile(format, isa, r, 1, gemm.LastPanelWidth), "Fewer than 32 columns: the single panel is the whole matrix.");
        }
        if (gemm.HasOddPanel)
        {
            return new UnitPlan(summary, 32, weights, Full, "PanelPairs", r => new GemmTile(format, isa, r, 1, gemm.LastPanelWidth), "The odd last panel: one vector of columns.");
        }
        return gemm.LastPanelWidth < 16
            ? new UnitPlan(summary, 32, weights, Full, "PanelPairs - 1", r => new GemmTile(format, isa, r, 2, gemm.LastPanelWidth), $"The last pair: its second panel stores {gemm.LastPanelWidth} columns.")
            : new UnitPlan(summary, 32, weights, Full, null, null, "");
    }

    /// <summary>Avx2: unit u is panel u (16 columns as two Vector256); a partial last panel gets its own tiles.</summary>
    private static UnitPlan Plan256(GemmSpec gemm, WeightFormat format, string isa)
    {
        string summary = "unit u is panel u, columns [16u, 16u + 16) as two Vector256";
        int weights = PanelElements(format, gemm);
        GemmTile Full(int r) => new(format, isa, r, 2, 8);
        GemmTile Last(int r) => LastPanelTile256(gemm, format, isa, r);
        string lastComment = $"The last panel stores {gemm.LastPanelWidth} columns.";
        return gemm.LastPanelWidth == 16 ? new UnitPlan(summary, 16, weights, Full, null, null, "")
            : gemm.Panels > 1 ? new UnitPlan(summary, 16, weights, Full, "Panels - 1", Last, lastComment)
            : new UnitPlan(summary, 16, weights, null, null, Last, "The only panel is partial. " + lastComment);
    }

    /// <summary>One path's worker: claims units of columns and runs the plan's register tiles down the rows.</summary>
    private static void EmitGemmWorker(SourceWriter w, GemmSpec gemm, WeightFormat format, string isa, int[] rowTiles, UnitPlan plan)
    {
        w.Line($"/// <summary>{isa} path{FormatNote(format)}: {plan.Summary}.</summary>");
        w.Line("[global::System.Runtime.CompilerServices.MethodImpl(global::System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]");
        using (w.Block($"private static void {Prefix(format)}{isa}Units(void* state, int unitStart, int unitEnd)"))
        {
            w.Line("var g = (global::TransformerKernels.GemmArguments*)state;");
            using (w.Block("for (int unit = unitStart; unit < unitEnd; unit++)"))
            {
                w.Line($"int column = unit * {plan.Columns};");
                w.Line($"{WeightType(format)}* weights = g->{WeightField(format)} + (long)unit * {Num(plan.WeightsPerUnit)};");
                if (plan.Last is null)
                {
                    EmitRowLoop(w, plan.Full!, rowTiles);
                }
                else if (plan.Full is null)
                {
                    w.Line("// " + plan.LastComment);
                    EmitRowLoop(w, plan.Last, rowTiles);
                }
                else
                {
                    using (w.Block($"if (unit < {plan.FullUnits})"))
                    {
                        EmitRowLoop(w, plan.Full, rowTiles);
                    }
                    using (w.Block("else"))
                    {
                        w.Line("// " + plan.LastComment);
                        EmitRowLoop(w, plan.Last, rowTiles);
                    }
                }
            }
        }
        w.Line();
    }

    private static string FormatNote(WeightFormat format) => format switch
    {
        WeightFormat.Bf16 => " for BF16 weights (widened to FP32 in registers)",
        WeightFormat.Int8 => " for int8 weights",
        _ => "",
    };

    /// <summary>Full tiles of the largest row count, then at most one tile of each smaller power of two for the remainder.</summary>
    private static void EmitRowLoop(SourceWriter w, System.Func<int, GemmTile> tileFor, int[] rowTiles)
    {
        string Call(int rows) => $"{tileFor(rows).Name}(g, row, column, weights);";
        w.Line("int row = 0;");
        using (w.Block($"for (; row + {rowTiles[0]} <= g->M; row += {rowTiles[0]})"))
        {
            w.Line(Call(rowTiles[0]));
        }
        for (int i = 1; i < rowTiles.Length; i++)
        {
            using (w.Block($"if (g->M - row >= {rowTiles[i]})"))
            {
                w.Line(Call(rowTiles[i]));
                w.Line($"row += {rowTiles[i]};");
            }
        }
    }

    private static void EmitGemmWorkerScalar(SourceWriter w, GemmSpec gemm, WeightFormat format)
    {
        bool int8 = format == WeightFormat.Int8;
        w.Line($"/// <summary>Scalar path (no hardware vectors){FormatNote(format)}: unit u is panel u, one row at a time" +
               (int8 ? ", exact int32 dot products.</summary>" : ".</summary>"));
        w.Line("[global::System.Runtime.CompilerServices.MethodImpl(global::System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]");
        using (w.Block($"private static void {Prefix(format)}ScalarUnits(void* state, int unitStart, int unitEnd)"))
        {
            w.Line("var g = (global::TransformerKernels.GemmArguments*)state;");
            w.Line("float* sums = stackalloc float[16];");
            if (int8)
            {
                w.Line("int* dots = stackalloc int[16];");
            }
            using (w.Block("for (int unit = unitStart; unit < unitEnd; unit++)"))
            {
                w.Line("int column = unit * 16;");
                w.Line($"int width = unit == Panels - 1 ? {gemm.LastPanelWidth} : 16;");
                w.Line($"{WeightType(format)}* weights = g->{WeightField(format)} + (long)unit * {Num(PanelElements(format, gemm))};");
                using (w.Block("for (int row = 0; row < g->M; row++)"))
                {
                    if (int8)
                    {
                        w.Line("byte* a = g->QuantizedA + (long)row * Ldq;");
                        w.Line("for (int j = 0; j < 16; j++) dots[j] = 0;");
                        using (w.Block("for (int group = 0; group < Groups; group++)"))
                        {
                            w.Line("sbyte* packedRow = weights + group * 64;");
                            w.Line("for (int j = 0; j < 16; j++) dots[j] += a[4 * group] * packedRow[4 * j] + a[4 * group + 1] * packedRow[4 * j + 1] + a[4 * group + 2] * packedRow[4 * j + 2] + a[4 * group + 3] * packedRow[4 * j + 3];");
                        }
                        w.Line("float rowScale = g->RowScales[row], rowOffset = g->RowOffsets[row];");
                        w.Line("for (int j = 0; j < 16; j++) sums[j] = ((float)dots[j] * rowScale + rowOffset * (float)g->ColumnSums[column + j]) * g->ColumnScales[column + j];");
                    }
                    else
                    {
                        w.Line("float* a = g->A + (long)row * Lda;");
                        w.Line("for (int j = 0; j < 16; j++) sums[j] = 0f;");
                        using (w.Block("for (int k = 0; k < K; k++)"))
                        {
                            w.Line("float x = a[k];");
                            if (format == WeightFormat.Bf16)
                            {
                                w.Line("uint* pairs = (uint*)weights + (k >> 1) * 16;");
                                w.Line("for (int j = 0; j < 16; j++) sums[j] += x * global::System.BitConverter.UInt32BitsToSingle((k & 1) == 0 ? pairs[j] << 16 : pairs[j] & 0xFFFF0000u);");
                            }
                            else
                            {
                                w.Line("float* packedRow = weights + k * 16;");
                                w.Line("for (int j = 0; j < 16; j++) sums[j] += x * packedRow[j];");
                            }
                        }
                    }
                    EmitScalarEpilogue(w, gemm);
                }
            }
        }
        w.Line();
    }

    /// <summary>Writes sums[0..width) + bias, activated, + residual into row <c>row</c> of C at <c>column</c>.</summary>
    private static void EmitScalarEpilogue(SourceWriter w, GemmSpec gemm)
    {
        if (gemm.Activation == EpilogueActivation.SwiGlu)
        {
            w.Line("float* c = g->C + (long)row * Ldc + column / 2;");
            string Biased(string j) => gemm.Bias ? $"sums[{j}] + g->Bias[column + {j}]" : $"sums[{j}]";
            w.Line($"for (int j = 0; j < 8; j++) c[j] = global::TransformerKernels.VectorMath.Silu({Biased("j")}) * ({Biased("j + 8")});");
            return;
        }
        w.Line("float* c = g->C + (long)row * Ldc + column;");
        w.Line("float* residual = g->Residual == null ? null : g->Residual + (long)row * Ldc + column;");
        using (w.Block("for (int j = 0; j < width; j++)"))
        {
            w.Line($"float value = {ApplyActivation(gemm.Activation, gemm.Bias ? "sums[j] + g->Bias[column + j]" : "sums[j]", null)};");
            w.Line("c[j] = residual == null ? value : value + residual[j];");
        }
    }

    /// <summary>BF16 weights: the FP32 workers' shape with the weight loads widened; A, C and the arithmetic stay FP32.</summary>
    private static void EmitGemmRunBf16(SourceWriter w, GemmSpec gemm)
    {
        using (w.Block("private static void RunBf16(float* a, int m, global::TransformerKernels.PackedLinear weights, float* residual, float* c)"))
        {
            w.Line("global::TransformerKernels.GemmArguments args = new() { A = a, M = m, Bf16Weights = weights.LowPrecision!.Bf16, Bias = weights.Bias, Residual = residual, C = c };");
            EmitDispatch(w, int8: false, ("Avx512", gemm.Units512, "Bf16Avx512Units"), ("Avx2", gemm.Panels, "Bf16Avx2Units"), (null, gemm.Panels, "Bf16ScalarUnits"));
        }
        w.Line();
    }

    /// <summary>Hands each path's worker to the thread pool (<see cref="EmitPathSwitch"/>).</summary>
    private static void EmitDispatch(SourceWriter w, bool int8, params (string? Path, int Units, string Worker)[] cases)
    {
        w.Line("long flops = 2L * m * K * N;");
        EmitPathSwitch(w, int8, [.. cases.Select(c => (c.Path, $"global::TransformerKernels.KernelThreads.Run({Num(c.Units)}, &{c.Worker}, &args, flops);"))]);
    }

    private static void EmitGemmTile(SourceWriter w, GemmSpec gemm, GemmTile tile)
    {
        if (tile.Format == WeightFormat.Int8)
        {
            EmitGemmTileInt8(w, gemm, tile);
            return;
        }
        string v = tile.VectorType;
        string fma = tile.Isa == "Avx512" ? "Avx512F.FusedMultiplyAdd" : "Fma.MultiplyAdd";
        w.Line($"/// <summary>{tile.Rows} rows × {tile.Vectors * tile.Lanes} columns" +
               (tile.LastLanes == tile.Lanes ? "" : $" ({(tile.Vectors - 1) * tile.Lanes + tile.LastLanes} stored)") +
               $": {tile.Rows * tile.Vectors} {v} accumulators stay in registers for all {gemm.K} steps of k.</summary>");
        w.Line("[global::System.Runtime.CompilerServices.MethodImpl(global::System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]");
        bool loopedActivation = gemm.Activation is EpilogueActivation.Gelu or EpilogueActivation.GeluTanh or EpilogueActivation.SwiGlu;
        if (loopedActivation)
        {
            w.Line("[global::System.Runtime.CompilerServices.SkipLocalsInit] // the stack tile is fully written before it is read");
        }
        using (w.Block($"private static void {tile.Name}(global::TransformerKernels.GemmArguments* g, int row, int column, {WeightType(tile.Format)}* weights)"))
        {
            w.Line("float* a = g->A + (long)row * Lda;");
            if (gemm.Bias)
            {
                w.Line("float* bias = g->Bias + column;");
            }
            EmitOutputPointers(w, gemm);
            for (int r = 0; r < tile.Rows; r++)
            {
                var names = new List<string>();
                for (int j = 0; j < tile.Vectors; j++)
                {
                    names.Add($"acc{r}{Sub(j)} = {v}<float>.Zero");
                }
                w.Line($"{v}<float> {string.Join(", ", names)};");
            }
            if (tile.Format == WeightFormat.Bf16)
            {
                EmitBf16TileLoop(w, gemm, tile, fma);
            }
            else
            {
                using (w.Block("for (int k = 0; k < K; k++, a++, weights += 16)"))
                {
                    for (int j = 0; j < tile.Vectors; j++)
                    {
                        string offset = tile.WeightOffset(j, gemm);
                        w.Line($"{v}<float> w{j} = {v}.Load(weights" + (offset == "0" ? "" : " + " + offset) + ");");
                    }
                    EmitWeightPrefetch(w, gemm, tile);
                    EmitTileFmas(w, gemm, tile, fma, "w", "");
                }
            }
            string plusBias = gemm.Bias ? " + bias" : "";
            w.Line(loopedActivation
                ? $"// Epilogue:{plusBias} into a stack tile; then {(gemm.Activation == EpilogueActivation.SwiGlu ? "SiLU(gate)·up" : "GELU")} row by row in a loop (inlined once per vector, not once per accumulator:"
                  + " that made the tile ~17 KB of code)" + (gemm.Activation == EpilogueActivation.SwiGlu ? "." : ", then + residual.")
                : $"// Epilogue:{plusBias}" + ActivationSuffix(gemm.Activation) + ", then + residual, straight from the accumulators.");
            if (gemm.Bias)
            {
                for (int j = 0; j < tile.Vectors; j++)
                {
                    w.Line($"{v}<float> bias{j} = {v}.Load(bias + {j * tile.Lanes});");
                }
            }
            string Biased(int r, int j) => gemm.Bias ? $"acc{r}{Sub(j)} + bias{j}" : $"acc{r}{Sub(j)}";
            string Offset(int r, int j) => Num(r * gemm.Ldc + j * tile.Lanes);
            if (loopedActivation)
            {
                int width = tile.Vectors * tile.Lanes;
                w.Line($"float* sums = stackalloc float[{tile.Rows * width}];");
                for (int r = 0; r < tile.Rows; r++)
                {
                    for (int j = 0; j < tile.Vectors; j++)
                    {
                        w.Line($"{v}.Store({Biased(r, j)}, sums + {r * width + j * tile.Lanes});");
                    }
                }
                EmitStackTileEpilogue(w, gemm, tile);
            }
            else
            {
                foreach (bool withResidual in new[] { false, true })
                {
                    using (w.Block(withResidual ? "else" : "if (residual == null)"))
                    {
                        for (int r = 0; r < tile.Rows; r++)
                        {
                            for (int j = 0; j < tile.Vectors; j++)
                            {
                                string value = ApplyActivation(gemm.Activation, Biased(r, j), v);
                                w.Line(StoreLanes(tile, withResidual ? $"{value} + {LoadLanes(tile, "residual", Offset(r, j), j)}" : value, Offset(r, j), j));
                            }
                        }
                    }
                }
            }
        }
        w.Line();
    }

    /// <summary>
    /// BF16 tiles step through k two at a time: one 32-bit word per column holds the BF16 weights of k (low half) and k + 1
    /// (high half), so one load, one shift and one mask give both FP32 vectors (zero-extending 16 BF16 values and shifting
    /// costs a shuffle per vector: measured 91% of the FP32 tile's speed in L1/L2, against 99% for this layout). An odd K
    /// ends with one step on the low halves.
    /// </summary>
    private static void EmitBf16TileLoop(SourceWriter w, GemmSpec gemm, GemmTile tile, string fma)
    {
        string v = tile.VectorType;
        w.Line($"{v}<uint> highHalves = {v}.Create(0xFFFF0000u);");
        void LoadPairs()
        {
            for (int j = 0; j < tile.Vectors; j++)
            {
                string offset = tile.WeightOffset(j, gemm);
                w.Line($"{v}<uint> pair{j} = {v}.Load((uint*)(weights" + (offset == "0" ? "" : " + " + offset) + "));");
            }
        }
        using (w.Block("for (int k = 0; k + 1 < K; k += 2, a += 2, weights += 32)"))
        {
            LoadPairs();
            EmitWeightPrefetch(w, gemm, tile);
            for (int j = 0; j < tile.Vectors; j++)
            {
                w.Line($"{v}<float> even{j} = (pair{j} << 16).AsSingle(), odd{j} = (pair{j} & highHalves).AsSingle();");
            }
            EmitTileFmas(w, gemm, tile, fma, "even", "");
            EmitTileFmas(w, gemm, tile, fma, "odd", " + 1", declare: false);
        }
        if (gemm.K % 2 == 1)
        {
            w.Line("// K is odd: the last k is the low half of the last pair.");
            using (w.Block(""))
            {
                LoadPairs();
                for (int j = 0; j < tile.Vectors; j++)
                {
                    w.Line($"{v}<float> even{j} = (pair{j} << 16).AsSingle();");
                }
                EmitTileFmas(w, gemm, tile, fma, "even", "");
            }
        }
    }

    /// <summary>The widest tile reads each panel first (later tiles find it in L2) and prefetches it.</summary>
    private static void EmitWeightPrefetch(SourceWriter w, GemmSpec gemm, GemmTile tile)
    {
        if (tile.Isa == "Avx512" && tile.Rows == GemmSpec.RowTile512)
        {
            // Fetching 32 steps of k ahead keeps the weight stream from memory in step with the FMAs when few rows share it
            // (measured: seq 16 MiniLM −7%, seq 128 −2%; 64 steps ahead gained less). BF16 steps two k per line of 64 bytes.
            for (int j = 0; j < tile.Vectors; j++)
            {
                string offset = tile.WeightOffset(j, gemm);
                w.Line($"Sse.Prefetch0(weights + {(offset == "0" ? "" : offset + " + ")}512);");
            }
        }
    }

    /// <summary>One step of k: each row's A value broadcast into <c>x</c> (declared by the first step) and multiplied into the row's accumulators.</summary>
    private static void EmitTileFmas(SourceWriter w, GemmSpec gemm, GemmTile tile, string fma, string weightName, string kOffset, bool declare = true)
    {
        string v = tile.VectorType;
        for (int r = 0; r < tile.Rows; r++)
        {
            string a = r == 0 ? (kOffset.Length == 0 ? "a[0]" : "a[1]") : $"a[{Num(r * gemm.Lda)}{kOffset}]";
            var line = $"{(r == 0 && declare ? v + "<float> " : "")}x = {v}.Create({a});";
            for (int j = 0; j < tile.Vectors; j++)
            {
                line += $" acc{r}{Sub(j)} = {fma}(x, {weightName}{j}, acc{r}{Sub(j)});";
            }
            w.Line(line);
        }
    }

    /// <summary>
    /// The tile's values (bias added) wait in <c>sums</c> on the stack; activation and residual are applied row by row in a
    /// loop (GELU inlined once per vector, not once per accumulator: that made a tile ~17 KB of code), and C is written once,
    /// after the residual is read, since C may be the residual's memory.
    /// </summary>
    private static void EmitStackTileEpilogue(SourceWriter w, GemmSpec gemm, GemmTile tile)
    {
        string v = tile.VectorType;
        int width = tile.Vectors * tile.Lanes;
        if (gemm.Activation == EpilogueActivation.SwiGlu)
        {
            EmitSwiGluEpilogue(w, tile, width);
            return;
        }
        using (w.Block($"for (int r = 0; r < {tile.Rows}; r++, c += Ldc, sums += {width})"))
        {
            for (int j = 0; j < tile.Vectors; j++)
            {
                string offset = Num(j * tile.Lanes);
                w.Line($"{v}<float> row{j} = {ApplyActivation(gemm.Activation, $"{v}.Load(sums + {offset})", v)};");
                w.Line(StoreLanes(tile, $"residual == null ? row{j} : row{j} + {LoadLanes(tile, "residual", offset, j)}", offset, j));
            }
            w.Line("if (residual != null) residual += Ldc;");
        }
    }

    /// <summary>
    /// SwiGLU: each 16 columns of a stack-tile row are 8 gates then the same 8 hidden units' ups; their products go to C at
    /// column/2. A 32-column tile gathers its two panels' gates and ups into one Vector512 each, so SiLU runs on 16 lanes.
    /// </summary>
    private static void EmitSwiGluEpilogue(SourceWriter w, GemmTile tile, int width)
    {
        const string silu = "global::TransformerKernels.VectorMath.Silu";
        using (w.Block($"for (int r = 0; r < {tile.Rows}; r++, c += Ldc, sums += {width})"))
        {
            if (width == 32)
            {
                w.Line("Vector512<float> gate = Vector512.Create(Vector256.Load(sums), Vector256.Load(sums + 16)), up = Vector512.Create(Vector256.Load(sums + 8), Vector256.Load(sums + 24));");
                w.Line($"Vector512.Store({silu}(gate) * up, c);");
            }
            else
            {
                w.Line($"Vector256.Store({silu}(Vector256.Load(sums)) * Vector256.Load(sums + 8), c);");
            }
        }
    }

    /// <summary>
    /// The tile's C (and residual) at its first row and column; a SwiGLU GEMM writes half as many columns as it computes and
    /// takes no residual.
    /// </summary>
    private static void EmitOutputPointers(SourceWriter w, GemmSpec gemm)
    {
        if (gemm.Activation == EpilogueActivation.SwiGlu)
        {
            w.Line("float* c = g->C + (long)row * Ldc + column / 2;");
            return;
        }
        w.Line("float* residual = g->Residual == null ? null : g->Residual + (long)row * Ldc + column;");
        w.Line("float* c = g->C + (long)row * Ldc + column;");
    }

    private static bool PartialVector(GemmTile tile, int j) => j == tile.Vectors - 1 && tile.LastLanes != tile.Lanes;

    private static string LoadLanes(GemmTile tile, string pointer, string offset, int j) => PartialVector(tile, j)
        ? $"global::TransformerKernels.Lanes.{(tile.Wide ? "LoadFirst" : "LoadFirst256")}({pointer} + {offset}, {tile.LastLanes})"
        : $"{tile.VectorType}.Load({pointer} + {offset})";

    private static string StoreLanes(GemmTile tile, string value, string offset, int j) => PartialVector(tile, j)
        ? $"global::TransformerKernels.Lanes.StoreFirst({value}, c + {offset}, {tile.LastLanes});"
        : $"{tile.VectorType}.Store({value}, c + {offset});";

    private static string Sub(int j) => "_" + j.ToString(CultureInfo.InvariantCulture);

    private static string Num(int n) => n.ToString(CultureInfo.InvariantCulture);

    private static string ActivationSuffix(EpilogueActivation activation) => activation switch
    {
        EpilogueActivation.Relu => ", ReLU",
        EpilogueActivation.Gelu => ", GELU (erf)",
        EpilogueActivation.GeluTanh => ", GELU (tanh)",
        EpilogueActivation.SwiGlu => ", SiLU(gate)·up",
        _ => "",
    };

    /// <summary>Wraps an expression in the activation; <paramref name="vectorType"/> is null for scalar code.</summary>
    private static string ApplyActivation(EpilogueActivation activation, string expression, string? vectorType) => activation switch
    {
        EpilogueActivation.Relu => $"global::TransformerKernels.VectorMath.Relu({expression})",
        EpilogueActivation.Gelu => $"global::TransformerKernels.VectorMath.Gelu({expression})",
        EpilogueActivation.GeluTanh => $"global::TransformerKernels.VectorMath.GeluTanh({expression})",
        _ => vectorType is null ? expression : $"({expression})",
    };
}
