namespace TransformerKernels;

/// <summary>
/// A checkpoint saved in the kernels' own layout (a safetensors file whose linear layers are already packed in 16-column
/// panels, biases padded), so loading is a memory map: no copy, no packing, weights paged in as the first forward pass
/// touches them. The declared shape is stored in the metadata and must match on load. A cache for fast cold starts, not
/// an interchange format: it is specific to this version's panel layout ("format" metadata). Linear layers are stored in
/// the weights' precision ("precision" metadata): FP32 panels, BF16 panels, or int8 panels with their column scales and
/// sums — int8 also records its weight levels, since 8-bit weights would saturate the 7-bit-weight (VPMADDUBSW) kernels.
/// </summary>
public static unsafe class PackedCheckpoint
{
    /// <summary>The value of the "format" metadata entry.</summary>
    public const string Format = "transformerkernels-packed-v3"; // v2: BF16 weights stored in pairs of inputs; v3: SwiGLU's gate and up interleaved per panel

    /// <summary>Writes <paramref name="weights"/> in the packed layout.</summary>
    public static void Save(TransformerWeights weights, string path)
    {
        var tensors = new List<RawTensor>();
        void Floats(string name, ReadOnlySpan<float> values) =>
            tensors.Add(new RawTensor(name, TensorDType.F32, [values.Length], System.Runtime.InteropServices.MemoryMarshal.AsBytes(values).ToArray()));
        void Bytes(string name, TensorDType dtype, ReadOnlySpan<byte> bytes) =>
            tensors.Add(new RawTensor(name, dtype, [bytes.Length / TensorInfo.SizeOf(dtype)], bytes.ToArray()));
        void Buffer(string name, NativeBuffer? buffer)
        {
            if (buffer is not null)
            {
                Floats(name, buffer.Span);
            }
        }
        void Linear(string name, PackedLinear linear)
        {
            switch (linear.LowPrecision)
            {
                case { Precision: WeightPrecision.Bf16 } bf16:
                    Bytes(name + ".bf16", TensorDType.BF16, bf16.PackedBytes);
                    break;
                case { Precision: WeightPrecision.Int8 } int8:
                    Bytes(name + ".int8", TensorDType.I8, int8.PackedBytes);
                    Bytes(name + ".scales", TensorDType.F32, int8.ScaleBytes);
                    Bytes(name + ".sums", TensorDType.I32, int8.SumBytes);
                    break;
                default:
                    Floats(name + ".packed", linear.PackedWeights);
                    break;
            }
            Floats(name + ".bias", linear.PaddedBias);
        }
        void Norm(string name, LayerNormWeights? norm)
        {
            if (norm is not null)
            {
                Floats(name + ".gamma", norm.GammaValues);
                Floats(name + ".beta", norm.BetaValues);
            }
        }
        Buffer("source_embedding", weights.SourceEmbedding);
        Buffer("target_embedding", weights.TargetEmbedding);
        if (weights.Shape.Positions == PositionEncoding.Learned)
        {
            Buffer("positions", weights.Positions);
        }
        Buffer("token_types", weights.TokenTypeEmbedding);
        Norm("embedding_norm", weights.EmbeddingNorm);
        for (int i = 0; i < weights.Encoder.Length; i++)
        {
            Norm($"encoder.{i}.norm1", weights.Encoder[i].Norm1);
            Norm($"encoder.{i}.norm2", weights.Encoder[i].Norm2);
        }
        Norm("encoder_norm", weights.EncoderNorm);
        for (int i = 0; i < weights.Decoder.Length; i++)
        {
            Norm($"decoder.{i}.norm1", weights.Decoder[i].Norm1);
            Norm($"decoder.{i}.norm2", weights.Decoder[i].Norm2);
            Norm($"decoder.{i}.norm3", weights.Decoder[i].Norm3);
        }
        Norm("decoder_norm", weights.DecoderNorm);
        // The linear layers under the names ConvertTo reports and FromPacked maps back (one list: TransformerWeights.LinearLayers).
        foreach ((string name, PackedLinear linear) in weights.LinearLayers())
        {
            Linear(name, linear);
        }
        string temporary = path + "." + Environment.ProcessId + ".tmp";
        var metadata = new Dictionary<string, string>
        {
            ["format"] = Format,
            ["shape"] = weights.Shape.ToString(),
            ["embedding_scale"] = weights.EmbeddingScale.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
            ["precision"] = weights.Precision.ToString(),
        };
        if (weights.Precision == WeightPrecision.Int8)
        {
            metadata["int8_weight_levels"] = Int8Paths.WeightLevels.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        SafeTensorsWriter.Write(temporary, tensors, metadata);
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>Maps a packed checkpoint for a model of <paramref name="shape"/>; the weights keep the file mapped until disposed.</summary>
    /// <exception cref="ModelWeightsException">The file was packed for another shape or format, or a tensor is missing.</exception>
    public static TransformerWeights Load(string path, ModelShape shape)
    {
        SafeTensorsFile file = SafeTensorsFile.Open(path);
        try
        {
            if (!file.Metadata.TryGetValue("format", out string? format) || format != Format)
            {
                throw new ModelWeightsException("__metadata__.format", Format, format ?? "missing", $"{Path.GetFileName(path)} is not a {Format} checkpoint (format: {format ?? "missing"}).");
            }
            if (!file.Metadata.TryGetValue("shape", out string? saved) || saved != shape.ToString())
            {
                throw new ModelWeightsException("__metadata__.shape", shape.ToString(), saved ?? "missing", $"{Path.GetFileName(path)} was packed for {saved ?? "an unknown shape"}, not {shape}.");
            }
            string precisionText = file.Metadata.GetValueOrDefault("precision", nameof(WeightPrecision.Fp32));
            if (!Enum.TryParse(precisionText, out WeightPrecision precision) || !Enum.IsDefined(precision))
            {
                throw new ModelWeightsException("__metadata__.precision", "Fp32, Bf16 or Int8", precisionText, $"{Path.GetFileName(path)} stores weights as '{precisionText}', not a known precision.");
            }
            string levels = Int8Paths.WeightLevels.ToString(System.Globalization.CultureInfo.InvariantCulture);
            string? savedLevels = file.Metadata.GetValueOrDefault("int8_weight_levels");
            if (precision == WeightPrecision.Int8 && savedLevels != levels)
            {
                throw new ModelWeightsException("__metadata__.int8_weight_levels", levels, savedLevels ?? "missing",
                    $"{Path.GetFileName(path)} holds int8 weights of ±{savedLevels ?? "?"} levels; the {Int8Paths.Active} kernels need ±{levels}.");
            }
            return TransformerWeights.FromPacked(file, shape, precision);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }
}
