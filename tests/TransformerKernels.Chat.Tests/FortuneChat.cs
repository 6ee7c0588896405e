using Microsoft.Extensions.AI;
using TransformerKernels.Fortunes;

namespace TransformerKernels.Chat.Tests;

/// <summary>
/// The fortune Llama model as a chat client. It is a plain language model, so the prompt is just the last user message (the
/// start of a fortune to continue), encoded with the beginning-of-sentence marker — the same ids the generator tests use.
/// </summary>
public sealed class FortuneChat : IDisposable
{
    public FortuneChat()
    {
        Model = FortuneFiles.LoadLlama(maxBatch: 1);
        Tokenizer = HuggingFaceTokenizer.FromDirectory(FortuneFiles.DefaultDirectory);
    }

    public FortuneLlama Model { get; }

    public HuggingFaceTokenizer Tokenizer { get; }

    public static string LastUserText(IReadOnlyList<ChatMessage> messages) => messages.Last(m => m.Role == ChatRole.User).Text;

    public TransformerChatClient Client(IPromptDecoder? model = null, GenerationOptions? defaults = null) =>
        new(model ?? Model, Tokenizer, new TransformerChatClientOptions { PromptFormatter = LastUserText, ModelId = "fortune-llama", Defaults = defaults ?? new() });

    public int[] Prompt(string text) => Tokenizer.Encode(text);

    /// <summary>The generator's own tokens for <paramref name="text"/> (stop at the end ids), decoded: the reference a chat response must equal.</summary>
    public (string Text, int[] Tokens) Reference(string text, GenerationOptions options)
    {
        using var generator = new TokenGenerator(Model);
        int[] prompt = Prompt(text);
        int[] tokens = generator.Generate([prompt], options with { StopTokens = Tokenizer.EndOfSequenceIds })[0];
        return (Tokenizer.Decode(tokens), tokens);
    }

    public void Dispose() => Model.Dispose();
}

/// <summary>
/// A model whose sessions' prefills wait for <see cref="Release"/> (at most 10 s): a request that prefilled on the caller's
/// thread could not return before the test releases it.
/// </summary>
internal sealed class GatedDecoder(IPromptDecoder inner, ManualResetEventSlim gate) : IPromptDecoder
{
    public int MaxSequenceLength => inner.MaxSequenceLength;

    public int Vocabulary => inner.Vocabulary;

    public Span<float> Prefill(scoped ReadOnlySpan<int> prompts, scoped ReadOnlySpan<int> promptLengths, int firstSlot)
    {
        gate.Wait(TimeSpan.FromSeconds(10));
        return inner.Prefill(prompts, promptLengths, firstSlot);
    }

    public Span<float> Step(scoped ReadOnlySpan<int> slots, scoped ReadOnlySpan<int> tokens, scoped ReadOnlySpan<int> positions) => inner.Step(slots, tokens, positions);

    public void CopySlot(int from, int to, int positions) => inner.CopySlot(from, to, positions);

    public void Score(ReadOnlySpan<int> tokens, Span<float> logits) => inner.Score(tokens, logits);

    public IPromptDecoder CreateSession(int maxBatch) => new GatedDecoder(inner.CreateSession(maxBatch), gate);

    public void Dispose() => inner.Dispose();
}
