namespace TransformerKernels;

/// <summary>
/// A checkpoint saved in the kernels' own layout (a safetensors file whose linear layers are already packed in 16-column
/// panels, biases padded), so loading is a memory map: no copy, no packing, weights paged in as the first forward pass
/// touches them. The declared shape is stored in the metadata and must match on load. A cache for fast cold starts, not
/// an interchange format: it is specific to this version's panel layout ("format" metadata).
/// </summary>
public static unsafe class PackedCheckpoint
{
    /// <summary>The value of the "format" metadata entry.</summary>
    public const string Format = "transformerkernels-packed-v1";

    /// <summary>Writes <paramref name="weights"/> in the packed layout.</summary>
    public static void Save(TransformerWeights weights, string path)
    {
        var tensors = new List<(string, long[], float[])>();
        void Buffer(string name, NativeBuffer? buffer)
        {
            if (buffer is not null)
            {
                tensors.Add((name, [buffer.Length], buffer.Span.ToArray()));
            }
        }
        void Linear(string name, PackedLinear? linear)
        {
            if (linear is not null)
            {
                tensors.Add((name + ".packed", [linear.PackedWeights.Length], linear.PackedWeights.ToArray()));
                tensors.Add((name + ".bias", [linear.PaddedBias.Length], linear.PaddedBias.ToArray()));
            }
        }
        void Norm(string name, LayerNormWeights? norm)
        {
            if (norm is not null)
            {
                tensors.Add((name + ".gamma", [norm.GammaValues.Length], norm.GammaValues));
                tensors.Add((name + ".beta", [norm.BetaValues.Length], norm.BetaValues));
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
            EncoderLayerWeights layer = weights.Encoder[i];
            Linear($"encoder.{i}.qkv", layer.SelfAttention.QueryKeyValue);
            Linear($"encoder.{i}.out", layer.SelfAttention.Output);
            Norm($"encoder.{i}.norm1", layer.Norm1);
            Linear($"encoder.{i}.up", layer.FeedForward.Up);
            Linear($"encoder.{i}.down", layer.FeedForward.Down);
            Norm($"encoder.{i}.norm2", layer.Norm2);
        }
        Norm("encoder_norm", weights.EncoderNorm);
        for (int i = 0; i < weights.Decoder.Length; i++)
        {
            DecoderLayerWeights layer = weights.Decoder[i];
            Linear($"decoder.{i}.qkv", layer.SelfAttention.QueryKeyValue);
            Linear($"decoder.{i}.out", layer.SelfAttention.Output);
            Norm($"decoder.{i}.norm1", layer.Norm1);
            Linear($"decoder.{i}.cross_query", layer.CrossAttention?.Query);
            Linear($"decoder.{i}.cross_key_value", layer.CrossAttention?.KeyValue);
            Linear($"decoder.{i}.cross_out", layer.CrossAttention?.Output);
            Norm($"decoder.{i}.norm2", layer.Norm2);
            Linear($"decoder.{i}.up", layer.FeedForward.Up);
            Linear($"decoder.{i}.down", layer.FeedForward.Down);
            Norm($"decoder.{i}.norm3", layer.Norm3);
        }
        Norm("decoder_norm", weights.DecoderNorm);
        Linear("generator", weights.Generator);
        string temporary = path + "." + Environment.ProcessId + ".tmp";
        SafeTensorsWriter.Write(temporary, tensors, new Dictionary<string, string>
        {
            ["format"] = Format,
            ["shape"] = weights.Shape.ToString(),
            ["embedding_scale"] = weights.EmbeddingScale.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
        });
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
            return TransformerWeights.FromPacked(file, shape);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }
}
