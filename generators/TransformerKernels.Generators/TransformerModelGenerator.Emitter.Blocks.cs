using TransformerKernels.Generators.Helpers;
using TransformerKernels.Generators.Model;

namespace TransformerKernels.Generators;

public sealed partial class TransformerModelGenerator
{
    private const string Runtime = "global::TransformerKernels.";

    /// <summary>
    /// Writes {Class}.Blocks.g.cs: the encoder and decoder blocks wired from the generated kernels in the order of the
    /// architecture diagram, post- or pre-norm decided here, so each block reads top to bottom.
    /// </summary>
    private static string EmitBlocks(ModelSpec m)
    {
        var w = new SourceWriter();
        bool post = m.Norm == NormPlacement.Post;
        LayerGemms g = m.Layers;
        using (OpenModelClass(w, m))
        using (w.Block("partial class Kernels"))
        {
            if (m.EncoderLayers > 0)
            {
                EmitEncoderBlock(w, m, g, post);
                EmitEncoderSequences(w);
            }
            if (m.DecoderLayers > 0)
            {
                EmitDecoderBlock(w, m, g, post);
                if (m.EncoderLayers > 0)
                {
                    EmitPrepareCrossAttention(w, m, g);
                }
            }
        }
        return w.ToString();
    }

    private static void EmitEncoderBlock(SourceWriter w, ModelSpec m, LayerGemms g, bool post)
    {
        int d = m.DModel;
        string summary = post
            ? "/// Encoder block (post-norm, as in the seed): x = LayerNorm(x + SelfAttention(x)); x = LayerNorm(x + FFN(x))."
            : $"/// Encoder block (pre-norm): x = x + SelfAttention({NormName(m)}(x)); x = x + FFN({NormName(m)}(x)).";
        w.Line("/// <summary>");
        w.Line(summary);
        w.Line("/// </summary>");
        w.Line($"/// <param name=\"x\">[batch·length, {d}] token vectors, updated in place.</param>");
        w.Line("/// <param name=\"batch\">Sequences, each of <paramref name=\"length\"/> rows.</param>");
        w.Line("/// <param name=\"length\">Positions per sequence (padded to the longest).</param>");
        w.Line("/// <param name=\"validLengths\">Real tokens per sequence; keys past them are padding. Empty: all <paramref name=\"length\"/>.</param>");
        w.Line("/// <param name=\"weights\">The block's packed weights.</param>");
        w.Line("/// <param name=\"scratch\">Scratch sized for at least batch·length rows.</param>");
        using (w.Block($"public static unsafe void EncoderBlock(float* x, int batch, int length, global::System.ReadOnlySpan<int> validLengths, {Runtime}EncoderLayerWeights weights, {Runtime}BlockScratch scratch)"))
        {
            w.Line("int rows = PaddedSequences(batch, length, validLengths, scratch);");
            EmitEncoderBlockBody(w, m, g, post, "SelfAttention(batch, s);");
        }
        w.Line();
        w.Line("/// <summary>");
        w.Line(summary);
        w.Line("/// Packed: the sequences' rows stand back to back, so the GEMMs run over the real tokens only and attention runs per");
        w.Line("/// sequence over its own length — no arithmetic on padding.");
        w.Line("/// </summary>");
        w.Line($"/// <param name=\"x\">[Σ lengths, {d}] token vectors, updated in place.</param>");
        w.Line("/// <param name=\"lengths\">Rows of each sequence, in order (each 1..MaxSeqLen).</param>");
        w.Line("/// <param name=\"weights\">The block's packed weights.</param>");
        w.Line("/// <param name=\"scratch\">Scratch sized for at least Σ lengths rows.</param>");
        using (w.Block($"public static unsafe void EncoderBlockPacked(float* x, global::System.ReadOnlySpan<int> lengths, {Runtime}EncoderLayerWeights weights, {Runtime}BlockScratch scratch)"))
        {
            w.Line("int rows = PackedSequences(lengths, scratch);");
            EmitEncoderBlockBody(w, m, g, post, "SelfAttention(lengths.Length, s);");
        }
        w.Line();
    }

    /// <summary>The block over <c>rows</c> rows of <c>x</c>; <paramref name="attention"/> runs self-attention over the batch's sequences.</summary>
    private static void EmitEncoderBlockBody(SourceWriter w, ModelSpec m, LayerGemms g, bool post, string attention)
    {
        w.Line("var s = scratch;");
        if (post)
        {
            w.Line("// Multi-head self-attention. Step 1: Q, K and V of every token in one GEMM [rows, 3·DModel].");
            w.Line($"{g.AttentionQkv}.Run(x, rows, weights.SelfAttention.QueryKeyValue, null, s.QueryKeyValue);");
            w.Line("// Steps 2–4 per sequence and head: softmax(Q·Kᵀ/√HeadDim)·V, heads concatenated.");
            w.Line(attention);
            w.Line("// Concatenated heads → linear layer.");
            w.Line($"{g.AttentionOutput}.Run(s.Context, rows, weights.SelfAttention.Output, null, s.Projected);");
            w.Line("// Add & Norm: x = LayerNorm(x + attention).");
            w.Line("AddNorm.Run(x, s.Projected, weights.Norm1.Gamma, weights.Norm1.Beta, x, rows);");
            w.Line($"// Feed forward: {FeedForwardFormula(m, "x")}, the activation fused into the first GEMM's epilogue.");
            w.Line($"{g.FfnUp}.Run(x, rows, weights.FeedForward.Up, null, s.Hidden);");
            w.Line($"{g.FfnDown}.Run(s.Hidden, rows, weights.FeedForward.Down, null, s.Projected);");
            w.Line("// Add & Norm: x = LayerNorm(x + FFN(x)).");
            w.Line("AddNorm.Run(x, s.Projected, weights.Norm2.Gamma, weights.Norm2.Beta, x, rows);");
        }
        else
        {
            w.Line("// Norm, then multi-head self-attention on the normalized rows.");
            w.Line("AddNorm.Run(x, null, weights.Norm1.Gamma, weights.Norm1.Beta, s.Normed, rows);");
            w.Line($"{g.AttentionQkv}.Run(s.Normed, rows, weights.SelfAttention.QueryKeyValue, null, s.QueryKeyValue);");
            w.Line(attention);
            w.Line("// Add: x = x + attention (the residual fused into the output projection's epilogue).");
            w.Line($"{g.AttentionOutput}.Run(s.Context, rows, weights.SelfAttention.Output, x, x);");
            w.Line($"// Norm, feed forward, add: x = x + FFN({NormName(m)}(x)).");
            w.Line("AddNorm.Run(x, null, weights.Norm2.Gamma, weights.Norm2.Beta, s.Normed, rows);");
            w.Line($"{g.FfnUp}.Run(s.Normed, rows, weights.FeedForward.Up, null, s.Hidden);");
            w.Line($"{g.FfnDown}.Run(s.Hidden, rows, weights.FeedForward.Down, x, x);");
        }
    }

    private static void EmitDecoderBlock(SourceWriter w, ModelSpec m, LayerGemms g, bool post)
    {
        bool cross = m.EncoderLayers > 0;
        string crossParameter = cross ? ", float* crossAttentionWeights = null" : "";
        w.Line("/// <summary>");
        w.Line("/// Decoder block for positions [start, start + length) of one sequence: masked self-attention (each position sees");
        w.Line("/// itself and earlier ones, the earlier keys and values read from <paramref name=\"cache\"/>)" +
               (cross ? ", encoder–decoder attention over the" : ""));
        w.Line(cross ? "/// encoder output prepared by <see cref=\"PrepareCrossAttention\"/>, and the FFN, each with Add &amp; Norm" + (post ? " (post-norm)." : " (pre-norm).")
                     : "/// and the FFN, each with Add &amp; Norm" + (post ? " (post-norm)." : " (pre-norm)."));
        w.Line("/// Decoding calls it with length 1 per new token; teacher forcing with the whole target at start 0.");
        w.Line("/// </summary>");
        w.Line($"/// <param name=\"y\">[length, {m.DModel}] decoder rows, updated in place.</param>");
        w.Line("/// <param name=\"length\">Rows.</param>");
        w.Line("/// <param name=\"start\">Position of the first row; the cache must hold positions [0, start).</param>");
        w.Line("/// <param name=\"weights\">The block's packed weights.</param>");
        w.Line("/// <param name=\"cache\">This block's keys and values for this sequence.</param>");
        w.Line("/// <param name=\"scratch\">Scratch sized for at least <paramref name=\"length\"/> rows.</param>");
        if (cross)
        {
            w.Line("/// <param name=\"crossAttentionWeights\">Optional [Heads, length, memory length] output: each row's attention over the encoder positions.</param>");
        }
        using (w.Block($"public static unsafe void DecoderBlock(float* y, int length, int start, {Runtime}DecoderLayerWeights weights, {Runtime}DecoderLayerCache cache, {Runtime}BlockScratch scratch{crossParameter})"))
        {
            w.Line($"DecoderBlock(y, new global::System.ReadOnlySpan<int>(in start), new global::System.ReadOnlySpan<int>(in length), new global::System.ReadOnlySpan<{Runtime}DecoderLayerCache>(in cache), weights, scratch{(cross ? ", crossAttentionWeights" : "")});");
        }
        w.Line();
        w.Line("/// <summary>");
        w.Line("/// The decoder block over several sequences at once, their rows back to back: segment k is rows of one sequence at");
        w.Line("/// positions [starts[k], starts[k] + lengths[k]) with its own cache. The linear layers run once over all rows (one pass");
        w.Line("/// over the weights for the whole batch); attention runs per segment against its own cache. A decoding step of many");
        w.Line("/// sequences or beams is segments of length 1; a batched prompt prefill is one segment per prompt.");
        w.Line("/// </summary>");
        w.Line($"/// <param name=\"y\">[Σ lengths, {m.DModel}] decoder rows, updated in place.</param>");
        w.Line("/// <param name=\"starts\">Position of each segment's first row; its cache must hold positions [0, start).</param>");
        w.Line("/// <param name=\"lengths\">Rows of each segment (each ≥ 1).</param>");
        w.Line("/// <param name=\"caches\">This block's cache of each segment's sequence (distinct objects).</param>");
        w.Line("/// <param name=\"weights\">The block's packed weights.</param>");
        w.Line("/// <param name=\"scratch\">Scratch sized for at least Σ lengths rows.</param>");
        if (cross)
        {
            w.Line("/// <param name=\"crossAttentionWeights\">Optional, one segment only: [Heads, length, memory length], each row's attention over the encoder positions.</param>");
        }
        using (w.Block($"public static unsafe void DecoderBlock(float* y, global::System.ReadOnlySpan<int> starts, global::System.ReadOnlySpan<int> lengths, global::System.ReadOnlySpan<{Runtime}DecoderLayerCache> caches, {Runtime}DecoderLayerWeights weights, {Runtime}BlockScratch scratch{crossParameter})"))
        {
            w.Line($"int rows = CheckDecoderSegments(starts, lengths, caches, scratch, {(cross ? "crossAttentionWeights != null" : "false")});");
            w.Line("var s = scratch;");
            w.Line("// Masked multi-head self-attention: Q, K, V of the new rows; K and V join each segment's cache.");
            if (!post)
            {
                w.Line("AddNorm.Run(y, null, weights.Norm1.Gamma, weights.Norm1.Beta, s.Normed, rows);");
            }
            w.Line($"{g.AttentionQkv}.Run({(post ? "y" : "s.Normed")}, rows, weights.SelfAttention.QueryKeyValue, null, s.QueryKeyValue);");
            w.Line(m.RotaryDimensions > 0
                ? "// Per segment and head: the new keys join the cache transposed, rotated by their positions (rotary positions; the kernel rotates the queries), the values as they are; then attention with the causal mask."
                : "// Per segment and head: the new keys join the cache transposed, the values as they are; then attention with the causal mask.");
            w.Line($"var self = new {Runtime}SegmentAttentionArguments {{ Segments = s.Segments, Count = lengths.Length, Query = s.QueryKeyValue, Output = s.Context }};");
            w.Line("Attention.RunSelfSegments(ref self);");
            EmitSubLayerEnd(w, post, $"{g.AttentionOutput}.Run(s.Context, rows, weights.SelfAttention.Output, ", "weights.Norm1", "rows");
            if (cross)
            {
                w.Line("// Encoder–decoder attention: queries from the decoder, keys and values from each sequence's encoder output.");
                if (!post)
                {
                    w.Line("AddNorm.Run(y, null, weights.Norm2.Gamma, weights.Norm2.Beta, s.Normed, rows);");
                }
                w.Line($"{g.CrossQuery}.Run({(post ? "y" : "s.Normed")}, rows, weights.CrossAttention!.Query, null, s.QueryKeyValue);");
                w.Line($"var memory = new {Runtime}SegmentAttentionArguments {{ Segments = s.Segments, Count = lengths.Length, Query = s.QueryKeyValue, Output = s.Context, Probabilities = crossAttentionWeights }};");
                w.Line("Attention.RunCrossSegments(ref memory);");
                EmitSubLayerEnd(w, post, $"{g.AttentionOutput}.Run(s.Context, rows, weights.CrossAttention.Output, ", "weights.Norm2", "rows");
            }
            string ffnNorm = cross ? "weights.Norm3" : "weights.Norm2";
            w.Line($"// Feed forward: {FeedForwardFormula(m, "y")}.");
            if (!post)
            {
                w.Line($"AddNorm.Run(y, null, {ffnNorm}.Gamma, {ffnNorm}.Beta, s.Normed, rows);");
            }
            w.Line($"{g.FfnUp}.Run({(post ? "y" : "s.Normed")}, rows, weights.FeedForward.Up, null, s.Hidden);");
            EmitSubLayerEnd(w, post, $"{g.FfnDown}.Run(s.Hidden, rows, weights.FeedForward.Down, ", ffnNorm, "rows");
        }
        w.Line();
        w.Line("/// <summary>Rejects decoder segments that do not fit the declared shape, their caches or the scratch; describes them in <c>scratch.Segments</c> and returns their total rows.</summary>");
        using (w.Block($"private static unsafe int CheckDecoderSegments(global::System.ReadOnlySpan<int> starts, global::System.ReadOnlySpan<int> lengths, global::System.ReadOnlySpan<{Runtime}DecoderLayerCache> caches, {Runtime}BlockScratch scratch, bool singleSegmentOutput)"))
        {
            w.Line("if (lengths.IsEmpty) throw new global::System.ArgumentOutOfRangeException(nameof(lengths), 0, \"At least one segment is needed.\");");
            w.Line("if (starts.Length != lengths.Length || caches.Length != lengths.Length) throw new global::System.ArgumentException($\"starts ({starts.Length}), lengths ({lengths.Length}) and caches ({caches.Length}) must have one entry per segment.\", nameof(caches));");
            w.Line("if (singleSegmentOutput && lengths.Length != 1) throw new global::System.ArgumentException(\"Cross-attention weights can be reported for one segment only.\", \"crossAttentionWeights\");");
            w.Line("long rows = 0;");
            using (w.Block("for (int k = 0; k < lengths.Length; k++)"))
            {
                w.Line("if (lengths[k] < 1 || starts[k] < 0 || (long)starts[k] + lengths[k] > MaxSeqLen) throw new global::System.ArgumentOutOfRangeException(nameof(lengths), $\"Segment {k}: positions [{starts[k]}, {(long)starts[k] + lengths[k]}) do not fit 1..{MaxSeqLen}.\");");
                w.Line("global::System.ArgumentNullException.ThrowIfNull(caches[k], nameof(caches));");
                if (m.EncoderLayers > 0)
                {
                    w.Line("if (caches[k].MemoryLength < 1) throw new global::System.InvalidOperationException(\"Call PrepareCrossAttention with the encoder output before decoding.\");");
                }
                w.Line("for (int j = 0; j < k; j++) if (ReferenceEquals(caches[j], caches[k])) throw new global::System.ArgumentException($\"Segments {j} and {k} share a cache; each sequence needs its own.\", nameof(caches));");
                w.Line("if (rows + lengths[k] > scratch.MaxRows) throw new global::System.ArgumentOutOfRangeException(nameof(lengths), rows + lengths[k], $\"Scratch holds {scratch.MaxRows} rows; the segments have more.\");");
                w.Line($"{Runtime}DecoderLayerCache cache = caches[k];");
                w.Line($"scratch.Segments[k] = new {Runtime}AttentionSegment {{ First = (int)rows, Start = starts[k], Length = lengths[k], KeysTStride = cache.KeysTStride, KeysT = cache.KeysT, Values = cache.Values, MemoryKeysT = cache.MemoryKeysT, MemoryValues = cache.MemoryValues, MemoryLength = cache.MemoryLength }};");
                w.Line("rows += lengths[k];");
            }
            w.Line("return (int)rows;");
        }
        w.Line();
    }

    /// <summary>The last linear layer of a sub-layer, then Add &amp; Norm (post) or the fused residual add (pre).</summary>
    private static void EmitSubLayerEnd(SourceWriter w, bool post, string gemmCallPrefix, string norm, string rows)
    {
        if (post)
        {
            w.Line(gemmCallPrefix + "null, s.Projected);");
            w.Line($"AddNorm.Run(y, s.Projected, {norm}.Gamma, {norm}.Beta, y, {rows}); // Add & Norm");
        }
        else
        {
            w.Line(gemmCallPrefix + "y, y); // Add: the residual fused into the GEMM epilogue");
        }
    }

    private static void EmitPrepareCrossAttention(SourceWriter w, ModelSpec m, LayerGemms g)
    {
        w.Line("/// <summary>");
        w.Line("/// Projects the encoder output to the keys and values of one decoder block's cross-attention, once per source");
        w.Line("/// sentence; every decoding step then reads them from <paramref name=\"cache\"/>.");
        w.Line("/// </summary>");
        w.Line("/// <param name=\"memory\">[memoryLength, DModel] encoder output (after the encoder's final norm, if any).</param>");
        w.Line("/// <param name=\"memoryLength\">Rows of <paramref name=\"memory\"/>.</param>");
        w.Line("/// <param name=\"validLength\">Rows that are real tokens (the rest is padding the decoder must not see).</param>");
        w.Line("/// <param name=\"weights\">The block's packed weights.</param>");
        w.Line("/// <param name=\"cache\">The block's cache for this sequence.</param>");
        w.Line("/// <param name=\"scratch\">Block scratch (its Q·K·V rows hold the fused K·V projection on the way).</param>");
        using (w.Block($"public static unsafe void PrepareCrossAttention(float* memory, int memoryLength, int validLength, {Runtime}DecoderLayerWeights weights, {Runtime}DecoderLayerCache cache, {Runtime}BlockScratch scratch)"))
        {
            w.Line("if (memoryLength < 1 || memoryLength > MaxSeqLen) throw new global::System.ArgumentOutOfRangeException(nameof(memoryLength), memoryLength, $\"The encoder output must have 1..{MaxSeqLen} rows.\");");
            w.Line("if (validLength < 1 || validLength > memoryLength) throw new global::System.ArgumentOutOfRangeException(nameof(validLength), validLength, \"Valid rows must be 1..memoryLength.\");");
            w.Line("cache.ShareMemoryOf(null); // write this cache's own buffers, not another's it was sharing");
            w.Line("if (memoryLength > scratch.MaxRows) throw new global::System.ArgumentOutOfRangeException(nameof(memoryLength), memoryLength, $\"Scratch holds {scratch.MaxRows} rows.\");");
            w.Line("float* keyValue = scratch.QueryKeyValue;");
            w.Line($"{g.CrossKeyValue}.Run(memory, memoryLength, weights.CrossAttention!.KeyValue, null, keyValue);");
            w.Line("Attention.TransposeKeys(keyValue, 2 * DModel, memoryLength, Heads, cache.MemoryKeysT, HeadDim * cache.KeysTStride, cache.KeysTStride, 0);");
            w.Line("for (int i = 0; i < memoryLength; i++) new global::System.Span<float>(keyValue + (long)i * 2 * DModel + DModel, DModel).CopyTo(new global::System.Span<float>(cache.MemoryValues + (long)i * DModel, DModel));");
            w.Line("cache.MemoryLength = validLength;");
        }
        w.Line();
    }

    private static void EmitEncoderSequences(SourceWriter w)
    {
        w.Line("/// <summary>Self-attention of the batch's sequences described in <c>s.Sequences</c>, their Q·K·V rows in <c>s.QueryKeyValue</c>.</summary>");
        using (w.Block($"private static unsafe void SelfAttention(int sequences, {Runtime}BlockScratch s)"))
        {
            w.Line($"var args = new {Runtime}SequenceAttentionArguments {{ QueryKeyValue = s.QueryKeyValue, Sequences = s.Sequences, Count = sequences, KeysT = s.KeysT, KeysTStride = s.RowKeysTStride, Output = s.Context }};");
            w.Line("Attention.RunSequences(ref args);");
        }
        w.Line();
        w.Line("/// <summary>Rejects a padded batch that does not fit the declared shape or the scratch; describes its sequences in the scratch and returns its rows.</summary>");
        using (w.Block($"private static unsafe int PaddedSequences(int batch, int length, global::System.ReadOnlySpan<int> validLengths, {Runtime}BlockScratch scratch)"))
        {
            w.Line("if (batch < 1) throw new global::System.ArgumentOutOfRangeException(nameof(batch), batch, \"At least one sequence is needed.\");");
            w.Line("if (length < 1 || length > MaxSeqLen) throw new global::System.ArgumentOutOfRangeException(nameof(length), length, $\"Sequence length must be 1..{MaxSeqLen} (MaxSeqLen).\");");
            w.Line("if ((long)batch * length > scratch.MaxRows) throw new global::System.ArgumentOutOfRangeException(nameof(batch), batch, $\"Scratch holds {scratch.MaxRows} rows; {batch}×{length} needed.\");");
            w.Line("CheckEncoderScratch(scratch);");
            w.Line("if (!validLengths.IsEmpty && validLengths.Length != batch) throw new global::System.ArgumentException($\"validLengths has {validLengths.Length} entries; expected one per sequence ({batch}).\", nameof(validLengths));");
            using (w.Block("for (int b = 0; b < batch; b++)"))
            {
                w.Line("int valid = validLengths.IsEmpty ? length : validLengths[b];");
                w.Line("if (valid < 1 || valid > length) throw new global::System.ArgumentOutOfRangeException(nameof(validLengths), valid, $\"Each valid length must be 1..{length}.\");");
                w.Line("// Every row is a query (padding rows too: their outputs are ignored); only the valid rows are keys.");
                w.Line("int* sequence = scratch.Sequences + 3 * b;");
                w.Line("sequence[0] = b * length; sequence[1] = length; sequence[2] = valid;");
            }
            w.Line("return batch * length;");
        }
        w.Line();
        w.Line("/// <summary>Rejects packed sequences that do not fit the declared shape or the scratch; describes them in the scratch and returns their total rows.</summary>");
        using (w.Block($"private static unsafe int PackedSequences(global::System.ReadOnlySpan<int> lengths, {Runtime}BlockScratch scratch)"))
        {
            w.Line("if (lengths.IsEmpty) throw new global::System.ArgumentOutOfRangeException(nameof(lengths), 0, \"At least one sequence is needed.\");");
            w.Line("CheckEncoderScratch(scratch);");
            w.Line("long rows = 0;");
            using (w.Block("for (int b = 0; b < lengths.Length; b++)"))
            {
                w.Line("int length = lengths[b];");
                w.Line("if (length < 1 || length > MaxSeqLen) throw new global::System.ArgumentOutOfRangeException(nameof(lengths), length, $\"Each sequence length must be 1..{MaxSeqLen} (MaxSeqLen).\");");
                w.Line("if (rows + length > scratch.MaxRows) throw new global::System.ArgumentOutOfRangeException(nameof(lengths), rows + length, $\"Scratch holds {scratch.MaxRows} rows; the sequences have more.\");");
                w.Line("int* sequence = scratch.Sequences + 3 * b;");
                w.Line("sequence[0] = (int)rows; sequence[1] = length; sequence[2] = length;");
                w.Line("rows += length;");
            }
            w.Line("return (int)rows;");
        }
        w.Line();
        w.Line("/// <summary>Rejects a scratch made for a shape without encoder blocks: it has no room for an encoder batch's transposed keys.</summary>");
        using (w.Block($"private static void CheckEncoderScratch({Runtime}BlockScratch scratch)"))
        {
            w.Line("if (scratch.RowKeysTStride < scratch.MaxRows + 16) throw new global::System.ArgumentException(\"This scratch was made for a shape without encoder blocks; make it from this model's Shape.\", nameof(scratch));");
        }
    }

    /// <summary>The norm the model's Add &amp; Norm applies, by the name its comments use.</summary>
    private static string NormName(ModelSpec m) => m.Norm == NormPlacement.RmsNorm ? "RMSNorm" : "LayerNorm";

    /// <summary>The feed-forward network of this model as a formula over <paramref name="x"/>: gated or not, with biases or not.</summary>
    private static string FeedForwardFormula(ModelSpec m, string x) => m.Activation == Activation.SwiGlu
        ? (m.Bias ? $"(SiLU({x}·W_gateᵀ + b_gate) ⊙ ({x}·W_upᵀ + b_up))·W_downᵀ + b_down" : $"(SiLU({x}·W_gateᵀ) ⊙ {x}·W_upᵀ)·W_downᵀ")
        : (m.Bias ? $"{m.Activation}({x}·W1ᵀ + b1)·W2ᵀ + b2" : $"{m.Activation}({x}·W1ᵀ)·W2ᵀ");
}
