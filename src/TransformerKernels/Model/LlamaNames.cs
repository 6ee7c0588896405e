namespace TransformerKernels;

/// <summary>
/// Reads Hugging Face Llama-family names: each layer's q/k/v projections stacked into the fused Q·K·V projection, gate
/// and up stacked into the gated FFN's first linear layer, RMSNorm weights, the final norm, the token embeddings and
/// <c>lm_head</c>. The q/k/v biases of Qwen2 are read when the declaration has them (<c>QkvBias</c>, or <c>Bias</c> where the
/// checkpoint has them) and refused as unused tensors otherwise.
/// <para>Tied embeddings follow Hugging Face: with <c>tie_word_embeddings: true</c> the output projection IS the token
/// embedding table (an <c>lm_head.weight</c> in the file is ignored, as <c>tie_weights()</c> overwrites it); with false an
/// <c>lm_head.weight</c> must be present; without a config.json the embeddings serve when the file has no <c>lm_head</c>.</para>
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

    /// <param name="weights">Receives the layers.</param>
    /// <param name="source">The checkpoint's tensors.</param>
    /// <param name="shape">The declared shape.</param>
    /// <param name="tieWordEmbeddings">config.json's <c>tie_word_embeddings</c>; null without a config.json.</param>
    public static void Load(TransformerWeights weights, TensorSource source, ModelShape shape, bool? tieWordEmbeddings)
    {
        int d = shape.DModel, f = shape.FfnDim, kv = shape.KvDModel;
        if (tieWordEmbeddings == false && !source.Has("lm_head.weight"))
        {
            // Checked first, so that no layer has been packed (and left to free) when it throws.
            throw new ModelWeightsException("lm_head.weight", $"[{shape.DecoderVocab}, {d}]", "missing",
                "config.json says tie_word_embeddings: false, so the output projection is a tensor of its own, but the checkpoint has no lm_head.weight; " +
                "set tie_word_embeddings to true if the embeddings are meant to serve as the output projection, or add lm_head.weight.");
        }
        var decoder = new DecoderLayerWeights[shape.DecoderLayers];
        for (int i = 0; i < decoder.Length; i++)
        {
            string p = $"model.layers.{i}.";
            float[] qkv = [.. source.Read(p + "self_attn.q_proj.weight", d, d), .. source.Read(p + "self_attn.k_proj.weight", kv, d), .. source.Read(p + "self_attn.v_proj.weight", kv, d)];
            // QkvBias (Qwen2) needs the q/k/v biases; Bias = true reads them where the checkpoint has them. Declared without
            // either, a bias in the file is an unused tensor, refused by the loader.
            float[] qkvBias = shape.QkvBias || (shape.Bias && source.Has(p + "self_attn.q_proj.bias"))
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
        // Without a config.json, a file with no lm_head is tied; a missing lm_head under tie_word_embeddings: false was refused above.
        float[] head;
        if (tieWordEmbeddings ?? !source.Has("lm_head.weight"))
        {
            // Tied (e.g. Llama 3.2 1B, Qwen2 0.5B): the output projection is the embedding table.
            if (source.Has("lm_head.weight"))
            {
                source.MarkUsed("lm_head.weight");
            }
            head = embedding.Span.ToArray();
        }
        else
        {
            head = source.Read("lm_head.weight", shape.DecoderVocab, d);
        }
        PackedLinear generator = PackedLinear.Pack(head, default, shape.DecoderVocab, d);
        weights.Set(null, embedding, null, null, null, [], null, decoder, Norm(source, "model.norm.weight", d), generator);
    }

    private static LayerNormWeights Norm(TensorSource source, string name, int d) => new(source.Read(name, d), new float[d], d);

    private static float[] Optional(TensorSource source, string name, int length) => source.Has(name) ? source.Read(name, length) : [];
}
