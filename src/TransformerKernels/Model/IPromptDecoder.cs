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
    Span<float> Prefill(ReadOnlySpan<int> prompts, ReadOnlySpan<int> promptLengths, int firstSlot);

    /// <summary>
    /// A second decoder over the same packed weights with caches and scratch of its own, for <paramref name="maxBatch"/>
    /// prompts at a time: what each generation runs in, so that generations on one model never share a cache.
    /// </summary>
    IPromptDecoder CreateSession(int maxBatch);
}
