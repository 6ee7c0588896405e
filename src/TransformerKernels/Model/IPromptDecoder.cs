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
}
