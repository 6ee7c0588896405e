using System.Globalization;

namespace TransformerKernels;

/// <summary>
/// Checks a GGUF file's metadata against a declared Llama-style shape, key by key — the GGUF counterpart of the config.json
/// check — each mismatch a <see cref="ModelConfigurationException"/> naming the key and the attribute property to change.
/// A key the file leaves out is no disagreement (the tensors' shapes are checked anyway).
/// </summary>
internal static class GgufLlamaConfig
{
    public static void Check(GgufLlamaTensors file, ModelShape shape)
    {
        Require(file, "embedding_length", shape.DModel, "DModel");
        Require(file, "block_count", shape.DecoderLayers, "DecoderLayers");
        Require(file, "feed_forward_length", shape.FfnDim, "FfnDim");
        Require(file, "attention.head_count", shape.Heads, "Heads");
        Require(file, "attention.head_count_kv", shape.KvHeads == 0 ? shape.Heads : shape.KvHeads, "KvHeads");
        if (file.Key("rope.dimension_count") is { } rotary && rotary != shape.HeadDim)
        {
            // The declaration's rotary width is not in ModelShape; a partial rotation is rare in llama files.
            throw Mismatch(file, "rope.dimension_count", $"{shape.HeadDim} (HeadDim: the whole head rotates)", rotary);
        }
        if (file.Key("context_length") is { } context && context < shape.MaxSeqLen)
        {
            throw Mismatch(file, "context_length", $"at least {shape.MaxSeqLen} (MaxSeqLen)", context);
        }
        double theta = file.RealKey("rope.freq_base") ?? 10000;
        if (Math.Abs(theta - shape.RotaryTheta) > 1e-6 * theta)
        {
            throw Mismatch(file, "rope.freq_base", $"{shape.RotaryTheta.ToString("R", CultureInfo.InvariantCulture)} (RotaryTheta)", theta);
        }
        if (file.RealKey("attention.layer_norm_rms_epsilon") is { } epsilon && Math.Abs(epsilon - shape.LayerNormEpsilon) > 1e-3 * epsilon)
        {
            throw Mismatch(file, "attention.layer_norm_rms_epsilon", $"{shape.LayerNormEpsilon.ToString("R", CultureInfo.InvariantCulture)} (LayerNormEpsilon)", epsilon);
        }
        if (file.File.Text($"{file.Architecture}.rope.scaling.type") is { } scaling && scaling != "none")
        {
            throw Mismatch(file, "rope.scaling.type", "none (scaled rotary positions are not read from GGUF files)", scaling);
        }
    }

    private static void Require(GgufLlamaTensors file, string key, int expected, string property)
    {
        if (file.Key(key) is { } actual && actual != expected)
        {
            throw Mismatch(file, key, $"{expected} ({property})", actual);
        }
    }

    private static ModelConfigurationException Mismatch(GgufLlamaTensors file, string key, string expected, object actual) =>
        new(file.FilePath, $"{file.Architecture}.{key}", expected, Convert.ToString(actual, CultureInfo.InvariantCulture)!);
}
