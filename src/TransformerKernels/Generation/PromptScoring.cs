namespace TransformerKernels;

/// <summary>
/// Log-probabilities and perplexity of a token sequence under a decoder-only model, from one prefill
/// (<see cref="IPromptDecoder.Score"/>): the log-softmax of each row is taken in double, with the row's maximum subtracted.
/// </summary>
public static class PromptScoring
{
    /// <summary>
    /// log p(tokens[i + 1] | tokens[0..i]) for i in [0, tokens.Length − 1), into <paramref name="logProbabilities"/>
    /// (tokens.Length − 1 values; the first token has no prediction).
    /// </summary>
    /// <param name="model">The model (or one of its sessions); its slot 0 cache is overwritten.</param>
    /// <param name="tokens">The sequence: 2..MaxSequenceLength ids.</param>
    /// <param name="logProbabilities">Receives tokens.Length − 1 values.</param>
    /// <exception cref="ArgumentOutOfRangeException">Fewer than 2 tokens, more than the model's MaxSequenceLength, or an id outside the vocabulary.</exception>
    /// <exception cref="ArgumentException"><paramref name="logProbabilities"/> holds fewer than tokens.Length − 1 values.</exception>
    public static void TokenLogProbabilities(IPromptDecoder model, ReadOnlySpan<int> tokens, Span<double> logProbabilities)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (tokens.Length < 2)
        {
            throw new ArgumentOutOfRangeException(nameof(tokens), tokens.Length, "Scoring needs at least 2 tokens: the first one is only context.");
        }
        if (logProbabilities.Length < tokens.Length - 1)
        {
            throw new ArgumentException($"logProbabilities holds {logProbabilities.Length} values; {tokens.Length} tokens have {tokens.Length - 1} predictions.", nameof(logProbabilities));
        }
        int vocabulary = model.Vocabulary;
        float[] logits = new float[(long)tokens.Length * vocabulary];
        model.Score(tokens, logits);
        for (int i = 0; i + 1 < tokens.Length; i++)
        {
            logProbabilities[i] = LogSoftmaxAt(logits.AsSpan(i * vocabulary, vocabulary), tokens[i + 1]);
        }
    }

    /// <summary>
    /// exp of the mean negative log-likelihood of tokens[1..] given what precedes each: the model's perplexity on the
    /// sequence (1 = certain; the vocabulary size = uniform guessing).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Fewer than 2 tokens, more than the model's MaxSequenceLength, or an id outside the vocabulary.</exception>
    public static double Perplexity(IPromptDecoder model, ReadOnlySpan<int> tokens)
    {
        ArgumentNullException.ThrowIfNull(model);
        double[] logProbabilities = new double[Math.Max(0, tokens.Length - 1)];
        TokenLogProbabilities(model, tokens, logProbabilities);
        double sum = 0;
        foreach (double logProbability in logProbabilities)
        {
            sum += logProbability;
        }
        return Math.Exp(-sum / logProbabilities.Length);
    }

    /// <summary>log softmax(<paramref name="row"/>)[<paramref name="token"/>] in double, the maximum subtracted first.</summary>
    internal static double LogSoftmaxAt(ReadOnlySpan<float> row, int token)
    {
        double max = double.NegativeInfinity;
        foreach (float logit in row)
        {
            max = Math.Max(max, logit);
        }
        double sum = 0;
        foreach (float logit in row)
        {
            sum += Math.Exp(logit - max);
        }
        return row[token] - max - Math.Log(sum);
    }
}
