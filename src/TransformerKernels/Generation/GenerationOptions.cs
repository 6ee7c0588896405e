namespace TransformerKernels;

/// <summary>
/// How <see cref="TokenGenerator"/> picks tokens, applied per step in Hugging Face's order: repetition penalty, temperature,
/// top-k, top-p, softmax, then a draw from what is left (or the most probable token when <see cref="Temperature"/> is 0).
/// </summary>
/// <remarks>
/// Tokens rank by their logit after the repetition penalty, highest first; among equal logits the lower id ranks first.
/// That rank decides greedy picks, which tokens top-k keeps (exactly k: where the k-th token ties with the next ones,
/// Hugging Face keeps them all, this keeps the lower ids) and which top-p keeps. NaN logits are never picked; −∞ logits have
/// probability 0; when some logits are +∞, those tokens share all the probability equally. Every accepted temperature and
/// penalty gives a finite distribution (a temperature near 0 tends to greedy); a row whose logits are all NaN or −∞ is
/// refused with an <see cref="ArgumentException"/>.
/// </remarks>
public sealed record GenerationOptions
{
    /// <summary>Most tokens generated after each prompt (at least 1). The prompt plus these must fit the model's MaxSeqLen.</summary>
    public int MaxNewTokens { get; init; } = 32;

    /// <summary>0: greedy (the most probable token, no randomness); above 0: logits are divided by it before sampling.</summary>
    public float Temperature { get; init; }

    /// <summary>Sample only among the k most probable tokens (exactly k, ties broken by lower id: see the remarks); 0 keeps all.</summary>
    public int TopK { get; init; }

    /// <summary>
    /// Sample only among the smallest set of most probable tokens (by the rank of the remarks, after top-k) whose
    /// probabilities add up to at least this (nucleus sampling; always at least one token); in (0, 1], 1 keeps all.
    /// </summary>
    public float TopP { get; init; } = 1f;

    /// <summary>
    /// Tokens already in the sequence (prompt or generated) have positive logits divided and negative ones multiplied by
    /// this (CTRL's penalty, as Hugging Face applies it); 1 turns it off. Must be above 0.
    /// </summary>
    public float RepetitionPenalty { get; init; } = 1f;

    /// <summary>
    /// Seed of the random source (xoshiro256**, the same sequence on every platform and .NET version), for reproducible
    /// sampling; null seeds from <see cref="Random.Shared"/>.
    /// </summary>
    public int? Seed { get; init; }

    /// <summary>Tokens that end a sequence (not returned).</summary>
    public IReadOnlyList<int> StopTokens { get; init; } = [];

    /// <summary>Throws a named <see cref="ArgumentOutOfRangeException"/> for the first option out of range.</summary>
    internal void Validate(int vocabulary)
    {
        if (MaxNewTokens < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxNewTokens), MaxNewTokens, "At least one new token.");
        }
        if (!(Temperature >= 0) || float.IsInfinity(Temperature))
        {
            throw new ArgumentOutOfRangeException(nameof(Temperature), Temperature, "Must be 0 (greedy) or a finite positive number.");
        }
        if (TopK < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(TopK), TopK, "Must be 0 (all tokens) or positive.");
        }
        if (!(TopP > 0 && TopP <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(TopP), TopP, "Must be in (0, 1].");
        }
        if (!(RepetitionPenalty > 0) || float.IsInfinity(RepetitionPenalty))
        {
            throw new ArgumentOutOfRangeException(nameof(RepetitionPenalty), RepetitionPenalty, "Must be a finite number above 0 (1: off).");
        }
        ArgumentNullException.ThrowIfNull(StopTokens, nameof(StopTokens));
        foreach (int token in StopTokens)
        {
            if ((uint)token >= (uint)vocabulary)
            {
                throw new ArgumentOutOfRangeException(nameof(StopTokens), token, $"Stop tokens must be ids in [0, {vocabulary}).");
            }
        }
    }
}
