using System.Globalization;
using System.Text.Json;

namespace TransformerKernels.Embeddings;

/// <summary>A document's place after reranking.</summary>
/// <param name="Index">Its index in the documents given.</param>
/// <param name="Document">The document.</param>
/// <param name="Score">Its relevance to the query (after the model's activation: a probability for sigmoid).</param>
public sealed record RankedDocument(int Index, string Document, float Score);

/// <summary>
/// A BERT cross-encoder as sentence-transformers' <c>CrossEncoder</c> runs it: each (query, document) pair encoded together
/// as [CLS] query [SEP] document [SEP] (token types 0, then 1; truncated by the fast tokenizer's longest_first rule), the
/// [CLS] state through Hugging Face's BertForSequenceClassification head (pooler dense + tanh, classifier), one logit, then
/// the CrossEncoder's default activation for one label, the sigmoid (or what config.json's
/// <c>sentence_transformers.activation_fn</c> names: Sigmoid or Identity). Thread-safe like the embedder.
/// </summary>
/// <typeparam name="TModel">A <c>[TransformerModel]</c> declaration with the directory's shape.</typeparam>
public sealed class CrossEncoderReranker<TModel> : IDisposable where TModel : class, IEncoderModel<TModel>
{
    private const string SigmoidName = "torch.nn.modules.activation.Sigmoid", IdentityName = "torch.nn.modules.linear.Identity";

    private readonly EncoderSessions _sessions;
    private readonly ClassificationHead _head;

    private CrossEncoderReranker(TModel model, ClassificationHead head, BertWordPieceTokenizer tokenizer, int maxLength, bool sigmoid, string modelId, EncoderModelOptions options)
    {
        _head = head;
        Tokenizer = tokenizer;
        MaxSequenceLength = maxLength;
        AppliesSigmoid = sigmoid;
        ModelId = modelId;
        _sessions = new EncoderSessions(model, TModel.Shape, options);
    }

    /// <summary>
    /// Loads a cross-encoder directory: config.json (checked against <typeparamref name="TModel"/>; one label), the tokenizer,
    /// and model.safetensors with the encoder (<c>bert.*</c>), the pooler and the classifier.
    /// </summary>
    /// <exception cref="ModelFileException">A file is missing or damaged.</exception>
    /// <exception cref="UnsupportedModelException">More than one label, or an activation other than Sigmoid or Identity.</exception>
    /// <exception cref="ModelConfigurationException">config.json or the tokenizer's length disagrees with <typeparamref name="TModel"/>.</exception>
    /// <exception cref="ModelWeightsException">A tensor is missing, unknown or mis-shaped.</exception>
    public static CrossEncoderReranker<TModel> Load(string directory, EncoderModelOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        options ??= new EncoderModelOptions();
        JsonElement config = BertConfig.Check(directory, TModel.Shape, out WeightNaming naming);
        if (naming != WeightNaming.Bert)
        {
            throw new UnsupportedModelException(Path.Combine(directory, BertConfig.FileName), "model_type", "is not 'bert': cross-encoders are read with BERT's WordPiece tokenizer and token types.");
        }
        string configPath = Path.Combine(directory, BertConfig.FileName);
        bool sigmoid = ReadActivation(configPath, config);
        BertWordPieceTokenizer tokenizer = BertWordPieceTokenizer.FromDirectory(directory);
        if (tokenizer.VocabularySize > TModel.Shape.EncoderVocab)
        {
            throw new ModelConfigurationException(tokenizer.VocabularyFile, "vocabulary size", $"at most {TModel.Shape.EncoderVocab} (Vocab)", tokenizer.VocabularySize.ToString(CultureInfo.InvariantCulture));
        }
        int maxLength;
        if (options.MaxSequenceLength is { } chosen)
        {
            maxLength = Math.Min(chosen, TModel.Shape.MaxSeqLen);
        }
        else if (tokenizer.ModelMaxLength is { } stated && stated > TModel.Shape.MaxSeqLen)
        {
            throw new ModelConfigurationException(tokenizer.VocabularyFile, "model_max_length", $"MaxSeqLen {TModel.Shape.MaxSeqLen} (or set EncoderModelOptions.MaxSequenceLength)", stated.ToString(CultureInfo.InvariantCulture));
        }
        else
        {
            maxLength = tokenizer.ModelMaxLength ?? TModel.Shape.MaxSeqLen;
        }
        string weights = Path.Combine(directory, "model.safetensors");
        if (!File.Exists(weights))
        {
            throw new ModelFileException(weights, "is missing (a cross-encoder's weights are one safetensors file).");
        }
        ClassificationHead head = ClassificationHead.Load(weights, TModel.Shape.DModel);
        if (head.Labels != 1)
        {
            throw new UnsupportedModelException(weights, "num_labels", $"the classifier has {head.Labels} labels; a reranker scores with one.");
        }
        // The head's tensors are ours (read above), so the encoder loader may leave them unused.
        TModel model = TModel.Load(directory, WeightNaming.Bert, options.MaxBatch, allowUnusedTensors: true, options.Precision);
        string modelId = options.ModelId ?? Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory)));
        return new CrossEncoderReranker<TModel>(model, head, tokenizer, maxLength, sigmoid, modelId, options);
    }

    private static bool ReadActivation(string path, JsonElement config)
    {
        if (!config.TryGetProperty("sentence_transformers", out JsonElement st) || st.ValueKind != JsonValueKind.Object)
        {
            return true; // CrossEncoder's default for one label
        }
        return JsonFile.String(path, st, "activation_fn") switch
        {
            null or SigmoidName => true,
            IdentityName => false,
            string other => throw new UnsupportedModelException(path, "sentence_transformers.activation_fn", $"is '{other}'; supported: {SigmoidName}, {IdentityName}."),
        };
    }

    /// <summary>The tokenizer.</summary>
    public BertWordPieceTokenizer Tokenizer { get; }

    /// <summary>Pairs are truncated to this many tokens, the three special tokens included.</summary>
    public int MaxSequenceLength { get; }

    /// <summary>Whether scores are sigmoid(logit) (else the logit).</summary>
    public bool AppliesSigmoid { get; }

    /// <summary>The model's id (options, else the directory's name).</summary>
    public string ModelId { get; }

    /// <summary>[CLS] first [SEP] second [SEP] and its token types, truncated to <see cref="MaxSequenceLength"/>.</summary>
    public (int[] Ids, int[] TokenTypes) Tokenize(string first, string second) => Tokenizer.EncodePair(first, second, MaxSequenceLength);

    /// <summary>Scores each pair on the calling thread, in input order.</summary>
    /// <exception cref="ArgumentException">A text is null or cannot be tokenized (its pair's index named).</exception>
    public float[] Score(IReadOnlyList<(string Query, string Document)> pairs, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        return _sessions.Run(session => ScoreCore(session, pairs, cancellationToken), cancellationToken);
    }

    /// <summary>Scores each pair on the thread pool (never on the caller's thread), in input order; cancellation is checked between passes.</summary>
    /// <exception cref="ArgumentException">A text is null or cannot be tokenized (its pair's index named).</exception>
    public Task<float[]> ScoreAsync(IReadOnlyList<(string Query, string Document)> pairs, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        return _sessions.RunAsync(session => ScoreCore(session, pairs, cancellationToken), cancellationToken);
    }

    /// <summary>The documents by falling relevance to <paramref name="query"/> (ties keep input order), the best <paramref name="top"/> if given.</summary>
    public async Task<IReadOnlyList<RankedDocument>> RerankAsync(string query, IReadOnlyList<string> documents, int? top = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(documents);
        if (top is < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(top), top, "At least 0.");
        }
        float[] scores = await ScoreAsync([.. documents.Select(d => (query, d))], cancellationToken).ConfigureAwait(false);
        return [.. scores.Select((score, i) => new RankedDocument(i, documents[i], score))
            .OrderByDescending(r => r.Score).ThenBy(r => r.Index).Take(top ?? documents.Count)];
    }

    private float[] ScoreCore(EncoderSession session, IReadOnlyList<(string Query, string Document)> pairs, CancellationToken cancellationToken)
    {
        var ids = new int[pairs.Count][];
        var types = new int[pairs.Count][];
        for (int i = 0; i < pairs.Count; i++)
        {
            (string query, string document) = pairs[i];
            if (query is null || document is null)
            {
                throw new ArgumentException($"Pair {i} has a null text.", nameof(pairs));
            }
            try
            {
                (ids[i], types[i]) = Tokenize(query, document);
            }
            catch (ArgumentException e)
            {
                throw new ArgumentException($"Pair {i} cannot be tokenized: {e.Message}", nameof(pairs), e);
            }
        }
        int width = TModel.Shape.DModel;
        var scores = new float[pairs.Count];
        Span<float> logit = stackalloc float[1];
        foreach ((int start, int count) in EncoderSessions.Chunks(ids, session.Capacity))
        {
            cancellationToken.ThrowIfCancellationRequested();
            session.Encode(ids, types, start, count);
            int first = 0;
            for (int b = 0; b < count; b++)
            {
                _head.Logits(session.Hidden.AsSpan(first * width, width), logit);
                scores[start + b] = AppliesSigmoid ? 1f / (1f + MathF.Exp(-logit[0])) : logit[0];
                first += ids[start + b].Length;
            }
        }
        return scores;
    }

    /// <summary>Releases the weights; a forward pass running on another thread finishes first.</summary>
    public void Dispose() => _sessions.Dispose();
}
