using System.Linq;
using TransformerKernels.Generators.Helpers;
using TransformerKernels.Generators.Model;

namespace TransformerKernels.Generators;

public sealed partial class TransformerModelGenerator
{
    /// <summary>
    /// The int8 entry of a GEMM class: <c>RunInt8</c> quantizes A per row, then the active int8 path's workers (written by the
    /// GEMM emitter's loop over formats) multiply u8 activations by s8 weights into int32 accumulators and dequantize in the
    /// epilogue: C = colScale · (rowScale · Σ u·q + rowOffset · Σ q) + bias, activated, + residual.
    /// </summary>
    private static void EmitGemmRunInt8(SourceWriter w, GemmSpec gemm)
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
            EmitDispatch(w, gemm, GemmFormat.Int8);
        }
        w.Line();
    }

    private static void EmitGemmTileInt8(SourceWriter w, GemmSpec gemm, GemmTile tile)
    {
        string v = tile.VectorType;
        int width = tile.Vectors * tile.Lanes;
        if (tile.Path.Assembled)
        {
            EmitGemmTileInt8Assembled(w, gemm, tile);
            return;
        }
        w.Line($"/// <summary>{tile.Rows} rows × {width} columns" + (tile.LastLanes == tile.Lanes ? "" : $" ({(tile.Vectors - 1) * tile.Lanes + tile.LastLanes} stored)") +
               $" of int8 weights ({tile.Path.Name}): {tile.Rows * tile.Vectors} {v}&lt;int&gt; accumulators over {gemm.Groups} groups of 4 inputs.</summary>");
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
            if (tile.Path.Int8Ones)
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
                        line += tile.Path.Int8Dot!($"acc{r}{Sub(j)}", j);
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
            w.Line($"global::TransformerKernels.AssembledInt8Tiles.Tile({tile.Rows}, {tile.Vectors})(a, Ldq, weights, {Num(tile.Format.PanelElements(gemm))}, Groups, dots);");
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
