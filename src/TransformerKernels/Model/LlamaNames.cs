namespace TransformerKernels;

/// <summary>
/// Reads Hugging Face Llama-family names: each layer's q/k/v projections stacked into the fused Q·K·V projection, gate
/// and up stacked into the gated FFN's first linear layer, RMSNorm weights, the final norm, the token embeddings and
/// <c>lm_head</c> (the embeddings again when the checkpoint ties them). Biases are read where a checkpoint has them
/// (Qwen-style q/k/v biases) and are zero otherwise.
/// </summary>
internal static class LlamaNames
{
    /// <summary>Refuses declarations Llama's blocks do not fit (before anything is read).</summary>
    public static void RequireDeclaration(ModelShape shape)
    {
        if (shape.EncoderLayers != 0 || shape.Norm != NormPlacement.RmsNorm || shape.Activation != Activation.SwiGlu || shape.Positions != PositionEncoding.Rotary || shape.DecoderVocab == 0)
        {
            throw new ArgumentException(
                $"Llama names fit a decoder-only declaration with Norm = RmsNorm, Activation = SwiGlu, Positions = Rotary and a Vocab; this one is {shape}.", nameof(shape));
        }
    }

    public static void Load(TransformerWeights weights, TensorSource source, ModelShape shape)
    {
        int d = shape.DModel, f = shape.FfnDim, kv = shape.KvDModel;
        var decoder = new DecoderLayerWeights[shape.DecoderLayers];
        for (int i = 0; i < decoder.Length; i++)
        {
            string p = $"model.layers.{i}.";
            float[] qkv = [.. source.Read(p + "self_attn.q_proj.weight", d, d), .. source.Read(p + "self_attn.k_proj.weight", kv, d), .. source.Read(p + "self_attn.v_proj.weight", kv, d)];
            // Biases where a checkpoint has them (Qwen-style q/k/v), unless the model is declared Bias = false: then a bias in the
            // file is an unused tensor, refused by the loader.
            float[] qkvBias = shape.Bias && source.Has(p + "self_attn.q_proj.bias")
                ? [.. source.Read(p + "self_attn.q_proj.bias", d), .. source.Read(p + "self_attn.k_proj.bias", kv), .. source.Read(p + "self_attn.v_proj.bias", kv)]
                : [];
            var attention = new SelfAttentionWeights(qkv, qkvBias, source.Read(p + "self_attn.o_proj.weight", d, d), shape.Bias ? Optional(source, p + "self_attn.o_proj.bias", d) : [], d, kv);
            float[] gateUp = [.. source.Read(p + "mlp.gate_proj.weight", f, d), .. source.Read(p + "mlp.up_proj.weight", f, d)];
            var feedForward = new FeedForwardWeights(gateUp, [], source.Read(p + "mlp.down_proj.weight", d, f), [], d, f, gated: true);
            // A decoder-only block's FFN norm is both Norm2 and Norm3 (as PyTorchNames reads it): two objects, each disposed once.
            decoder[i] = new DecoderLayerWeights(attention, Norm(source, p + "input_layernorm.weight", d), null,
                Norm(source, p + "post_attention_layernorm.weight", d), feedForward, Norm(source, p + "post_attention_layernorm.weight", d));
        }
        NativeBuffer embedding = source.ReadBuffer("model.embed_tokens.weight", shape.DecoderVocab, d);
        // Tied embeddings (tie_word_embeddings, e.g. Llama 3.2 1B): no lm_head tensor, the output projection is the embedding table.
        float[] head = source.Has("lm_head.weight") ? source.Read("lm_head.weight", shape.DecoderVocab, d) : embedding.Span.ToArray();
        PackedLinear generator = PackedLinear.Pack(head, default, shape.DecoderVocab, d);
        weights.Set(null, embedding, null, null, null, [], null, decoder, Norm(source, "model.norm.weight", d), generator);
    }

    private static LayerNormWeights Norm(TensorSource source, string name, int d) => new(source.Read(name, d), new float[d], d);

    private static float[] Optional(TensorSource source, string name, int length) => source.Has(name) ? source.Read(name, length) : [];
}
