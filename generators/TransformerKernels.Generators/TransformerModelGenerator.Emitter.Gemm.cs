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
    /// vector storing only <c>LastLanes</c> lanes (a partial last panel).
    /// </summary>
    private sealed record GemmTile(string Isa, int Rows, int Vectors, int LastLanes)
    {
        public int Lanes => Isa == "Avx512" ? 16 : 8;

        public string Name => $"{Isa}Tile{Rows}x{Vectors * Lanes}" + (LastLanes == Lanes ? "" : $"Keep{(Vectors - 1) * Lanes + LastLanes}");

        public string VectorType => Isa == "Avx512" ? "Vector512" : "Vector256";

        /// <summary>Offset in floats of vector v inside one packed row: Vector512 tiles span two panels, AVX2 tiles one.</summary>
        public string WeightOffset(int vector, int k) =>
            Isa == "Avx512" ? (vector == 0 ? "0" : Num(16 * k)) : Num(8 * vector);
    }

    /// <summary>Writes {Class}.{Gemm}.g.cs: one GEMM class with its dispatch, per-path workers and register tiles.</summary>
    private static string EmitGemm(ModelSpec model, GemmSpec gemm)
    {
        var w = new SourceWriter();
        using (OpenModelClass(w, model, "using global::System.Runtime.Intrinsics;", "using global::System.Runtime.Intrinsics.X86;"))
        using (w.Block("partial class Kernels"))
        {
            w.Line($"/// <summary>C[m×{gemm.N}] = A[m×{gemm.K}]·W + bias{ActivationSuffix(gemm.Activation)} (+ residual). Used by: {gemm.Roles}.</summary>");
            w.Line("/// <remarks>");
            w.Line($"/// W is prepacked in {gemm.Panels} panels of 16 columns × {gemm.K} rows" +
                   (gemm.LastPanelWidth == 16 ? "." : $"; the last panel stores {gemm.LastPanelWidth} columns."));
            w.Line($"/// Avx512: {gemm.PanelPairs} unit(s) of 12×32 tiles (two panels)" + (gemm.HasOddPanel ? " + 1 unit of 12×16 tiles (the odd last panel)" : "") +
                   "; AVX2: one unit per panel, 6×16 tiles. Remainder rows use tiles of 8, 4, 2, 1 (Avx512) or 4, 2, 1 (AVX2).");
            w.Line("/// Units are split over threads; each output element is computed by the same instructions on any thread.");
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
                EmitGemmWorker512(w, gemm);
                EmitGemmWorker256(w, gemm);
                EmitGemmWorkerScalar(w, gemm);
                foreach (GemmTile tile in TilesOf(gemm))
                {
                    EmitGemmTile(w, gemm, tile);
                }
            }
        }
        return w.ToString();
    }

    private static IEnumerable<GemmTile> TilesOf(GemmSpec gemm)
    {
        int[] rows512 = { GemmSpec.RowTile512, 8, 4, 2, 1 };
        int[] rows256 = { GemmSpec.RowTile256, 4, 2, 1 };
        bool lastPairPartial = !gemm.HasOddPanel && gemm.LastPanelWidth < 16;
        foreach (int r in rows512)
        {
            if (gemm.PanelPairs > 0)
            {
                yield return new GemmTile("Avx512", r, 2, 16);
            }
            if (gemm.PanelPairs > 0 && lastPairPartial)
            {
                yield return new GemmTile("Avx512", r, 2, gemm.LastPanelWidth);
            }
            if (gemm.HasOddPanel)
            {
                yield return new GemmTile("Avx512", r, 1, gemm.LastPanelWidth);
            }
        }
        foreach (int r in rows256)
        {
            if (gemm.Panels > 1 || gemm.LastPanelWidth == 16)
            {
                yield return new GemmTile("Avx2", r, 2, 8);
            }
            if (gemm.LastPanelWidth < 16)
            {
                yield return LastPanelTile256(gemm, r);
            }
        }
    }

    private static GemmTile LastPanelTile256(GemmSpec gemm, int rows) =>
        gemm.LastPanelWidth > 8 ? new GemmTile("Avx2", rows, 2, gemm.LastPanelWidth - 8) : new GemmTile("Avx2", rows, 1, gemm.LastPanelWidth);

    private static void EmitGemmRun(SourceWriter w, GemmSpec gemm)
    {
        w.Line("/// <summary>Computes C = A·W + bias" + ActivationSuffix(gemm.Activation) + " (+ residual) for the first <paramref name=\"m\"/> rows.</summary>");
        w.Line($"/// <param name=\"a\">m rows of {gemm.K} floats, {gemm.Lda} floats apart.</param>");
        w.Line("/// <param name=\"m\">Rows (sequence positions × batch).</param>");
        w.Line($"/// <param name=\"weights\">The layer packed by <see cref=\"global::TransformerKernels.PackedLinear.Pack\"/> with {gemm.N} outputs and {gemm.K} inputs.</param>");
        w.Line("/// <param name=\"residual\">Added last (after the activation), or null. May be the same memory as <paramref name=\"c\"/>.</param>");
        w.Line($"/// <param name=\"c\">m rows of {gemm.N} floats, {gemm.Ldc} floats apart.</param>");
        using (w.Block("public static void Run(float* a, int m, global::TransformerKernels.PackedLinear weights, float* residual, float* c)"))
        {
            using (w.Block("if (weights.InputSize != K || weights.OutputSize != N)"))
            {
                w.Line("throw new global::System.ArgumentException($\"Weights are [{weights.OutputSize}, {weights.InputSize}]; this GEMM needs [{N}, {K}].\", nameof(weights));");
            }
            w.Line("if (m <= 0) return;");
            w.Line("global::TransformerKernels.GemmArguments args = new() { A = a, M = m, Weights = weights.Weights, Bias = weights.Bias, Residual = residual, C = c };");
            w.Line("long flops = 2L * m * K * N;");
            using (w.Block("switch (global::TransformerKernels.KernelPaths.Active)"))
            {
                w.Line("case global::TransformerKernels.KernelPath.Avx512:");
                w.Line($"    global::TransformerKernels.KernelThreads.Run({gemm.Units512}, &Avx512Units, &args, flops);");
                w.Line("    break;");
                w.Line("case global::TransformerKernels.KernelPath.Avx2:");
                w.Line("    global::TransformerKernels.KernelThreads.Run(Panels, &Avx2Units, &args, flops);");
                w.Line("    break;");
                w.Line("default:");
                w.Line("    global::TransformerKernels.KernelThreads.Run(Panels, &ScalarUnits, &args, flops);");
                w.Line("    break;");
            }
        }
        w.Line();
    }

    private static void EmitGemmWorker512(SourceWriter w, GemmSpec gemm)
    {
        w.Line("/// <summary>Vector512 path: unit u covers columns [32u, 32u + 32) — two panels side by side.</summary>");
        w.Line("[global::System.Runtime.CompilerServices.MethodImpl(global::System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]");
        using (w.Block("private static void Avx512Units(void* state, int unitStart, int unitEnd)"))
        {
            w.Line("var g = (global::TransformerKernels.GemmArguments*)state;");
            using (w.Block("for (int unit = unitStart; unit < unitEnd; unit++)"))
            {
                w.Line("int column = unit * 32;");
                w.Line($"float* weights = g->Weights + (long)unit * {Num(32 * gemm.K)};");
                bool lastPairPartial = !gemm.HasOddPanel && gemm.LastPanelWidth < 16;
                if (gemm.PanelPairs > 0)
                {
                    string condition = gemm.HasOddPanel ? "if (unit < PanelPairs)" : (lastPairPartial ? "if (unit < PanelPairs - 1)" : "");
                    if (condition.Length == 0)
                    {
                        EmitRowLoop(w, gemm, r => new GemmTile("Avx512", r, 2, 16), new[] { 12, 8, 4, 2, 1 });
                    }
                    else
                    {
                        using (w.Block(condition))
                        {
                            EmitRowLoop(w, gemm, r => new GemmTile("Avx512", r, 2, 16), new[] { 12, 8, 4, 2, 1 });
                        }
                        using (w.Block("else"))
                        {
                            w.Line(gemm.HasOddPanel ? "// The odd last panel: one vector of columns." : $"// The last pair: its second panel stores {gemm.LastPanelWidth} columns.");
                            EmitRowLoop(w, gemm, r => gemm.HasOddPanel ? new GemmTile("Avx512", r, 1, gemm.LastPanelWidth) : new GemmTile("Avx512", r, 2, gemm.LastPanelWidth), new[] { 12, 8, 4, 2, 1 });
                        }
                    }
                }
                else
                {
                    w.Line("// Fewer than 32 columns: the single panel is the whole matrix.");
                    EmitRowLoop(w, gemm, r => new GemmTile("Avx512", r, 1, gemm.LastPanelWidth), new[] { 12, 8, 4, 2, 1 });
                }
            }
        }
        w.Line();
    }

    private static void EmitGemmWorker256(SourceWriter w, GemmSpec gemm)
    {
        w.Line("/// <summary>AVX2 path: unit u is panel u, columns [16u, 16u + 16) as two Vector256.</summary>");
        w.Line("[global::System.Runtime.CompilerServices.MethodImpl(global::System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]");
        using (w.Block("private static void Avx2Units(void* state, int unitStart, int unitEnd)"))
        {
            w.Line("var g = (global::TransformerKernels.GemmArguments*)state;");
            using (w.Block("for (int unit = unitStart; unit < unitEnd; unit++)"))
            {
                w.Line("int column = unit * 16;");
                w.Line($"float* weights = g->Weights + (long)unit * {Num(16 * gemm.K)};");
                if (gemm.LastPanelWidth == 16)
                {
                    EmitRowLoop(w, gemm, r => new GemmTile("Avx2", r, 2, 8), new[] { 6, 4, 2, 1 });
                }
                else
                {
                    if (gemm.Panels > 1)
                    {
                        using (w.Block("if (unit < Panels - 1)"))
                        {
                            EmitRowLoop(w, gemm, r => new GemmTile("Avx2", r, 2, 8), new[] { 6, 4, 2, 1 });
                        }
                    }
                    using (w.Block(gemm.Panels > 1 ? "else" : "// The only panel is partial."))
                    {
                        w.Line($"// The last panel stores {gemm.LastPanelWidth} columns.");
                        EmitRowLoop(w, gemm, r => LastPanelTile256(gemm, r), new[] { 6, 4, 2, 1 });
                    }
                }
            }
        }
        w.Line();
    }

    /// <summary>Full tiles of the largest row count, then at most one tile of each smaller power of two for the remainder.</summary>
    private static void EmitRowLoop(SourceWriter w, GemmSpec gemm, System.Func<int, GemmTile> tileFor, int[] rowTiles)
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

    private static void EmitGemmWorkerScalar(SourceWriter w, GemmSpec gemm)
    {
        w.Line("/// <summary>Scalar path (no hardware vectors): unit u is panel u, one row at a time.</summary>");
        w.Line("[global::System.Runtime.CompilerServices.MethodImpl(global::System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]");
        using (w.Block("private static void ScalarUnits(void* state, int unitStart, int unitEnd)"))
        {
            w.Line("var g = (global::TransformerKernels.GemmArguments*)state;");
            w.Line("float* sums = stackalloc float[16];");
            using (w.Block("for (int unit = unitStart; unit < unitEnd; unit++)"))
            {
                w.Line("int column = unit * 16;");
                w.Line($"int width = unit == Panels - 1 ? {gemm.LastPanelWidth} : 16;");
                w.Line($"float* weights = g->Weights + (long)unit * {Num(16 * gemm.K)};");
                using (w.Block("for (int row = 0; row < g->M; row++)"))
                {
                    w.Line("float* a = g->A + (long)row * Lda;");
                    w.Line("for (int j = 0; j < 16; j++) sums[j] = 0f;");
                    using (w.Block("for (int k = 0; k < K; k++)"))
                    {
                        w.Line("float x = a[k];");
                        w.Line("float* packedRow = weights + k * 16;");
                        w.Line("for (int j = 0; j < 16; j++) sums[j] += x * packedRow[j];");
                    }
                    w.Line("float* c = g->C + (long)row * Ldc + column;");
                    w.Line("float* residual = g->Residual == null ? null : g->Residual + (long)row * Ldc + column;");
                    using (w.Block("for (int j = 0; j < width; j++)"))
                    {
                        w.Line($"float value = {ApplyActivation(gemm.Activation, "sums[j] + g->Bias[column + j]", null)};");
                        w.Line("c[j] = residual == null ? value : value + residual[j];");
                    }
                }
            }
        }
        w.Line();
    }

    private static void EmitGemmTile(SourceWriter w, GemmSpec gemm, GemmTile tile)
    {
        string v = tile.VectorType;
        string fma = tile.Isa == "Avx512" ? "Avx512F.FusedMultiplyAdd" : "Fma.MultiplyAdd";
        w.Line($"/// <summary>{tile.Rows} rows × {tile.Vectors * tile.Lanes} columns" +
               (tile.LastLanes == tile.Lanes ? "" : $" ({(tile.Vectors - 1) * tile.Lanes + tile.LastLanes} stored)") +
               $": {tile.Rows * tile.Vectors} {v} accumulators stay in registers for all {gemm.K} steps of k.</summary>");
        w.Line("[global::System.Runtime.CompilerServices.MethodImpl(global::System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]");
        if (gemm.Activation is EpilogueActivation.Gelu or EpilogueActivation.GeluTanh)
        {
            w.Line("[global::System.Runtime.CompilerServices.SkipLocalsInit] // the stack tile is fully written before it is read");
        }
        using (w.Block($"private static void {tile.Name}(global::TransformerKernels.GemmArguments* g, int row, int column, float* weights)"))
        {
            w.Line("float* a = g->A + (long)row * Lda;");
            w.Line("float* bias = g->Bias + column;");
            w.Line("float* residual = g->Residual == null ? null : g->Residual + (long)row * Ldc + column;");
            w.Line("float* c = g->C + (long)row * Ldc + column;");
            for (int r = 0; r < tile.Rows; r++)
            {
                var names = new List<string>();
                for (int j = 0; j < tile.Vectors; j++)
                {
                    names.Add($"acc{r}{Sub(j)} = {v}<float>.Zero");
                }
                w.Line($"{v}<float> {string.Join(", ", names)};");
            }
            using (w.Block("for (int k = 0; k < K; k++, a++, weights += 16)"))
            {
                for (int j = 0; j < tile.Vectors; j++)
                {
                    string offset = tile.WeightOffset(j, gemm.K);
                    w.Line($"{v}<float> w{j} = {v}.Load(weights" + (offset == "0" ? "" : " + " + offset) + ");");
                }
                if (tile.Isa == "Avx512" && tile.Rows == GemmSpec.RowTile512)
                {
                    // The widest tile reads each panel first (later tiles find it in L2): fetching 32 steps of k ahead keeps the
                    // weight stream from memory in step with the FMAs when few rows share it (measured: seq 16 MiniLM −7%,
                    // seq 128 −2%; 64 steps ahead gained less).
                    for (int j = 0; j < tile.Vectors; j++)
                    {
                        string offset = tile.WeightOffset(j, gemm.K);
                        w.Line($"Sse.Prefetch0(weights + {(offset == "0" ? "" : offset + " + ")}512);");
                    }
                }
                for (int r = 0; r < tile.Rows; r++)
                {
                    string a = r == 0 ? "a[0]" : $"a[{Num(r * gemm.Lda)}]";
                    var line = $"{(r == 0 ? v + "<float> " : "")}x = {v}.Create({a});";
                    for (int j = 0; j < tile.Vectors; j++)
                    {
                        line += $" acc{r}{Sub(j)} = {fma}(x, w{j}, acc{r}{Sub(j)});";
                    }
                    w.Line(line);
                }
            }
            bool loopedActivation = gemm.Activation is EpilogueActivation.Gelu or EpilogueActivation.GeluTanh;
            w.Line(loopedActivation
                ? "// Epilogue: + bias into C; then GELU row by row in a loop (inlined once per vector, not once per accumulator:"
                  + " that made the tile ~17 KB of code), then + residual."
                : "// Epilogue: + bias" + ActivationSuffix(gemm.Activation) + ", then + residual, straight from the accumulators.");
            for (int j = 0; j < tile.Vectors; j++)
            {
                w.Line($"{v}<float> bias{j} = {v}.Load(bias + {j * tile.Lanes});");
            }
            string Offset(int r, int j) => Num(r * gemm.Ldc + j * tile.Lanes);
            bool Partial(int j) => j == tile.Vectors - 1 && tile.LastLanes != tile.Lanes;
            string Load(string pointer, string offset, int j) => Partial(j)
                ? $"global::TransformerKernels.Lanes.{(tile.Isa == "Avx512" ? "LoadFirst" : "LoadFirst256")}({pointer} + {offset}, {tile.LastLanes})"
                : $"{v}.Load({pointer} + {offset})";
            string Store(string value, string offset, int j) => Partial(j)
                ? $"global::TransformerKernels.Lanes.StoreFirst({value}, c + {offset}, {tile.LastLanes});"
                : $"{v}.Store({value}, c + {offset});";
            if (loopedActivation)
            {
                // Through a tile on the stack, so C is written once, after the residual is read: C may be the residual's memory.
                int width = tile.Vectors * tile.Lanes;
                w.Line($"float* sums = stackalloc float[{tile.Rows * width}];");
                for (int r = 0; r < tile.Rows; r++)
                {
                    for (int j = 0; j < tile.Vectors; j++)
                    {
                        w.Line($"{v}.Store(acc{r}{Sub(j)} + bias{j}, sums + {r * width + j * tile.Lanes});");
                    }
                }
                using (w.Block($"for (int r = 0; r < {tile.Rows}; r++, c += Ldc, sums += {width})"))
                {
                    for (int j = 0; j < tile.Vectors; j++)
                    {
                        string offset = Num(j * tile.Lanes);
                        w.Line($"{v}<float> row{j} = {ApplyActivation(gemm.Activation, $"{v}.Load(sums + {offset})", v)};");
                        w.Line(Store($"residual == null ? row{j} : row{j} + {Load("residual", offset, j)}", offset, j));
                    }
                    w.Line("if (residual != null) residual += Ldc;");
                }
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
                                string value = ApplyActivation(gemm.Activation, $"acc{r}{Sub(j)} + bias{j}", v);
                                w.Line(Store(withResidual ? $"{value} + {Load("residual", Offset(r, j), j)}" : value, Offset(r, j), j));
                            }
                        }
                    }
                }
            }
        }
        w.Line();
    }

    private static string Sub(int j) => "_" + j.ToString(CultureInfo.InvariantCulture);

    private static string Num(int n) => n.ToString(CultureInfo.InvariantCulture);

    private static string ActivationSuffix(EpilogueActivation activation) => activation switch
    {
        EpilogueActivation.Relu => ", ReLU",
        EpilogueActivation.Gelu => ", GELU (erf)",
        EpilogueActivation.GeluTanh => ", GELU (tanh)",
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
