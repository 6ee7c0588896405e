namespace TransformerKernels;

/// <summary>
/// Every weight of a declared model, checked against its compile-time shape and prepacked for the generated kernels.
/// Like llama2.c's TransformerWeights: one place that lists every tensor and its shape.
/// </summary>
public sealed unsafe class TransformerWeights : IDisposable
{
    private TransformerWeights(ModelShape shape)
    {
        Shape = shape;
        Encoder = [];
        Decoder = [];
    }

    /// <summary>The declared shape these weights fit.</summary>
    public ModelShape Shape { get; }

    /// <summary>Encoder token embeddings [EncoderVocab, DModel], or null.</summary>
    public NativeBuffer? SourceEmbedding { get; private set; }

    /// <summary>Decoder token embeddings [DecoderVocab, DModel], or null.</summary>
    public NativeBuffer? TargetEmbedding { get; private set; }

    /// <summary>Factor applied to token embeddings (√DModel in the original Transformer, 1 in BERT); from the file's metadata <c>embedding_scale</c>.</summary>
    public float EmbeddingScale { get; private set; } = 1f;

    /// <summary>Positions added to the input [PositionTableSize, DModel]: the sinusoidal table or the learned one; null for PositionEncoding.None.</summary>
    public NativeBuffer? Positions { get; private set; }

    /// <summary>Token-type embeddings [TokenTypes, DModel], or null.</summary>
    public NativeBuffer? TokenTypeEmbedding { get; private set; }

    /// <summary>LayerNorm applied to the summed embeddings (BERT), or null.</summary>
    public LayerNormWeights? EmbeddingNorm { get; private set; }

    /// <summary>Encoder blocks.</summary>
    public EncoderLayerWeights[] Encoder { get; private set; }

    /// <summary>Final LayerNorm of the encoder (nn.Transformer's <c>encoder.norm</c>), or null.</summary>
    public LayerNormWeights? EncoderNorm { get; private set; }

    /// <summary>Decoder blocks.</summary>
    public DecoderLayerWeights[] Decoder { get; private set; }

    /// <summary>Final LayerNorm of the decoder, or null.</summary>
    public LayerNormWeights? DecoderNorm { get; private set; }

    /// <summary>Final linear to the vocabulary [DecoderVocab, DModel] + bias, or null.</summary>
    public PackedLinear? Generator { get; private set; }

    /// <summary>
    /// Loads a safetensors checkpoint for a model of <paramref name="shape"/>. Every tensor the shape needs must be present
    /// with exactly the right shape; tensors the model has no place for are an error unless <paramref name="allowUnusedTensors"/>.
    /// </summary>
    /// <exception cref="ModelWeightsException">A tensor is missing, extra or mis-shaped.</exception>
    /// <exception cref="SafeTensorsFormatException">The file is malformed.</exception>
    public static TransformerWeights Load(string path, ModelShape shape, WeightNaming naming = WeightNaming.PyTorch, bool allowUnusedTensors = false)
    {
        using SafeTensorsFile file = SafeTensorsFile.Open(path);
        var source = new TensorSource(file);
        var weights = new TransformerWeights(shape);
        try
        {
            if (file.Metadata.TryGetValue("embedding_scale", out string? scale))
            {
                weights.EmbeddingScale = float.Parse(scale, System.Globalization.CultureInfo.InvariantCulture);
            }
            if (naming == WeightNaming.Bert)
            {
                BertNames.Load(weights, source, shape, file);
            }
            else
            {
                PyTorchNames.Load(weights, source, shape, file);
            }
            if (!allowUnusedTensors)
            {
                source.RejectUnused();
            }
            if (shape.Positions == PositionEncoding.Sinusoidal)
            {
                weights.Positions = Sinusoidal(shape.PositionTableSize, shape.DModel);
            }
            return weights;
        }
        catch
        {
            weights.Dispose();
            throw;
        }
    }

    /// <summary>PE(pos, 2i) = sin(pos / 10000^(2i/d)), PE(pos, 2i+1) = cos(pos / 10000^(2i/d)), computed in double.</summary>
    public static NativeBuffer Sinusoidal(int positions, int dModel)
    {
        var table = new NativeBuffer((long)positions * dModel);
        float* pe = table.Pointer;
        for (int pos = 0; pos < positions; pos++)
        {
            for (int i = 0; 2 * i < dModel; i++)
            {
                double angle = pos / Math.Pow(10000.0, 2.0 * i / dModel);
                pe[pos * dModel + 2 * i] = (float)Math.Sin(angle);
                if (2 * i + 1 < dModel)
                {
                    pe[pos * dModel + 2 * i + 1] = (float)Math.Cos(angle);
                }
            }
        }
        return table;
    }

    /// <summary>Sets the parts a name map found.</summary>
    internal void Set(NativeBuffer? sourceEmbedding, NativeBuffer? targetEmbedding, NativeBuffer? learnedPositions, NativeBuffer? tokenTypes,
                      LayerNormWeights? embeddingNorm, EncoderLayerWeights[] encoder, LayerNormWeights? encoderNorm,
                      DecoderLayerWeights[] decoder, LayerNormWeights? decoderNorm, PackedLinear? generator)
    {
        SourceEmbedding = sourceEmbedding;
        TargetEmbedding = targetEmbedding;
        Positions = learnedPositions;
        TokenTypeEmbedding = tokenTypes;
        EmbeddingNorm = embeddingNorm;
        Encoder = encoder;
        EncoderNorm = encoderNorm;
        Decoder = decoder;
        DecoderNorm = decoderNorm;
        Generator = generator;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        SourceEmbedding?.Dispose();
        TargetEmbedding?.Dispose();
        Positions?.Dispose();
        TokenTypeEmbedding?.Dispose();
        EmbeddingNorm?.Dispose();
        foreach (EncoderLayerWeights layer in Encoder)
        {
            layer.Dispose();
        }
        EncoderNorm?.Dispose();
        foreach (DecoderLayerWeights layer in Decoder)
        {
            layer.Dispose();
        }
        DecoderNorm?.Dispose();
        Generator?.Dispose();
    }
}
