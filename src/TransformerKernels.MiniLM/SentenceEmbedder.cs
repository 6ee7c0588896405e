using System.Numerics.Tensors;
using Microsoft.ML.Tokenizers;
using TransformerKernels.Embeddings;

namespace TransformerKernels.MiniLM;

/// <summary>
/// Sentence embeddings as sentence-transformers computes them for all-MiniLM-L6-v2: BERT uncased WordPiece
/// tokenization (lower-casing, accent stripping, CJK characters split, [CLS] … [SEP], truncated to 256 tokens), the
/// encoder, mean pooling over the real tokens, L2 normalization — the generic <see cref="SentenceTransformer{TModel}"/> of
/// TransformerKernels.Embeddings configured as this model's sentence-transformers directory is, over weights loaded through
/// MiniLM's prepacked cache. Calls from several threads are serialized (one session); <see cref="Tokenize"/> and
/// <see cref="IsEmpty(string)"/> run concurrently, and <see cref="Dispose"/> may come from any thread.
/// </summary>
public sealed class SentenceEmbedder : IDisposable
{
    /// <summary>Width of an embedding.</summary>
    public const int Dimensions = AllMiniLmL6V2.DModel;

    /// <summary>The model's id on the Hugging Face hub.</summary>
    public const string ModelId = "sentence-transformers/all-MiniLM-L6-v2";

    /// <summary>all-MiniLM-L6-v2's pipeline: mean pooling, then the Normalize module.</summary>
    public static readonly SentencePooling Pooling = new(PoolingMode.Mean, Normalize: true);

    private readonly AllMiniLmL6V2 _model;
    private readonly BertWordPieceTokenizer _tokenizer;
    private readonly SentenceTransformer<AllMiniLmL6V2> _transformer;

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
        _tokenizer = BertWordPieceTokenizer.FromVocabTxt(files.Vocabulary);
        _model = LoadModel(files.Weights, maxBatch, precision);
        _transformer = new SentenceTransformer<AllMiniLmL6V2>(_model, _tokenizer, Pooling, AllMiniLmL6V2.MaxSeqLen, ModelId,
            new EncoderModelOptions { MaxBatch = maxBatch, RejectEmptyTexts = true });
        Capacity = _transformer.Capacity;
        _tokenBudget = Capacity;
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

    /// <summary>The generic sentence-transformers embedder this one configures (what <see cref="MiniLmEmbeddingGenerator"/> serves).</summary>
    public SentenceTransformer<AllMiniLmL6V2> Transformer => _transformer;

    /// <summary>
    /// The BERT uncased tokenizer as the Hugging Face tokenizer of this model is configured: Microsoft.ML.Tokenizers'
    /// WordPiece with Hugging Face's clean-up and word split (<see cref="BertTextNormalizer"/>, <see cref="BertPreTokenizer"/>),
    /// which keep line breaks as spaces and symbols as text where the library's built-in BERT clean-up drops them.
    /// </summary>
    public static BertTokenizer CreateTokenizer(string vocabularyPath) => BertWordPieceTokenizer.FromVocabTxt(vocabularyPath).Tokenizer;

    /// <summary>
    /// Token ids with [CLS] and [SEP], truncated so the whole fits MaxSeqLen. Safe to call from several threads at once, also
    /// while another thread embeds (the tokenizer is not the model's scratch).
    /// </summary>
    public int[] Tokenize(string text) => _transformer.Tokenize(text);

    /// <summary>
    /// True when <paramref name="text"/> is EMPTY: its tokenization has no tokens besides [CLS] and [SEP]. That covers "",
    /// blanks and texts made only of what BERT's clean-up removes (control and format characters, NUL, U+FFFD). Embedding
    /// such a text would give the same [CLS] [SEP] vector for all of them, so <see cref="Embed(IReadOnlyList{string}, CancellationToken, IProgress{int})"/>
    /// refuses them; callers use this predicate to say so first. Exceptions from the tokenizer propagate.
    /// </summary>
    public bool IsEmpty(string text) => IsEmptyTokenization(Tokenize(text));

    /// <summary>The rule of <see cref="IsEmpty(string)"/> on ids <see cref="Tokenize"/> returned: nothing besides [CLS] and [SEP].</summary>
    public static bool IsEmptyTokenization(ReadOnlySpan<int> tokenIds) => tokenIds.Length <= 2;

    /// <summary>Tokens one forward pass can hold: maxBatch × MaxSeqLen.</summary>
    public int Capacity { get; }

    private int _tokenBudget;

    /// <summary>
    /// Most tokens per forward pass (default and maximum: <see cref="Capacity"/>; at least MaxSeqLen, so any text fits).
    /// Smaller chunks give earlier progress reports and cancellation points; larger ones fewer passes over the weights.
    /// </summary>
    public int TokenBudget
    {
        get => _tokenBudget;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, AllMiniLmL6V2.MaxSeqLen);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, Capacity);
            _tokenBudget = value;
        }
    }

    /// <summary>Embeds every text, in input order (see <see cref="Embed(IReadOnlyList{string}, CancellationToken, IProgress{int})"/>).</summary>
    public float[][] Embed(IReadOnlyList<string> texts) => Embed(texts, CancellationToken.None);

    /// <summary>
    /// Embeds every text, in input order. Texts are packed: consecutive texts share one forward pass until their tokens would
    /// exceed <see cref="TokenBudget"/>, their rows back to back, so no arithmetic is spent on padding (a batch padded to its
    /// longest text spends most of it there when lengths vary). Every text is tokenized and checked before anything is
    /// computed. Cancellation is checked before each pass, which leaves the embedder usable; <paramref name="progress"/>
    /// receives the number of texts embedded after each pass.
    /// </summary>
    /// <exception cref="ArgumentException">A text is null, cannot be tokenized, or is empty (<see cref="IsEmpty(string)"/>);
    /// <see cref="ArgumentException.ParamName"/> is <c>texts</c> and the message names its index.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    /// <exception cref="ObjectDisposedException">The embedder is disposed (also when that happens between two passes).</exception>
    public float[][] Embed(IReadOnlyList<string> texts, CancellationToken cancellationToken, IProgress<int>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var sequences = new int[texts.Count][];
        for (int i = 0; i < texts.Count; i++)
        {
            string text = texts[i] ?? throw new ArgumentException($"Text {i} is null.", nameof(texts));
            try
            {
                sequences[i] = Tokenize(text);
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException)
            {
                // string.Normalize refuses some code points (U+FFFE, lone surrogates): that text's problem, said by index.
                throw new ArgumentException($"Text {i} cannot be tokenized: {e.Message}", nameof(texts), e);
            }
            if (IsEmptyTokenization(sequences[i]))
            {
                throw new ArgumentException($"Text {i} is empty: it has no tokens besides [CLS] and [SEP] (blank, or only characters BERT's clean-up removes).", nameof(texts));
            }
        }
        return EmbedTokens(sequences, cancellationToken, progress);
    }

    /// <summary>
    /// Embeds sequences already tokenized by <see cref="Tokenize"/> (each [CLS] … [SEP], 3 to MaxSeqLen ids), in input order,
    /// packed as <see cref="Embed(IReadOnlyList{string}, CancellationToken, IProgress{int})"/> packs texts: for callers that
    /// tokenize earlier, such as a server checking each request before it joins a shared batch. Every sequence is checked
    /// before anything is computed.
    /// </summary>
    /// <exception cref="ArgumentException">A sequence is null, empty (only [CLS] and [SEP]), longer than MaxSeqLen, or not
    /// framed by [CLS] … [SEP]; <see cref="ArgumentException.ParamName"/> is <c>sequences</c>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An id lies outside the vocabulary (ParamName <c>sequences</c>).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    /// <exception cref="ObjectDisposedException">The embedder is disposed (also when that happens between two passes).</exception>
    public float[][] EmbedTokens(IReadOnlyList<int[]> sequences, CancellationToken cancellationToken, IProgress<int>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(sequences);
        for (int i = 0; i < sequences.Count; i++)
        {
            CheckSequence(sequences[i], i);
        }
        return _transformer.EmbedTokens(sequences, cancellationToken, progress, _tokenBudget);
    }

    private void CheckSequence(int[]? ids, int index)
    {
        const string param = "sequences";
        if (ids is null)
        {
            throw new ArgumentException($"Sequence {index} is null.", param);
        }
        if (IsEmptyTokenization(ids))
        {
            throw new ArgumentException($"Sequence {index} is empty: it has no tokens besides [CLS] and [SEP].", param);
        }
        if (ids.Length > AllMiniLmL6V2.MaxSeqLen)
        {
            throw new ArgumentException($"Sequence {index} has {ids.Length} tokens; at most {AllMiniLmL6V2.MaxSeqLen} (MaxSeqLen).", param);
        }
        if (ids[0] != _tokenizer.ClassificationTokenId || ids[^1] != _tokenizer.SeparatorTokenId)
        {
            throw new ArgumentException($"Sequence {index} does not start with [CLS] and end with [SEP]; tokenize it with Tokenize().", param);
        }
        foreach (int id in ids)
        {
            if ((uint)id >= AllMiniLmL6V2.EncoderVocab)
            {
                throw new ArgumentOutOfRangeException(param, id, $"Sequence {index} holds id {id}, outside the vocabulary (0..{AllMiniLmL6V2.EncoderVocab - 1}).");
            }
        }
    }

    /// <summary>Cosine similarity of two embeddings of the same length (<see cref="TensorPrimitives.CosineSimilarity(ReadOnlySpan{float}, ReadOnlySpan{float})"/>).</summary>
    public static float Cosine(ReadOnlySpan<float> a, ReadOnlySpan<float> b) => TensorPrimitives.CosineSimilarity(a, b);

    /// <summary>
    /// Releases the weights (native memory). Safe from another thread while <see cref="Embed(IReadOnlyList{string}, CancellationToken, IProgress{int})"/>
    /// runs: the model's own guard (<see cref="ModelCallGuard"/>) lets a forward pass in progress finish reading the mapped
    /// weights and releases them when it ends, and that Embed call throws <see cref="ObjectDisposedException"/> before its
    /// next pass.
    /// </summary>
    public void Dispose() => _transformer.Dispose();
}
