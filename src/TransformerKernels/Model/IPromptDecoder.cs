namespace TransformerKernels;

/// <summary>
/// A decoder-only language model as <see cref="TokenGenerator"/> drives it: prompts prefilled into slots in one pass, then
/// batched steps with a key/value cache per slot. Implemented by generated models with <c>EncoderLayers = 0</c> and a <c>Vocab</c>;
/// disposing it frees the model's native weights and caches.
/// </summary>
public interface IPromptDecoder : ITokenDecoder, IDisposable
{
    /// <summary>Longest sequence (prompt and generated tokens) a slot holds.</summary>
    int MaxSequenceLength { get; }

    /// <summary>
    /// Runs the prompts through the decoder in one pass, filling the caches of slots [firstSlot, firstSlot + prompts), and
    /// returns the logits of each prompt's last position [prompts, <see cref="ITokenDecoder.Vocabulary"/>].
    /// </summary>
    /// <remarks>The spans are <c>scoped</c>: the logits never refer to them, so <c>return model.Prefill(prompt, [prompt.Length], 0);</c> compiles.</remarks>
    Span<float> Prefill(scoped ReadOnlySpan<int> prompts, scoped ReadOnlySpan<int> promptLengths, int firstSlot);

    /// <summary>
    /// Scores a sequence in one prefill: writes the logits of every position, [tokens.Length, <see cref="ITokenDecoder.Vocabulary"/>],
    /// into <paramref name="logits"/> — row i predicts token i + 1, the same numbers a prefill of token 0 followed by steps of
    /// tokens 1, 2, … would give. Uses (and overwrites) slot 0's cache. See <see cref="PromptScoring"/> for log-probabilities
    /// and perplexity.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">No tokens, more than <see cref="MaxSequenceLength"/>, or an id outside the vocabulary.</exception>
    /// <exception cref="ArgumentException"><paramref name="logits"/> holds fewer than tokens.Length × Vocabulary floats.</exception>
    void Score(ReadOnlySpan<int> tokens, Span<float> logits);

    /// <summary>
    /// A second decoder over the same packed weights with caches and scratch of its own, for <paramref name="maxBatch"/>
    /// prompts at a time: what each generation runs in, so that generations on one model never share a cache.
    /// </summary>
    IPromptDecoder CreateSession(int maxBatch);
}

/// <summary>
/// A generated decoder-only model as a type: its shape and its loaders, so generic code (a chat client, a test over every
/// declaration of one checkpoint) can load any declared Llama- or GPT-2-family model: <c>TModel.Load(directory, WeightNaming.Auto, …)</c>.
/// </summary>
/// <typeparam name="TSelf">The generated model class.</typeparam>
public interface IDecoderModel<TSelf> : IPromptDecoder where TSelf : class, IDecoderModel<TSelf>
{
    /// <summary>The declared shape (DModel, Heads, KvHeads, MaxSeqLen, DecoderVocab, rotary constants, …).</summary>
    static abstract ModelShape Shape { get; }

    /// <summary>Loads a checkpoint (safetensors file, index or directory, or .gguf), checking every tensor against <see cref="Shape"/>.</summary>
    /// <exception cref="ModelConfigurationException">config.json is malformed, of an unsupported model_type, or disagrees with <see cref="Shape"/>.</exception>
    /// <exception cref="ModelWeightsException">A tensor is missing, extra (unless allowed) or mis-shaped.</exception>
    /// <exception cref="SafeTensorsFormatException">The file is malformed.</exception>
    static abstract TSelf Load(string path, WeightNaming naming, int maxBatch, bool allowUnusedTensors, WeightPrecision precision);

    /// <summary>Creates the model over weights already loaded for <see cref="Shape"/> (a prepacked cache, say); it owns them.</summary>
    static abstract TSelf Create(TransformerWeights weights, int maxBatch);
}
