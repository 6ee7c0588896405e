using System.Linq;
using TransformerKernels.Generators.Helpers;
using TransformerKernels.Generators.Model;

namespace TransformerKernels.Generators;

public sealed partial class TransformerModelGenerator
{
    /// <summary>
    /// Int8 row tiles per path: Vector512 VPMADDUBSW + VPMADDWD (12 rows: 24 accumulators + 2 weights + ones + broadcast + product
    /// = 29 of 32 zmm; 8 rows measured the same on Zen 4), Vector256 VPDPBUSD (VEX: 16 ymm), Vector256 AVX2.
    /// </summary>
    private static readonly int[] RowsInt8Avx512 = { 12, 8, 4, 2, 1 };
    private static readonly int[] RowsInt8Vnni = { 6, 4, 2, 1 };
    private static readonly int[] RowsInt8Avx2 = { 4, 2, 1 };

    /// <summary>
    /// The int8 members of a GEMM class: <c>RunInt8</c> quantizes A per row, then the active int8 path's workers multiply
    /// u8 activations by s8 weights into int32 accumulators and dequantize in the epilogue:
    /// C = colScale · (rowScale · Σ u·q + rowOffset · Σ q) + bias, activated, + residual.
    /// </summary>
    private static void EmitGemmInt8(SourceWriter w, GemmSpec gemm)
    {
        w.Line("/// <summary>Int8: groups of 4 inputs per int32 lane.</summary>");
        w.Line($"private const int Groups = {gemm.Groups};");
        w.Line("/// <summary>Int8: bytes between rows of quantized A.</summary>");
        w.Line($"private const int Ldq = {gemm.Ldq};");
        w.Line();
        w.Line("/// <summary>Int8 weights: quantize A per row into per-thread scratch, then run the active int8 path.</summary>");
        using (w.Block("private static void RunInt8(float* a, int m, global::TransformerKernels.PackedLinear weights, float* residual, float* c)"))
        {
            w.Line("global::TransformerKernels.LowPrecisionWeights int8 = weights.LowPrecision!;");
            w.Line("long rowBytes = ((long)m * sizeof(float) + 63) & ~63L;");
            w.Line("byte* scratch = global::TransformerKernels.QuantizationScratch.Rent(2 * rowBytes + (long)m * Ldq);");
            w.Line("float* rowScales = (float*)scratch;");
            w.Line("float* rowOffsets = (float*)(scratch + rowBytes);");
            w.Line("byte* quantized = scratch + 2 * rowBytes;");
            w.Line("global::TransformerKernels.ActivationQuantizer.QuantizeRows(a, m, Lda, K, quantized, Ldq, rowScales, rowOffsets);");
            w.Line("global::TransformerKernels.GemmArguments args = new() { QuantizedA = quantized, RowScales = rowScales, RowOffsets = rowOffsets, M = m, Int8Weights = int8.Int8, ColumnScales = int8.ColumnScales, ColumnSums = int8.ColumnSums, Bias = weights.Bias, Residual = residual, C = c };");
            EmitDispatch(w, int8: true, ("Avx512Vnni", gemm.Units512, "Int8Avx512VnniUnits"), ("AvxVnni", gemm.Panels, "Int8AvxVnniUnits"), ("Avx512BW", gemm.Units512, "Int8Avx512BWUnits"),
                ("Avx2", gemm.Panels, "Int8Avx2Units"), (null, gemm.Panels, "Int8ScalarUnits"));
        }
        w.Line();
        EmitGemmWorker(w, gemm, WeightFormat.Int8, "Avx512Vnni", RowsInt8Avx512, Plan512(gemm, WeightFormat.Int8, "Avx512Vnni"));
        EmitGemmWorker(w, gemm, WeightFormat.Int8, "Avx512BW", RowsInt8Avx512, Plan512(gemm, WeightFormat.Int8, "Avx512BW"));
        EmitGemmWorker(w, gemm, WeightFormat.Int8, "AvxVnni", RowsInt8Vnni, Plan256(gemm, WeightFormat.Int8, "AvxVnni"));
        EmitGemmWorker(w, gemm, WeightFormat.Int8, "Avx2", RowsInt8Avx2, Plan256(gemm, WeightFormat.Int8, "Avx2"));
        EmitGemmWorkerScalar(w, gemm, WeightFormat.Int8);
        foreach (GemmTile tile in Tiles512(gemm, WeightFormat.Int8, "Avx512Vnni", RowsInt8Avx512)
                     .Concat(Tiles512(gemm, WeightFormat.Int8, "Avx512BW", RowsInt8Avx512))
                     .Concat(Tiles256(gemm, WeightFormat.Int8, "AvxVnni", RowsInt8Vnni))
                     .Concat(Tiles256(gemm, WeightFormat.Int8, "Avx2", RowsInt8Avx2)))
        {
            EmitGemmTile(w, gemm, tile);
        }
    }

    private static void EmitGemmTileInt8(SourceWriter w, GemmSpec gemm, GemmTile tile)
    {
        string v = tile.VectorType;
        int width = tile.Vectors * tile.Lanes;
        if (tile.Isa == "Avx512Vnni")
        {
            EmitGemmTileInt8Assembled(w, gemm, tile);
            return;
        }
        w.Line($"/// <summary>{tile.Rows} rows × {width} columns" + (tile.LastLanes == tile.Lanes ? "" : $" ({(tile.Vectors - 1) * tile.Lanes + tile.LastLanes} stored)") +
               $" of int8 weights ({tile.Isa}): {tile.Rows * tile.Vectors} {v}&lt;int&gt; accumulators over {gemm.Groups} groups of 4 inputs.</summary>");
        w.Line("[global::System.Runtime.CompilerServices.MethodImpl(global::System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]");
        w.Line("[global::System.Runtime.CompilerServices.SkipLocalsInit] // the stack tile is fully written before it is read");
        using (w.Block($"private static void {tile.Name}(global::TransformerKernels.GemmArguments* g, int row, int column, sbyte* weights)"))
        {
            w.Line("byte* a = g->QuantizedA + (long)row * Ldq;");
            EmitOutputPointers(w, gemm);
            for (int r = 0; r < tile.Rows; r++)
            {
                w.Line($"{v}<int> {string.Join(", ", Enumerable.Range(0, tile.Vectors).Select(j => $"acc{r}{Sub(j)} = {v}<int>.Zero"))};");
            }
            if (tile.Isa != "AvxVnni")
            {
                w.Line($"{v}<short> ones = {v}.Create((short)1);");
            }
            using (w.Block("for (int group = 0; group < Groups; group++, a += 4, weights += 64)"))
            {
                for (int j = 0; j < tile.Vectors; j++)
                {
                    string offset = tile.WeightOffset(j, gemm);
                    w.Line($"{v}<sbyte> w{j} = {v}.Load(weights" + (offset == "0" ? "" : " + " + offset) + ");");
                }
                for (int r = 0; r < tile.Rows; r++)
                {
                    string a = r == 0 ? "a" : $"a + {Num(r * gemm.Ldq)}";
                    var line = $"{(r == 0 ? v + "<byte> " : "")}x = {v}.Create(*(int*)({a})).AsByte();";
                    for (int j = 0; j < tile.Vectors; j++)
                    {
                        string acc = $"acc{r}{Sub(j)}";
                        line += tile.Isa switch
                        {
                            "AvxVnni" => $" {acc} = AvxVnni.MultiplyWideningAndAdd({acc}, x, w{j});",
                            "Avx512BW" => $" {acc} += Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(x, w{j}), ones);",
                            _ => $" {acc} += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(x, w{j}), ones);",
                        };
                    }
                    w.Line(line);
                }
            }
            EmitInt8Epilogue(w, gemm, tile);
        }
        w.Line();
    }

    /// <summary>
    /// Avx512Vnni: the K loop is an assembled VPDPBUSD tile (AssembledInt8Tiles) that leaves its int32 sums in a stack tile;
    /// the call comes before any vector local is live, so nothing is spilled around it (NOTES.md's JIT trap), and the epilogue
    /// is the same C# as every other int8 path's.
    /// </summary>
    private static void EmitGemmTileInt8Assembled(SourceWriter w, GemmSpec gemm, GemmTile tile)
    {
        string v = tile.VectorType;
        int width = tile.Vectors * tile.Lanes;
        w.Line($"/// <summary>{tile.Rows} rows × {width} columns" + (tile.LastLanes == tile.Lanes ? "" : $" ({(tile.Vectors - 1) * tile.Lanes + tile.LastLanes} stored)") +
               $" of int8 weights: the assembled VPDPBUSD zmm tile sums {gemm.Groups} groups of 4 inputs into {tile.Rows * tile.Vectors} int32 vectors.</summary>");
        w.Line("[global::System.Runtime.CompilerServices.MethodImpl(global::System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]");
        w.Line("[global::System.Runtime.CompilerServices.SkipLocalsInit] // the assembled tile writes every sum before it is read");
        using (w.Block($"private static void {tile.Name}(global::TransformerKernels.GemmArguments* g, int row, int column, sbyte* weights)"))
        {
            w.Line("byte* a = g->QuantizedA + (long)row * Ldq;");
            EmitOutputPointers(w, gemm);
            w.Line($"int* dots = stackalloc int[{tile.Rows * width}];");
            w.Line($"// a, aStride, weights, panelStride (bytes to the tile's second panel), groups, dots ({tile.Rows} rows of {width} int32)");
            w.Line($"global::TransformerKernels.AssembledInt8Tiles.Tile({tile.Rows}, {tile.Vectors})(a, Ldq, weights, {Num(PanelElements(WeightFormat.Int8, gemm))}, Groups, dots);");
            for (int r = 0; r < tile.Rows; r++)
            {
                w.Line($"{v}<int> {string.Join(", ", Enumerable.Range(0, tile.Vectors).Select(j => $"acc{r}{Sub(j)} = {v}.Load(dots + {r * width + j * tile.Lanes})"))};");
            }
            EmitInt8Epilogue(w, gemm, tile);
        }
        w.Line();
    }

    /// <summary>Dequantizes the int32 accumulators <c>acc{r}_{j}</c> into a stack tile, then activation and residual row by row.</summary>
    private static void EmitInt8Epilogue(SourceWriter w, GemmSpec gemm, GemmTile tile)
    {
        string v = tile.VectorType;
        int width = tile.Vectors * tile.Lanes;
        w.Line($"// Epilogue: dequantize (row scale, the row's offset times the column's weight sum, column scale){(gemm.Bias ? " + bias" : "")} into a");
        w.Line("// stack tile, then activation and residual row by row (C is written once, after the residual is read: they may share memory).");
        for (int j = 0; j < tile.Vectors; j++)
        {
            string at = j == 0 ? "column" : $"column + {j * tile.Lanes}";
            w.Line($"{v}<float> weightSum{j} = {v}.ConvertToSingle({v}.Load(g->ColumnSums + {at}));");
            w.Line($"{v}<float> scale{j} = {v}.Load(g->ColumnScales + {at});");
            if (gemm.Bias)
            {
                w.Line($"{v}<float> bias{j} = {v}.Load(g->Bias + {at});");
            }
        }
        w.Line($"float* sums = stackalloc float[{tile.Rows * width}];");
        for (int r = 0; r < tile.Rows; r++)
        {
            w.Line($"{(r == 0 ? v + "<float> " : "")}rowScale = {v}.Create(g->RowScales[row + {r}]);");
            w.Line($"{(r == 0 ? v + "<float> " : "")}rowOffset = {v}.Create(g->RowOffsets[row + {r}]);");
            for (int j = 0; j < tile.Vectors; j++)
            {
                w.Line($"{v}.Store(({v}.ConvertToSingle(acc{r}{Sub(j)}) * rowScale + rowOffset * weightSum{j}) * scale{j}{(gemm.Bias ? $" + bias{j}" : "")}, sums + {r * width + j * tile.Lanes});");
            }
        }
        EmitStackTileEpilogue(w, gemm, tile);
    }
}
