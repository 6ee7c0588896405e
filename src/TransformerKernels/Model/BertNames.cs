namespace TransformerKernels;

/// <summary>
/// The Hugging Face BERT name map (optionally under <c>bert.</c>; RoBERTa and XLM-RoBERTa under <c>roberta.</c>): separate
/// query/key/value projections are stacked into the fused Q·K·V layer; <c>attention.output.LayerNorm</c> and
/// <c>output.LayerNorm</c> are the two Add &amp; Norms; <c>embeddings.LayerNorm</c> normalizes the summed embeddings. The
/// pooler, the <c>position_ids</c>/<c>token_type_ids</c> buffers and RoBERTa's masked-LM head (<c>lm_head.*</c>) are not part
/// of the encoder and are marked used.
/// <para>RoBERTa's position table has pad_token_id + 1 rows before position 0 (its
/// position ids start there); they are dropped at load, so row i of the loaded table is position i.</para>
/// </summary>
internal static class BertNames
{
    /// <param name="weights">Receives the layers.</param>
    /// <param name="source">The checkpoint's tensors.</param>
    /// <param name="shape">The declared shape.</param>
    /// <param name="file">The checkpoint (for the names of the parts marked used).</param>
    /// <param name="roberta">RoBERTa names (<c>roberta.</c> prefix) rather than BERT's (<c>bert.</c>).</param>
    /// <param name="positionOffset">Rows of the position table before position 0 (RoBERTa: pad_token_id + 1; BERT: 0).</param>
    public static void Load(TransformerWeights weights, TensorSource source, ModelShape shape, Checkpoint file, bool roberta, int positionOffset)
    {
        if (shape.DecoderLayers > 0)
        {
            throw new ModelWeightsException("encoder.layer.0", "encoder-only model", $"{shape.DecoderLayers} decoder layers",
                "BERT checkpoints describe encoder-only models; declare DecoderLayers = 0.");
        }
        if (!shape.Bias)
        {
            // BERT's linear layers all have biases; a declaration without them would drop them silently.
            throw new ArgumentException($"BERT checkpoints have biases in every linear layer; this declaration says Bias = false: {shape}.", nameof(shape));
        }
        int d = shape.DModel, f = shape.FfnDim;
        string prefix = roberta ? "roberta." : "bert.";
        string root = source.Has(prefix + "embeddings.word_embeddings.weight") ? prefix : "";
        var layers = new EncoderLayerWeights[shape.EncoderLayers];
        for (int i = 0; i < layers.Length; i++)
        {
            string p = $"{root}encoder.layer.{i}.";
            float[] inProj = [.. source.Read(p + "attention.self.query.weight", d, d), .. source.Read(p + "attention.self.key.weight", d, d), .. source.Read(p + "attention.self.value.weight", d, d)];
            float[] inBias = [.. source.Read(p + "attention.self.query.bias", d), .. source.Read(p + "attention.self.key.bias", d), .. source.Read(p + "attention.self.value.bias", d)];
            layers[i] = new EncoderLayerWeights(
                new SelfAttentionWeights(inProj, inBias, source.Read(p + "attention.output.dense.weight", d, d), source.Read(p + "attention.output.dense.bias", d), d),
                Norm(source, p + "attention.output.LayerNorm.", d),
                new FeedForwardWeights(source.Read(p + "intermediate.dense.weight", f, d), source.Read(p + "intermediate.dense.bias", f),
                    source.Read(p + "output.dense.weight", d, f), source.Read(p + "output.dense.bias", d), d, f),
                Norm(source, p + "output.LayerNorm.", d));
        }
        string e = root + "embeddings.";
        NativeBuffer words = source.ReadBuffer(e + "word_embeddings.weight", shape.EncoderVocab, d);
        NativeBuffer positions = positionOffset == 0
            ? source.ReadBuffer(e + "position_embeddings.weight", shape.PositionTableSize, d)
            : WithoutLeadingRows(source.Read(e + "position_embeddings.weight", shape.PositionTableSize + positionOffset, d), positionOffset, d);
        NativeBuffer? types = shape.TokenTypes > 0 ? source.ReadBuffer(e + "token_type_embeddings.weight", shape.TokenTypes, d) : null;
        LayerNormWeights norm = Norm(source, e + "LayerNorm.", d);
        foreach (string name in file.Tensors.Keys.Where(n => n.StartsWith(root + "pooler.", StringComparison.Ordinal) || n == e + "position_ids" || n == e + "token_type_ids"
                                                             || (roberta && n.StartsWith("lm_head.", StringComparison.Ordinal))))
        {
            source.MarkUsed(name);
        }
        weights.Set(words, null, positions, types, norm, layers, null, [], null, null);
    }

    /// <summary>The table without its first <paramref name="rows"/> rows, in native memory.</summary>
    private static NativeBuffer WithoutLeadingRows(float[] table, int rows, int d)
    {
        var buffer = new NativeBuffer(table.Length - (long)rows * d, zeroed: false);
        table.AsSpan(rows * d).CopyTo(buffer.Span);
        return buffer;
    }

    private static LayerNormWeights Norm(TensorSource source, string p, int d) =>
        source.Has(p + "weight")
            ? new(source.Read(p + "weight", d), source.Read(p + "bias", d), d)
            : new(source.Read(p + "gamma", d), source.Read(p + "beta", d), d);
}
