using System.ComponentModel;

namespace TransformerKernels;

/// <summary>
/// A generated model as an object over loaded weights: what every declared model has whatever its shape — the weights
/// (shared with sessions), its <see cref="ModelRunState"/>, the one-call-at-a-time rule (<see cref="ModelCallGuard"/>),
/// loading, sessions and disposal. The kinds derived from it (<see cref="EncoderModel{TSelf}"/>,
/// <see cref="TokenEncoderModel{TSelf}"/>, <see cref="EncoderDecoderModel{TSelf}"/>, <see cref="TranslationModel{TSelf}"/>,
/// <see cref="DecoderModel{TSelf}"/>, <see cref="LanguageModel{TSelf}"/>) add the public calls of each stack; the generated
/// class derives from one of them and supplies its kernels through <see cref="IModelKernels{TSelf}"/>.
/// </summary>
/// <typeparam name="TSelf">The generated model class.</typeparam>
public abstract unsafe partial class TransformerModel<TSelf> : IDisposable where TSelf : TransformerModel<TSelf>, IModelKernels<TSelf>
{
    // The class's own name, for the guard's messages (as the generated code spelled it).
    private static readonly string s_name = typeof(TSelf).Name;

    private readonly bool _ownsWeights;
    private protected readonly TransformerWeights _weights;
    private protected readonly ModelRunState _state;
    private protected readonly ModelCallGuard _guard = new();
    // The declared sizes the checks and loops below use (the generated constants of the same names).
    private protected readonly int _dModel, _maxSeqLen, _encoderLayers, _decoderLayers, _encoderVocab, _decoderVocab, _tokenTypes;

    /// <summary>Creates the model over weights loaded for its shape (the generated constructors call it).</summary>
    /// <param name="weights">Weights whose <see cref="TransformerWeights.Shape"/> is the model's declared shape.</param>
    /// <param name="maxBatch">Largest batch the float- and token-level APIs will be given; scratch is sized for it.</param>
    /// <param name="ownsWeights">Whether disposing the model disposes the weights (false for a session).</param>
    [EditorBrowsable(EditorBrowsableState.Never)]
    protected TransformerModel(TransformerWeights weights, int maxBatch, bool ownsWeights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        ModelShape shape = TSelf.DeclaredShape;
        if (weights.Shape != shape)
        {
            throw new ArgumentException($"The weights were loaded for {weights.Shape}, not for this model's {shape}.", nameof(weights));
        }
        PrecisionNotGeneratedException.ThrowIfNotGenerated(TSelf.DeclaredPrecisions, weights.Precision, typeof(TSelf).Name);
        _weights = weights;
        _ownsWeights = ownsWeights;
        _state = new ModelRunState(shape, maxBatch);
        weights.Retain(); // every instance holds the weights: they outlive the loader's Dispose while a session uses them
        (_dModel, _maxSeqLen, _encoderLayers, _decoderLayers) = (shape.DModel, shape.MaxSeqLen, shape.EncoderLayers, shape.DecoderLayers);
        (_encoderVocab, _decoderVocab, _tokenTypes) = (shape.EncoderVocab, shape.DecoderVocab, shape.TokenTypes);
    }

    /// <summary>
    /// Loads a safetensors checkpoint, checking every tensor against the declared shape, and creates the model. Every GEMM is
    /// generated for the declared Precisions; <paramref name="precision"/> picks how the linear layers are stored. By default
    /// (<c>WeightNaming.Auto</c>) the tensor names follow the <c>model_type</c> of a Hugging Face config.json beside the checkpoint.
    /// </summary>
    /// <exception cref="ModelConfigurationException">The config.json is malformed, of an unsupported model_type, or disagrees with the declaration.</exception>
    /// <exception cref="ModelWeightsException">A tensor is missing, extra or mis-shaped, or (below FP32) not finite.</exception>
    /// <exception cref="SafeTensorsFormatException">The file is malformed.</exception>
    /// <exception cref="PrecisionNotGeneratedException"><paramref name="precision"/> is not among the declared Precisions (checked before the file is opened).</exception>
    public static TSelf Load(string path, WeightNaming naming = WeightNaming.Auto, int maxBatch = 1, bool allowUnusedTensors = false, WeightPrecision precision = WeightPrecision.Fp32)
    {
        PrecisionNotGeneratedException.ThrowIfNotGenerated(TSelf.DeclaredPrecisions, precision, typeof(TSelf).Name);
        return TSelf.CreateModel(TransformerWeights.Load(path, TSelf.DeclaredShape, precision, naming, allowUnusedTensors), maxBatch, ownsWeights: true);
    }

    /// <summary>
    /// A second instance over the same packed weights with its own scratch and caches, for another thread or another
    /// generation: an instance runs one call at a time (a concurrent call throws <see cref="InvalidOperationException"/>)
    /// and its decoder caches hold one set of sequences. The weights stay alive until the model and every session are disposed.
    /// </summary>
    /// <param name="maxBatch">Largest batch for the session.</param>
    public TSelf CreateSession(int maxBatch = 1)
    {
        ThrowIfDisposed();
        return TSelf.CreateModel(_weights, maxBatch, ownsWeights: false);
    }

    /// <summary>The loaded, prepacked weights.</summary>
    public TransformerWeights Weights => _weights;

    /// <summary>
    /// Frees the scratch and caches and lets go of the packed weights (freed once no session holds them). A call running
    /// on another thread finishes first: the memory is released when it ends.
    /// </summary>
    public void Dispose() => _guard.Dispose(Release);

    private void Release()
    {
        _state.Dispose();
        _weights.Release();
        if (_ownsWeights)
        {
            _weights.Dispose();
        }
    }

    /// <summary>Marks the instance busy for one call (see ModelCallGuard): a second thread entering meanwhile gets a clear error instead of corrupted scratch.</summary>
    private protected void Enter() => _guard.Enter(s_name);

    private protected void Exit() => _guard.Exit();

    private protected void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_guard.IsDisposed, this);

    /// <summary>Checks a padded batch: its size, its sequence length and its per-sequence valid lengths.</summary>
    private protected void CheckBatch(int batch, int length, ReadOnlySpan<int> lengths, string lengthsName)
    {
        ThrowIfDisposed();
        if (batch < 1 || batch > _state.MaxBatch)
        {
            throw new ArgumentOutOfRangeException(nameof(batch), batch, $"Batch must be 1..{_state.MaxBatch} (the maxBatch this model was created with).");
        }
        if (length < 1 || length > _maxSeqLen)
        {
            throw new ArgumentOutOfRangeException(nameof(length), length, $"Sequence length must be 1..{_maxSeqLen} (MaxSeqLen).");
        }
        if (!lengths.IsEmpty && lengths.Length != batch)
        {
            throw new ArgumentException($"{lengthsName} has {lengths.Length} entries; expected {batch}.", lengthsName);
        }
        foreach (int valid in lengths)
        {
            if (valid < 1 || valid > length)
            {
                throw new ArgumentOutOfRangeException(lengthsName, valid, $"Each length must be 1..{length}.");
            }
        }
    }

    /// <summary>A span of <paramref name="actual"/> elements must hold exactly (or at least) <paramref name="needed"/>.</summary>
    private protected static void CheckSpan(int actual, long needed, string name, bool exact)
    {
        if (exact ? actual != needed : actual < needed)
        {
            throw new ArgumentException($"{name} has {actual} elements; {(exact ? "expected" : "needs at least")} {needed}.", name);
        }
    }

    /// <summary>Every id must be in [0, <paramref name="vocabulary"/>).</summary>
    private protected static void CheckIds(ReadOnlySpan<int> ids, int vocabulary, string name)
    {
        for (int i = 0; i < ids.Length; i++)
        {
            if ((uint)ids[i] >= (uint)vocabulary)
            {
                throw new ArgumentOutOfRangeException(name, ids[i], $"Id at index {i} is outside the vocabulary [0, {vocabulary}).");
            }
        }
    }

    /// <summary>
    /// Input rows of <paramref name="ids"/>: token embedding × EmbeddingScale, plus the position row (learned or sinusoidal
    /// tables; rotary positions rotate queries and keys inside attention instead) and the token type's row when the weights
    /// have them; normalized when the checkpoint has an embedding norm (BERT).
    /// </summary>
    private protected void Embed(float* table, ReadOnlySpan<int> ids, int firstPosition, ReadOnlySpan<int> tokenTypes, float* rows)
    {
        int d = _dModel;
        float scale = _weights.EmbeddingScale;
        float* positions = _weights.Positions is { } p ? p.Pointer : null;
        float* types = _weights.TokenTypeEmbedding is { } t ? t.Pointer : null;
        for (int i = 0; i < ids.Length; i++)
        {
            float* row = rows + (long)i * d;
            float* token = table + (long)ids[i] * d;
            for (int j = 0; j < d; j++)
            {
                row[j] = token[j] * scale;
            }
            if (positions != null)
            {
                float* position = positions + (long)(firstPosition + i) * d;
                for (int j = 0; j < d; j++)
                {
                    row[j] += position[j];
                }
            }
            if (types != null)
            {
                float* type = types + (long)(tokenTypes.IsEmpty ? 0 : tokenTypes[i]) * d;
                for (int j = 0; j < d; j++)
                {
                    row[j] += type[j];
                }
            }
        }
        if (_weights.EmbeddingNorm is { } norm)
        {
            TSelf.Normalize(rows, norm.Gamma, norm.Beta, ids.Length);
        }
    }
}
