using Microsoft.Extensions.AI;

namespace TransformerKernels.Chat;

/// <summary>How a <see cref="TransformerChatClient"/> turns messages into a prompt, and its defaults.</summary>
public sealed class TransformerChatClientOptions
{
    /// <summary>
    /// Renders the conversation (with <see cref="ChatOptions.Instructions"/> first as a system message, when given) into the
    /// prompt text the model was trained on — a chat template, or for a plain language model just the text to continue.
    /// </summary>
    public required Func<IReadOnlyList<ChatMessage>, string> PromptFormatter { get; init; }

    /// <summary>
    /// Whether the prompt is encoded with the tokenizer's special tokens (the beginning-of-sequence id when the tokenizer adds
    /// one). Turn it off when the formatter writes them itself (Hugging Face chat templates start with <c>{{ bos_token }}</c>).
    /// </summary>
    public bool AddSpecialTokens { get; init; } = true;

    /// <summary>The model's name, reported as <see cref="ChatClientMetadata.DefaultModelId"/> and on every response.</summary>
    public string? ModelId { get; init; }

    /// <summary>
    /// Sampling used where a request's <see cref="ChatOptions"/> leaves a setting out (default: greedy). Its MaxNewTokens and
    /// StopTokens are not used: output runs to MaxOutputTokens or the end of the context, and stops at the tokenizer's end ids.
    /// </summary>
    public GenerationOptions Defaults { get; init; } = new();

    /// <summary>Requests that may generate at once (each in a session with its own caches); further requests wait.</summary>
    public int MaxConcurrentRequests { get; init; } = TokenGenerator.DefaultMaxConcurrentGenerations;
}
