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
    /// <paramref name="path"/> is a safetensors file, a sharded checkpoint's <c>model.safetensors.index.json</c>, or a
    /// directory holding either (as Hugging Face's <c>save_pretrained</c> writes them); F32, F16 and BF16 tensors are read.
    /// With <see cref="WeightNaming.Auto"/> the naming follows the <c>model_type</c> of the config.json beside the checkpoint
    /// (<see cref="WeightNaming.PyTorch"/> without one).
    /// </summary>
    /// <exception cref="ModelWeightsException">A tensor is missing, extra or mis-shaped.</exception>
    /// <exception cref="ModelConfigurationException">The config.json is malformed, names an unsupported model_type, or disagrees with the shape.</exception>
    /// <exception cref="SafeTensorsFormatException">The file is malformed.</exception>
    public static TransformerWeights Load(string path, ModelShape shape, WeightNaming naming = WeightNaming.Auto, bool allowUnusedTensors = false)
        => Load(path, shape, WeightPrecision.Fp32, naming, allowUnusedTensors);

    /// <summary>Loads a checkpoint as <see cref="Load(string, ModelShape, WeightNaming, bool)"/> does and stores its linear layers in <paramref name="precision"/>.</summary>
    /// <exception cref="ModelWeightsException">A tensor is missing, extra or mis-shaped, or (below FP32) not finite.</exception>
    /// <exception cref="ModelConfigurationException">The config.json is malformed, names an unsupported model_type, or disagrees with the shape.</exception>
    /// <exception cref="SafeTensorsFormatException">The file is malformed.</exception>
    public static TransformerWeights Load(string path, ModelShape shape, WeightPrecision precision, WeightNaming naming = WeightNaming.Auto, bool allowUnusedTensors = false)
    {
        using Checkpoint file = Checkpoint.Open(path);
        bool automatic = naming == WeightNaming.Auto;
        if (automatic)
        {
            naming = ModelTypes.Resolve(file.FilePath);
        }
        var source = new TensorSource(file);
        var weights = new TransformerWeights(shape);
        try
        {
            if (file.Metadata.TryGetValue("embedding_scale", out string? scale))
            {
                weights.EmbeddingScale = float.Parse(scale, System.Globalization.CultureInfo.InvariantCulture);
            }
            if (file.Gguf is not null)
            {
                // A GGUF file is llama.cpp's: its tensors are renamed to Hugging Face Llama names as they are read.
                naming = naming is WeightNaming.PyTorch or WeightNaming.Llama || automatic
                    ? WeightNaming.Llama
                    : throw new ArgumentException($"{Path.GetFileName(path)} is a GGUF file of the {file.Gguf.Architecture} architecture, read with WeightNaming.Llama; {naming} names do not apply to it.", nameof(naming));
            }
            switch (naming)
            {
                case WeightNaming.Bert or WeightNaming.Roberta:
                    bool roberta = naming == WeightNaming.Roberta;
                    BertNames.Load(weights, source, shape, file, roberta, BertConfig.CheckBeside(file.FilePath, shape, roberta));
                    break;
                case WeightNaming.Gpt2:
                    Gpt2Names.RequireDeclaration(shape);
                    Gpt2Config.CheckBeside(file.FilePath, shape);
                    Gpt2Names.Load(weights, source, shape);
                    break;
                case WeightNaming.Llama when file.Gguf is { } gguf:
                    LlamaNames.RequireDeclaration(shape);
                    GgufLlamaConfig.Check(gguf, shape);
                    LlamaNames.Load(weights, source, shape, tieWordEmbeddings: null); // tied when the file has no output.weight
                    break;
                case WeightNaming.Llama:
                    LlamaNames.RequireDeclaration(shape);
                    LlamaNames.Load(weights, source, shape, LlamaConfig.CheckBeside(file.FilePath, shape));
                    break;
                case WeightNaming.PyTorch:
                    PyTorchNames.Load(weights, source, shape, file);
                    break;
                default:
                    throw new ArgumentOutOfRangeException(nameof(naming), naming, "Unknown weight naming.");
            }
            if (!allowUnusedTensors)
            {
                source.RejectUnused();
            }
            if (shape.Positions == PositionEncoding.Sinusoidal)
            {
                weights.Positions = Sinusoidal(shape.PositionTableSize, shape.DModel);
            }
            return weights.ConvertTo(precision);
        }
        // An explicit naming that finds no tensors of its own, or checks a config.json of another family: say which naming fits.
        catch (ModelWeightsException e) when (!automatic && e.Actual == "missing" && ModelTypes.HintFor(file.FilePath, naming) is { } hint)
        {
            weights.Dispose();
            throw new ModelWeightsException(e.TensorName, e.Expected, e.Actual, e.Message + hint);
        }
        catch (ModelConfigurationException e) when (!automatic && ModelTypes.HintFor(file.FilePath, naming) is { } hint)
        {
            weights.Dispose();
            throw new ModelConfigurationException(e.Message + hint, e.Field, e.Expected, e.Actual, e.Property, e);
        }
        catch
        {
            weights.Dispose();
            throw;
        }
    }

    /// <summary>How the linear layers' weights are stored (see <see cref="ConvertTo"/>).</summary>
    public WeightPrecision Precision { get; private set; }

    /// <summary>Every linear layer with the name a prepacked checkpoint gives it (e.g. <c>encoder.0.qkv</c>), in forward order.</summary>
    public IEnumerable<(string Name, PackedLinear Layer)> LinearLayers()
    {
        for (int i = 0; i < Encoder.Length; i++)
        {
            EncoderLayerWeights layer = Encoder[i];
            yield return ($"encoder.{i}.qkv", layer.SelfAttention.QueryKeyValue);
            yield return ($"encoder.{i}.out", layer.SelfAttention.Output);
            yield return ($"encoder.{i}.up", layer.FeedForward.Up);
            yield return ($"encoder.{i}.down", layer.FeedForward.Down);
        }
        for (int i = 0; i < Decoder.Length; i++)
        {
            DecoderLayerWeights layer = Decoder[i];
            yield return ($"decoder.{i}.qkv", layer.SelfAttention.QueryKeyValue);
            yield return ($"decoder.{i}.out", layer.SelfAttention.Output);
            if (layer.CrossAttention is { } cross)
            {
                yield return ($"decoder.{i}.cross_query", cross.Query);
                yield return ($"decoder.{i}.cross_key_value", cross.KeyValue);
                yield return ($"decoder.{i}.cross_out", cross.Output);
            }
            yield return ($"decoder.{i}.up", layer.FeedForward.Up);
            yield return ($"decoder.{i}.down", layer.FeedForward.Down);
        }
        if (Generator is not null)
        {
            yield return ("generator", Generator);
        }
    }

    /// <summary>Bytes of every linear layer's weights in their current precision (biases, embeddings and norms not counted).</summary>
    public long LinearWeightBytes => LinearLayers().Sum(layer => layer.Layer.WeightBytes);

    /// <summary>
    /// Stores every linear layer in <paramref name="precision"/> (BF16 rounded to nearest even, or int8 per output channel),
    /// freeing the FP32 weights. Embeddings, LayerNorms and biases stay FP32. FP32 leaves the weights as they are.
    /// </summary>
    /// <exception cref="ModelWeightsException">A weight is NaN or infinite; the message names the tensor.</exception>
    /// <exception cref="InvalidOperationException">The weights already hold another lower precision.</exception>
    public TransformerWeights ConvertTo(WeightPrecision precision)
    {
        if (precision == Precision)
        {
            return this;
        }
        if (Precision != WeightPrecision.Fp32)
        {
            throw new InvalidOperationException($"The weights already hold {Precision}; load them again to use {precision}.");
        }
        foreach ((string name, PackedLinear layer) in LinearLayers())
        {
            layer.ConvertTo(precision, name);
        }
        Precision = precision;
        return this;
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

    /// <summary>Views over a mapped packed checkpoint (see <see cref="PackedCheckpoint"/>); the weights own the file.</summary>
    internal static TransformerWeights FromPacked(SafeTensorsFile file, ModelShape shape, WeightPrecision precision)
    {
        var weights = new TransformerWeights(shape) { _mapped = file, Precision = precision };
        int d = shape.DModel, f = shape.FfnDim;
        NativeBuffer View(string name, long length) => NativeBuffer.View(file.MappedFloats(name, length), length);
        NativeBuffer? Optional(string name, long length) => file.Tensors.ContainsKey(name) ? View(name, length) : null;
        NativeBuffer ViewOf(string name, TensorDType dtype, long elements, long floats) => NativeBuffer.View((float*)file.Mapped(name, dtype, elements), floats);
        PackedLinear Linear(string name, int outputs, int inputs)
        {
            long columns = (outputs + PackedLinear.PanelWidth - 1) / PackedLinear.PanelWidth * PackedLinear.PanelWidth;
            NativeBuffer bias = View(name + ".bias", columns);
            switch (precision)
            {
                case WeightPrecision.Bf16:
                    long pairs = (inputs + 1) / 2;
                    NativeBuffer bf16 = ViewOf(name + ".bf16", TensorDType.BF16, columns * pairs * 2, columns * pairs);
                    return PackedLinear.FromPacked(LowPrecisionWeights.FromMapped(WeightPrecision.Bf16, bf16, null, null, 0), bias, outputs, inputs);
                case WeightPrecision.Int8:
                    int groups = ShapeMath.Int8Groups(inputs);
                    NativeBuffer int8 = ViewOf(name + ".int8", TensorDType.I8, columns * groups * 4, columns * groups);
                    NativeBuffer sums = ViewOf(name + ".sums", TensorDType.I32, columns, columns);
                    return PackedLinear.FromPacked(LowPrecisionWeights.FromMapped(WeightPrecision.Int8, int8, View(name + ".scales", columns), sums, groups), bias, outputs, inputs);
                default:
                    return PackedLinear.FromPacked(View(name + ".packed", columns * inputs), bias, outputs, inputs);
            }
        }
        LayerNormWeights Norm(string name) => new(View(name + ".gamma", d), View(name + ".beta", d));
        LayerNormWeights? OptionalNorm(string name) => file.Tensors.ContainsKey(name + ".gamma") ? Norm(name) : null;

        var encoder = new EncoderLayerWeights[shape.EncoderLayers];
        for (int i = 0; i < encoder.Length; i++)
        {
            encoder[i] = new EncoderLayerWeights(new SelfAttentionWeights(Linear($"encoder.{i}.qkv", shape.QkvWidth, d), Linear($"encoder.{i}.out", d, d)), Norm($"encoder.{i}.norm1"),
                new FeedForwardWeights(Linear($"encoder.{i}.up", shape.FfnUpColumns, d), Linear($"encoder.{i}.down", d, f)), Norm($"encoder.{i}.norm2"));
        }
        var decoder = new DecoderLayerWeights[shape.DecoderLayers];
        for (int i = 0; i < decoder.Length; i++)
        {
            CrossAttentionWeights? cross = shape.EncoderLayers > 0
                ? new CrossAttentionWeights(Linear($"decoder.{i}.cross_query", d, d), Linear($"decoder.{i}.cross_key_value", 2 * d, d), Linear($"decoder.{i}.cross_out", d, d))
                : null;
            decoder[i] = new DecoderLayerWeights(new SelfAttentionWeights(Linear($"decoder.{i}.qkv", shape.QkvWidth, d), Linear($"decoder.{i}.out", d, d)), Norm($"decoder.{i}.norm1"),
                cross, Norm($"decoder.{i}.norm2"), new FeedForwardWeights(Linear($"decoder.{i}.up", shape.FfnUpColumns, d), Linear($"decoder.{i}.down", d, f)), Norm($"decoder.{i}.norm3"));
        }
        weights.Set(Optional("source_embedding", (long)shape.EncoderVocab * d), Optional("target_embedding", (long)shape.DecoderVocab * d),
            shape.Positions == PositionEncoding.Learned ? View("positions", (long)shape.PositionTableSize * d) : null,
            Optional("token_types", (long)shape.TokenTypes * d), OptionalNorm("embedding_norm"), encoder, OptionalNorm("encoder_norm"), decoder,
            OptionalNorm("decoder_norm"), shape.DecoderVocab > 0 ? Linear("generator", shape.DecoderVocab, d) : null);
        weights.EmbeddingScale = float.Parse(file.Metadata.GetValueOrDefault("embedding_scale", "1"), System.Globalization.CultureInfo.InvariantCulture);
        if (shape.Positions == PositionEncoding.Sinusoidal)
        {
            weights.Positions = Sinusoidal(shape.PositionTableSize, shape.DModel);
        }
        return weights;
    }

    private SafeTensorsFile? _mapped;

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

    // Holders of the native memory: whoever loaded the weights (released by Dispose) and every model instance over them
    // (each session included, released when it is disposed). The memory is freed when the last holder lets go, so
    // disposing the model that loaded the weights cannot pull them from under a session still using them.
    private int _holders = 1;
    private int _disposeRequested;

    /// <summary>Keeps the native weights alive for one more holder (a model instance), until it calls <see cref="Release"/>.</summary>
    /// <exception cref="ObjectDisposedException">The weights were freed already.</exception>
    [System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
    public void Retain()
    {
        while (true)
        {
            int holders = Volatile.Read(ref _holders);
            ObjectDisposedException.ThrowIf(holders <= 0, this);
            if (Interlocked.CompareExchange(ref _holders, holders + 1, holders) == holders)
            {
                return;
            }
        }
    }

    /// <summary>Lets go of a hold <see cref="Retain"/> took; the last holder frees the native memory.</summary>
    [System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
    public void Release()
    {
        if (Interlocked.Decrement(ref _holders) == 0)
        {
            Free();
        }
    }

    /// <summary>
    /// Lets go of the loader's hold (once; later calls do nothing). The native memory is freed now if no model instance
    /// holds the weights, else when the last one is disposed.
    /// </summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposeRequested, 1) == 0)
        {
            Release();
        }
    }

    private void Free()
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
        // Views into a mapped packed checkpoint are released above; the mapping goes last.
        _mapped?.Dispose();
    }
}
