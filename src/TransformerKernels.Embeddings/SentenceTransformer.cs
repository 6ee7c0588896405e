using TransformerKernels.Tokenizers;

namespace TransformerKernels.Embeddings;

/// <summary>The embeddings of a call and the tokens they cost.</summary>
/// <param name="Vectors">One embedding per text, in input order.</param>
/// <param name="InputTokens">Tokens fed to the encoder, [CLS] and [SEP] included, after truncation.</param>
public sealed record SentenceEmbeddings(float[][] Vectors, long InputTokens);

/// <summary>
/// A BERT-family sentence-transformers model on a generated encoder <typeparamref name="TModel"/>: tokenize (Hugging Face's
/// BERT WordPiece or RoBERTa's byte-level BPE, truncated at max_seq_length), encode texts packed back to back (no padding), pool (CLS, mean or max) and
/// normalize when the directory has a Normalize module — what <c>SentenceTransformer(directory).encode(texts)</c> computes.
/// Thread-safe: calls run in sessions of their own (see <see cref="EncoderModelOptions.MaxConcurrentCalls"/>).
/// </summary>
/// <typeparam name="TModel">A <c>[TransformerModel]</c> declaration with the directory's shape (config.json is checked against it).</typeparam>
public sealed class SentenceTransformer<TModel> : ITokenSequenceEmbedder where TModel : class, IEncoderModel<TModel>
{
    private readonly EncoderSessions _sessions;

    /// <summary>
    /// Wraps a loaded model (which it then owns) with its tokenizer and pooling, for callers that load weights their own way
    /// (a prepacked cache, say).
    /// </summary>
    /// <param name="model">The encoder; disposed with this instance.</param>
    /// <param name="tokenizer">The model's tokenizer.</param>
    /// <param name="pooling">Pooling and normalization.</param>
    /// <param name="maxSequenceLength">Truncation length, [CLS] and [SEP] included (3..MaxSeqLen).</param>
    /// <param name="modelId">The id reported for the model.</param>
    /// <param name="options">Batch, threads and concurrency (precision and ModelId are the caller's business here).</param>
    public SentenceTransformer(TModel model, ISentenceTokenizer tokenizer, SentencePooling pooling, int maxSequenceLength, string modelId, EncoderModelOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(pooling);
        ArgumentException.ThrowIfNullOrEmpty(modelId);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxSequenceLength, 3);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxSequenceLength, TModel.Shape.MaxSeqLen);
        if (tokenizer.VocabularySize > TModel.Shape.EncoderVocab)
        {
            throw new ModelConfigurationException(tokenizer.VocabularyFile, "vocabulary size", $"at most {TModel.Shape.EncoderVocab} (Vocab)", tokenizer.VocabularySize.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        Tokenizer = tokenizer;
        Pooling = pooling;
        RejectsEmptyTexts = options?.RejectEmptyTexts ?? false;
        MaxSequenceLength = maxSequenceLength;
        ModelId = modelId;
        _sessions = new EncoderSessions(model, TModel.Shape, options ?? new EncoderModelOptions());
    }

    /// <summary>
    /// Loads a sentence-transformers directory: modules.json, the Pooling module's config.json, sentence_bert_config.json,
    /// the Transformer module's config.json (checked against <typeparamref name="TModel"/>), tokenizer and model.safetensors.
    /// </summary>
    /// <exception cref="ModelFileException">A file is missing or damaged; the message names it.</exception>
    /// <exception cref="TokenizerFileException">RoBERTa's tokenizer file is missing or damaged; the message names it.</exception>
    /// <exception cref="UnsupportedModelException">A module, pooling mode or tokenizer this library does not compute.</exception>
    /// <exception cref="ModelConfigurationException">config.json or max_seq_length disagrees with <typeparamref name="TModel"/>.</exception>
    /// <exception cref="ModelWeightsException">A tensor is missing, extra or mis-shaped.</exception>
    public static SentenceTransformer<TModel> Load(string directory, EncoderModelOptions? options = null)
    {
        options ??= new EncoderModelOptions();
        SentenceTransformerLayout layout = SentenceTransformerLayout.Read(directory);
        BertConfig.Check(layout.TransformerDirectory, TModel.Shape, out WeightNaming naming);
        ISentenceTokenizer tokenizer = naming == WeightNaming.Roberta
            ? RobertaTokenizer.FromDirectory(layout.TransformerDirectory)
            : BertWordPieceTokenizer.FromDirectory(layout.TransformerDirectory);
        int maxLength = options.MaxSequenceLength is { } chosen
            ? Math.Min(chosen, TModel.Shape.MaxSeqLen)
            : layout.EffectiveMaxLength(tokenizer, TModel.Shape);
        TModel model = TModel.Load(layout.TransformerDirectory, naming, options.MaxBatch, allowUnusedTensors: false, options.Precision);
        try
        {
            return new SentenceTransformer<TModel>(model, tokenizer, layout.Pooling, maxLength, options.ModelId ?? DirectoryName(directory), options)
            {
                LowerCaseInput = layout.LowerCaseInput,
            };
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    private static string DirectoryName(string directory) => Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory)));

    /// <summary>The tokenizer.</summary>
    public ISentenceTokenizer Tokenizer { get; }

    /// <summary>Pooling and normalization.</summary>
    public SentencePooling Pooling { get; }

    /// <summary>Texts are truncated to this many tokens, [CLS] and [SEP] included.</summary>
    public int MaxSequenceLength { get; }

    /// <summary>The model's id (options, else the directory's name).</summary>
    public string ModelId { get; }

    /// <summary>Width of an embedding: the model's DModel.</summary>
    public int Dimensions => TModel.Shape.DModel;

    /// <summary>Whether texts are lower-cased before tokenization (sentence_bert_config.json's do_lower_case).</summary>
    public bool LowerCaseInput { get; init; }

    /// <summary>Whether EMPTY texts (only [CLS] and [SEP]) are refused (see <see cref="EncoderModelOptions.RejectEmptyTexts"/>).</summary>
    public bool RejectsEmptyTexts { get; }

    /// <summary>[CLS] text [SEP] (RoBERTa: &lt;s&gt; text &lt;/s&gt;), truncated to <see cref="MaxSequenceLength"/>. Thread-safe.</summary>
    /// <exception cref="ArgumentException">The text holds code points Unicode normalization refuses.</exception>
    public int[] Tokenize(string text) => Tokenizer.Encode(LowerCaseInput ? text.ToLowerInvariant() : text, MaxSequenceLength);

    /// <summary>Whether <paramref name="tokenIds"/> is only [CLS] and [SEP]: a text that is blank, or only characters BERT's clean-up removes.</summary>
    public bool IsEmptyTokenization(ReadOnlySpan<int> tokenIds) => tokenIds.Length <= 2;

    /// <summary>Embeds every text on the calling thread (see <see cref="EmbedAsync"/>).</summary>
    public SentenceEmbeddings Embed(IReadOnlyList<string> texts, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(texts);
        return _sessions.Run(session => EmbedCore(session, texts, cancellationToken), cancellationToken);
    }

    /// <summary>
    /// Embeds every text, in input order, on the thread pool: tokenization and forward passes never run on the caller's
    /// thread. Texts are packed (consecutive texts share a forward pass until MaxBatch × MaxSeqLen tokens); cancellation is
    /// checked before each pass. An empty text is embedded as [CLS] [SEP], as sentence-transformers does.
    /// </summary>
    /// <exception cref="ArgumentException">A text is null or cannot be tokenized (the message names its index).</exception>
    /// <exception cref="OperationCanceledException">Cancelled before or between passes.</exception>
    public Task<SentenceEmbeddings> EmbedAsync(IReadOnlyList<string> texts, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(texts);
        return _sessions.RunAsync(session => EmbedCore(session, texts, cancellationToken), cancellationToken);
    }

    private SentenceEmbeddings EmbedCore(EncoderSession session, IReadOnlyList<string> texts, CancellationToken cancellationToken)
    {
        var sequences = new int[texts.Count][];
        long tokens = 0;
        for (int i = 0; i < texts.Count; i++)
        {
            string text = texts[i] ?? throw new ArgumentException($"Text {i} is null.", nameof(texts));
            try
            {
                sequences[i] = Tokenize(text);
            }
            catch (ArgumentException e)
            {
                throw new ArgumentException($"Text {i} cannot be tokenized: {e.Message}", nameof(texts), e);
            }
            if (RejectsEmptyTexts && IsEmptyTokenization(sequences[i]))
            {
                throw new ArgumentException($"Text {i} is empty: it has no tokens besides [CLS] and [SEP] (blank, or only characters BERT's clean-up removes).", nameof(texts));
            }
            tokens += sequences[i].Length;
        }
        return new SentenceEmbeddings(EmbedTokens(session, sequences, cancellationToken, null, session.Capacity), tokens);
    }

    /// <summary>Tokens one forward pass holds: MaxBatch × MaxSeqLen.</summary>
    public int Capacity => _sessions.Capacity;

    /// <summary>
    /// Embeds sequences already tokenized by <see cref="Tokenize"/>, on the calling thread, packed into passes of at most
    /// <paramref name="tokenBudget"/> tokens (default and maximum <see cref="Capacity"/>); every sequence is checked before
    /// anything is computed; <paramref name="progress"/> gets the number of sequences embedded after each pass.
    /// </summary>
    /// <exception cref="ArgumentException">A sequence is null, shorter than 2 or longer than <see cref="MaxSequenceLength"/> ids, or holds an id outside the vocabulary.</exception>
    public float[][] EmbedTokens(IReadOnlyList<int[]> sequences, CancellationToken cancellationToken = default, IProgress<int>? progress = null, int? tokenBudget = null)
    {
        ArgumentNullException.ThrowIfNull(sequences);
        int budget = tokenBudget ?? Capacity;
        ArgumentOutOfRangeException.ThrowIfLessThan(budget, MaxSequenceLength, nameof(tokenBudget));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(budget, Capacity, nameof(tokenBudget));
        return _sessions.Run(session => EmbedTokens(session, sequences, cancellationToken, progress, budget), cancellationToken);
    }

    private float[][] EmbedTokens(EncoderSession session, IReadOnlyList<int[]> sequences, CancellationToken cancellationToken, IProgress<int>? progress, int budget)
    {
        for (int i = 0; i < sequences.Count; i++)
        {
            CheckSequence(sequences[i], i);
        }
        int width = Dimensions;
        var result = new float[sequences.Count][];
        foreach ((int start, int count) in EncoderSessions.Chunks(sequences, budget))
        {
            cancellationToken.ThrowIfCancellationRequested();
            session.Encode(sequences, null, start, count);
            long first = 0;
            for (int b = 0; b < count; b++)
            {
                int length = sequences[start + b].Length;
                var embedding = new float[width];
                Pooling.Pool(session.Hidden.AsSpan((int)(first * width), length * width), length, embedding);
                result[start + b] = embedding;
                first += length;
            }
            progress?.Report(start + count);
        }
        return result;
    }

    private void CheckSequence(int[]? ids, int index)
    {
        const string param = "sequences";
        if (ids is null)
        {
            throw new ArgumentException($"Sequence {index} is null.", param);
        }
        if (ids.Length < 2 || ids.Length > MaxSequenceLength)
        {
            throw new ArgumentException($"Sequence {index} has {ids.Length} ids; 2..{MaxSequenceLength} ([CLS] … [SEP], MaxSequenceLength).", param);
        }
        foreach (int id in ids)
        {
            if ((uint)id >= (uint)Tokenizer.VocabularySize)
            {
                throw new ArgumentOutOfRangeException(param, id, $"Sequence {index} holds id {id}, outside the vocabulary (0..{Tokenizer.VocabularySize - 1}).");
            }
        }
    }

    /// <summary>Releases the weights; a forward pass running on another thread finishes first.</summary>
    public void Dispose() => _sessions.Dispose();
}
