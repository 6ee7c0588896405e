namespace TransformerKernels;

/// <summary>
/// The PyTorch name map: <c>nn.Transformer</c> (<c>encoder.layers.{i}…</c>, <c>decoder.layers.{i}…</c>, <c>encoder.norm</c>,
/// <c>decoder.norm</c>), a bare <c>nn.TransformerEncoder</c>/<c>Decoder</c> (<c>layers.{i}…</c>, <c>norm</c>), either under an
/// optional module prefix (e.g. <c>transformer.</c>), plus the embedding and output names of a translation model:
/// <c>src_embedding.weight</c>, <c>tgt_embedding.weight</c>, <c>position_embedding.weight</c>,
/// <c>token_type_embedding.weight</c>, <c>generator.weight</c>, <c>generator.bias</c>.
/// </summary>
internal static class PyTorchNames
{
    public static void Load(TransformerWeights weights, TensorSource source, ModelShape shape, Checkpoint file)
    {
        bool rms = shape.Norm == NormPlacement.RmsNorm;
        int d = shape.DModel, f = shape.FfnDim;
        string? encoderPrefix = shape.EncoderLayers > 0 ? FindStack(source, file, shape.DecoderLayers == 0, "encoder") : null;
        string? decoderPrefix = shape.DecoderLayers > 0 ? FindStack(source, file, shape.EncoderLayers == 0, "decoder") : null;

        var encoder = new EncoderLayerWeights[shape.EncoderLayers];
        for (int i = 0; i < encoder.Length; i++)
        {
            string p = $"{encoderPrefix}layers.{i}.";
            encoder[i] = new EncoderLayerWeights(SelfAttention(source, p + "self_attn.", shape), Norm(source, p + "norm1.", d, rms),
                FeedForward(source, p, shape), Norm(source, p + "norm2.", d, rms));
        }
        var decoder = new DecoderLayerWeights[shape.DecoderLayers];
        for (int i = 0; i < decoder.Length; i++)
        {
            string p = $"{decoderPrefix}layers.{i}.";
            CrossAttentionWeights? cross = shape.EncoderLayers > 0
                ? new CrossAttentionWeights(source.Read(p + "multihead_attn.in_proj_weight", 3 * d, d), Bias(source, p + "multihead_attn.in_proj_bias", 3 * d, shape),
                    source.Read(p + "multihead_attn.out_proj.weight", d, d), Bias(source, p + "multihead_attn.out_proj.bias", d, shape), d)
                : null;
            decoder[i] = new DecoderLayerWeights(SelfAttention(source, p + "self_attn.", shape), Norm(source, p + "norm1.", d, rms), cross,
                Norm(source, p + "norm2.", d, rms), FeedForward(source, p, shape), shape.EncoderLayers > 0 ? Norm(source, p + "norm3.", d, rms) : Norm(source, p + "norm2.", d, rms));
        }
        LayerNormWeights? encoderNorm = encoderPrefix is not null && source.Has(encoderPrefix + "norm.weight") ? Norm(source, encoderPrefix + "norm.", d, rms) : null;
        LayerNormWeights? decoderNorm = decoderPrefix is not null && source.Has(decoderPrefix + "norm.weight") ? Norm(source, decoderPrefix + "norm.", d, rms) : null;

        NativeBuffer? sourceEmbedding = shape.EncoderVocab > 0 ? source.ReadBuffer("src_embedding.weight", shape.EncoderVocab, d) : null;
        NativeBuffer? targetEmbedding = shape.DecoderVocab > 0 ? source.ReadBuffer("tgt_embedding.weight", shape.DecoderVocab, d) : null;
        NativeBuffer? positions = shape.Positions == PositionEncoding.Learned ? source.ReadBuffer("position_embedding.weight", shape.PositionTableSize, d) : null;
        NativeBuffer? tokenTypes = shape.TokenTypes > 0 ? source.ReadBuffer("token_type_embedding.weight", shape.TokenTypes, d) : null;
        PackedLinear? generator = shape.DecoderVocab > 0
            ? PackedLinear.Pack(source.Read("generator.weight", shape.DecoderVocab, d), shape.Bias && source.Has("generator.bias") ? source.Read("generator.bias", shape.DecoderVocab) : default, shape.DecoderVocab, d)
            : null;
        weights.Set(sourceEmbedding, targetEmbedding, positions, tokenTypes, null, encoder, encoderNorm, decoder, decoderNorm, generator);
    }

    /// <summary>Finds where a stack's layers live: "encoder.", "transformer.encoder.", any "*.encoder.", or the root for a bare stack.</summary>
    private static string FindStack(TensorSource source, Checkpoint file, bool bareAllowed, string stack)
    {
        const string probe = "layers.0.self_attn.in_proj_weight";
        foreach (string prefix in new[] { stack + ".", "transformer." + stack + "." })
        {
            if (source.Has(prefix + probe))
            {
                return prefix;
            }
        }
        string? nested = file.Tensors.Keys.FirstOrDefault(name => name.EndsWith("." + stack + "." + probe, StringComparison.Ordinal));
        if (nested is not null)
        {
            return nested[..^probe.Length];
        }
        if (bareAllowed && source.Has(probe))
        {
            return "";
        }
        throw new ModelWeightsException(stack + ".layers.0.self_attn.in_proj_weight", "present", "missing",
            $"{Path.GetFileName(file.FilePath)}: no {stack} layers found (looked for '{stack}.{probe}', 'transformer.{stack}.{probe}'" +
            (bareAllowed ? $" and '{probe}'" : "") + ").");
    }

    private static SelfAttentionWeights SelfAttention(TensorSource source, string p, ModelShape shape)
    {
        int d = shape.DModel, qkv = shape.QkvWidth;
        float[] inBias = shape.HasQkvBias ? source.Read(p + "in_proj_bias", qkv) : new float[qkv];
        return new(source.Read(p + "in_proj_weight", qkv, d), inBias, source.Read(p + "out_proj.weight", d, d),
            Bias(source, p + "out_proj.bias", d, shape), d, shape.KvDModel);
    }

    /// <summary>The FFN's linear1 (gated: [2f, d], gate rows then up rows) and linear2.</summary>
    private static FeedForwardWeights FeedForward(TensorSource source, string p, ModelShape shape)
    {
        int d = shape.DModel, f = shape.FfnDim, up = shape.FfnUpWidth;
        return new(source.Read(p + "linear1.weight", up, d), Bias(source, p + "linear1.bias", up, shape), source.Read(p + "linear2.weight", d, f),
            Bias(source, p + "linear2.bias", d, shape), d, f, gated: up != f);
    }

    /// <summary>A linear layer's bias; zeros, not read, for a model declared <c>Bias = false</c> (a bias in the file is then an unused tensor).</summary>
    private static float[] Bias(TensorSource source, string name, int length, ModelShape shape) => shape.Bias ? source.Read(name, length) : new float[length];

    /// <summary>A LayerNorm's weight and bias; an RMSNorm's weight only (β = 0, which its kernel ignores; a bias in the file is an unused tensor).</summary>
    private static LayerNormWeights Norm(TensorSource source, string p, int d, bool rms) =>
        new(source.Read(p + "weight", d), rms ? new float[d] : source.Read(p + "bias", d), d);
}
