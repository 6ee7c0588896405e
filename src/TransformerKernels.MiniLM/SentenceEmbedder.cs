using Microsoft.ML.Tokenizers;

namespace TransformerKernels.MiniLM;

/// <summary>
/// Sentence embeddings as sentence-transformers computes them for all-MiniLM-L6-v2: BERT uncased WordPiece
/// tokenization (lower-casing, accent stripping, CJK characters split, [CLS] … [SEP], truncated to 256 tokens), the
/// encoder, mean pooling over the real tokens, L2 normalization. Not thread-safe: one embedder per thread, or a lock.
/// </summary>
public sealed class SentenceEmbedder : IDisposable
{
    /// <summary>Width of an embedding.</summary>
    public const int Dimensions = AllMiniLmL6V2.DModel;

    private readonly AllMiniLmL6V2 _model;
    private readonly BertTokenizer _tokenizer;
    private readonly int _maxBatch;
    private readonly float[] _hidden;
    private readonly int[] _ids, _lengths;

    /// <summary>Loads the cached weights (converting them on first use) and the vocabulary.</summary>
    /// <param name="maxBatch">Largest batch of one forward pass.</param>
    /// <param name="precision">How the linear layers are stored: FP32 (default, matches ONNX Runtime within 1e-4), BF16 or int8.</param>
    public SentenceEmbedder(int maxBatch = 8, WeightPrecision precision = WeightPrecision.Fp32)
        : this(MiniLmFiles.EnsureCached(precision: precision), maxBatch, precision)
    {
    }

    /// <summary>Loads from explicit files.</summary>
    public SentenceEmbedder((string Weights, string Vocabulary) files, int maxBatch = 8, WeightPrecision precision = WeightPrecision.Fp32)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatch, 1);
        if ("é".Normalize(System.Text.NormalizationForm.FormD).Length != 2)
        {
            // Without ICU (InvariantGlobalization) .NET cannot decompose "é", and BERT's accent stripping would silently
            // turn accented words into different tokens than the Hugging Face tokenizer gives.
            throw new InvalidOperationException("Unicode normalization is unavailable (InvariantGlobalization is on?); the BERT tokenizer needs it to strip accents. Set <InvariantGlobalization>false</InvariantGlobalization>.");
        }
        _maxBatch = maxBatch;
        _model = LoadModel(files.Weights, maxBatch, precision);
        _tokenizer = CreateTokenizer(files.Vocabulary);
        _hidden = new float[maxBatch * AllMiniLmL6V2.MaxSeqLen * Dimensions];
        _ids = new int[maxBatch * AllMiniLmL6V2.MaxSeqLen];
        _lengths = new int[maxBatch];
    }

    /// <summary>
    /// Maps the prepacked cache of <paramref name="precision"/> written beside the weights (the fast cold start). When it is
    /// missing, does not match its seal, or was packed by another version of the layout (or, for int8, for kernels with
    /// other weight levels), loads the weights — below FP32 from the FP32 packed cache when there is one — converts them and
    /// writes a fresh cache; when the cache cannot be written (a read-only directory) the packed weights stay in memory.
    /// </summary>
    private static AllMiniLmL6V2 LoadModel(string weightsPath, int maxBatch, WeightPrecision precision)
    {
        string packed = PackedPath(weightsPath, precision);
        if (TryLoadPacked(packed, precision) is { } cached)
        {
            return new AllMiniLmL6V2(cached, maxBatch);
        }
        TransformerWeights weights = (precision != WeightPrecision.Fp32 ? TryLoadPacked(PackedPath(weightsPath, WeightPrecision.Fp32), WeightPrecision.Fp32) : null)
            ?? TransformerWeights.Load(weightsPath, AllMiniLmL6V2.Shape, WeightNaming.Bert);
        try
        {
            weights.ConvertTo(precision);
        }
        catch
        {
            weights.Dispose();
            throw;
        }
        try
        {
            CacheFiles.Write(packed, temporary => PackedCheckpoint.Save(weights, temporary));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A read-only cache still works, just without the fast start next time.
        }
        return new AllMiniLmL6V2(weights, maxBatch);
    }

    /// <summary>The prepacked cache file of a precision: <c>model.packed.safetensors</c>, <c>model.packed-int8.safetensors</c>, …</summary>
    public static string PackedPath(string weightsPath, WeightPrecision precision) =>
        Path.ChangeExtension(weightsPath, precision == WeightPrecision.Fp32 ? ".packed.safetensors" : $".packed-{precision.ToString().ToLowerInvariant()}.safetensors");

    private static TransformerWeights? TryLoadPacked(string path, WeightPrecision precision)
    {
        if (!CacheFiles.IsIntact(path))
        {
            return null;
        }
        try
        {
            TransformerWeights weights = PackedCheckpoint.Load(path, AllMiniLmL6V2.Shape);
            if (weights.Precision == precision)
            {
                return weights;
            }
            weights.Dispose();
        }
        catch (Exception e) when (e is ModelWeightsException or SafeTensorsFormatException)
        {
            // Stale or damaged cache: rebuilt by the caller.
        }
        return null;
    }

    /// <summary>The underlying model.</summary>
    public AllMiniLmL6V2 Model => _model;

    /// <summary>
    /// The BERT uncased tokenizer as the Hugging Face tokenizer of this model is configured: Microsoft.ML.Tokenizers'
    /// WordPiece with Hugging Face's clean-up and word split (<see cref="BertTextNormalizer"/>, <see cref="BertPreTokenizer"/>),
    /// which keep line breaks as spaces and symbols as text where the library's built-in BERT clean-up drops them.
    /// </summary>
    public static BertTokenizer CreateTokenizer(string vocabularyPath) => BertTokenizer.Create(vocabularyPath, new BertOptions
    {
        Normalizer = new BertTextNormalizer(),
        PreTokenizer = new BertPreTokenizer(),
        ApplyBasicTokenization = false, // the two above do it, as Hugging Face does
        LowerCaseBeforeTokenization = false, // done by the normalizer, before accents are stripped
        SplitOnSpecialTokens = true,
    });

    /// <summary>Token ids with [CLS] and [SEP], truncated so the whole fits MaxSeqLen.</summary>
    public int[] Tokenize(string text)
    {
        IReadOnlyList<int> ids = _tokenizer.EncodeToIds(text, AllMiniLmL6V2.MaxSeqLen - 2, addSpecialTokens: false, out _, out _);
        return [_tokenizer.ClassificationTokenId, .. ids, _tokenizer.SeparatorTokenId];
    }

    /// <summary>Embeds every text; batches of up to the configured size share one forward pass (padded to the longest).</summary>
    public float[][] Embed(IReadOnlyList<string> texts)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var result = new float[texts.Count][];
        for (int start = 0; start < texts.Count; start += _maxBatch)
        {
            int count = Math.Min(_maxBatch, texts.Count - start);
            int[][] tokens = Enumerable.Range(start, count).Select(i => Tokenize(texts[i] ?? throw new ArgumentException($"Text {i} is null.", nameof(texts)))).ToArray();
            int length = tokens.Max(t => t.Length);
            Array.Clear(_ids); // [PAD] = 0
            for (int b = 0; b < count; b++)
            {
                tokens[b].CopyTo(_ids, b * length);
                _lengths[b] = tokens[b].Length;
            }
            _model.Encode(_ids.AsSpan(0, count * length), count, length, _lengths.AsSpan(0, count), _hidden);
            for (int b = 0; b < count; b++)
            {
                result[start + b] = Pool(_hidden.AsSpan(b * length * Dimensions, _lengths[b] * Dimensions), _lengths[b]);
            }
        }
        return result;
    }

    /// <summary>Mean over the real tokens' hidden states, then L2 normalization.</summary>
    private static float[] Pool(ReadOnlySpan<float> hidden, int tokens)
    {
        var embedding = new float[Dimensions];
        for (int t = 0; t < tokens; t++)
        {
            for (int j = 0; j < Dimensions; j++)
            {
                embedding[j] += hidden[t * Dimensions + j];
            }
        }
        double norm = 0;
        foreach (float v in embedding)
        {
            norm += (double)(v / tokens) * (v / tokens);
        }
        float scale = (float)(1.0 / tokens / Math.Max(Math.Sqrt(norm), 1e-12));
        for (int j = 0; j < Dimensions; j++)
        {
            embedding[j] *= scale;
        }
        return embedding;
    }

    /// <summary>Cosine similarity of two embeddings (their dot product, as both are normalized).</summary>
    public static float Cosine(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double dot = 0, na = 0, nb = 0;
        for (int i = 0; i < a.Length; i++)
        {
            dot += (double)a[i] * b[i];
            na += (double)a[i] * a[i];
            nb += (double)b[i] * b[i];
        }
        return (float)(dot / Math.Sqrt(na * nb));
    }

    /// <inheritdoc/>
    public void Dispose() => _model.Dispose();
}
