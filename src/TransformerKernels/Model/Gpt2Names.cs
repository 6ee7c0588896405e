namespace TransformerKernels;

/// <summary>
/// Reads Hugging Face GPT-2 names (<c>wte</c>, <c>wpe</c>, <c>h.N.ln_1</c>, <c>h.N.attn.c_attn</c>, <c>h.N.mlp.c_fc</c>,
/// <c>ln_f</c>, at the root or under <c>transformer.</c>). GPT-2's Conv1D layers store their weights [in, out] (y = x·W + b),
/// so each is transposed to the [out, in] layout of a linear layer at load; the output projection is the token embedding
/// table (GPT-2 ties them; an <c>lm_head.weight</c> in the file must equal it and is otherwise unused).
/// </summary>
internal static class Gpt2Names
{
    /// <summary>Refuses declarations GPT-2's blocks do not fit (before anything is read).</summary>
    public static void RequireDeclaration(ModelShape shape)
    {
        if (shape.EncoderLayers != 0 || shape.Norm != NormPlacement.Pre || shape.Activation != Activation.GeluTanh || shape.Positions != PositionEncoding.Learned || shape.DecoderVocab == 0 || !shape.Bias)
        {
            throw new ArgumentException(
                $"GPT-2 names fit a decoder-only declaration with Norm = Pre, Activation = GeluTanh, Positions = Learned, biases and a Vocab; this one is {shape}.", nameof(shape));
        }
    }

    public static void Load(TransformerWeights weights, TensorSource source, ModelShape shape)
    {
        string prefix = source.Has("transformer.wte.weight") ? "transformer." : "";
        int d = shape.DModel, f = shape.FfnDim;
        var decoder = new DecoderLayerWeights[shape.DecoderLayers];
        for (int i = 0; i < decoder.Length; i++)
        {
            string p = $"{prefix}h.{i}.";
            // The causal-mask buffers some exports include ("attn.bias", "attn.masked_bias") are not weights.
            foreach (string buffer in new[] { p + "attn.bias", p + "attn.masked_bias" })
            {
                if (source.Has(buffer))
                {
                    source.MarkUsed(buffer);
                }
            }
            var attention = new SelfAttentionWeights(Transposed(source.Read(p + "attn.c_attn.weight", d, 3 * d), d, 3 * d), source.Read(p + "attn.c_attn.bias", 3 * d),
                Transposed(source.Read(p + "attn.c_proj.weight", d, d), d, d), source.Read(p + "attn.c_proj.bias", d), d);
            var feedForward = new FeedForwardWeights(Transposed(source.Read(p + "mlp.c_fc.weight", d, f), d, f), source.Read(p + "mlp.c_fc.bias", f),
                Transposed(source.Read(p + "mlp.c_proj.weight", f, d), f, d), source.Read(p + "mlp.c_proj.bias", d), d, f);
            decoder[i] = new DecoderLayerWeights(attention, Norm(source, p + "ln_1.", d), null, Norm(source, p + "ln_2.", d), feedForward, Norm(source, p + "ln_2.", d));
        }
        NativeBuffer embedding = source.ReadBuffer(prefix + "wte.weight", shape.DecoderVocab, d);
        if (source.Has("lm_head.weight"))
        {
            float[] head = source.Read("lm_head.weight", shape.DecoderVocab, d);
            if (!head.AsSpan().SequenceEqual(embedding.Span))
            {
                throw new ModelWeightsException("lm_head.weight", "equal to wte.weight (GPT-2 ties them)", "different values",
                    "lm_head.weight differs from wte.weight; GPT-2's output projection is its token embedding table.");
            }
        }
        NativeBuffer positions = source.ReadBuffer(prefix + "wpe.weight", shape.PositionTableSize, d);
        PackedLinear generator = PackedLinear.Pack(embedding.Span, default, shape.DecoderVocab, d);
        weights.Set(null, embedding, positions, null, null, [], null, decoder, Norm(source, prefix + "ln_f.", d), generator);
    }

    /// <summary>A Conv1D weight [rows = in, columns = out] as a linear layer's [out, in].</summary>
    private static float[] Transposed(float[] weight, int rows, int columns)
    {
        var result = new float[weight.Length];
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < columns; c++)
            {
                result[(long)c * rows + r] = weight[(long)r * columns + c];
            }
        }
        return result;
    }

    private static LayerNormWeights Norm(TensorSource source, string p, int d) => new(source.Read(p + "weight", d), source.Read(p + "bias", d), d);
}
