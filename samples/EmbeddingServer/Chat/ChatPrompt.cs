namespace TransformerKernels.EmbeddingServer;

/// <summary>A chat message as the prompt format sees it: its role and its text.</summary>
public readonly record struct ChatTurn(string Role, string Content);

/// <summary>
/// How a conversation becomes the model's prompt — the one place that decides it, so a chat template (Hugging Face's,
/// rendered from tokenizer_config.json) can replace it later. The fortune model has no chat template: it was trained on
/// fortunes, each <c>&lt;s&gt;</c> text <c>&lt;/s&gt;</c>, and can only continue text. So the prompt is
/// <c>&lt;s&gt;</c> followed by every message's content in order (system, developer, user and assistant alike), joined by
/// a newline, and the completion is the model's continuation until <c>&lt;/s&gt;</c>: a user message "A man is known by" gets
/// the rest of a fortune.
/// </summary>
public static class ChatPrompt
{
    /// <summary>Roles a message may have.</summary>
    public static readonly string[] Roles = ["system", "developer", "user", "assistant"];

    /// <summary>The prompt's text (the beginning-of-sentence marker is added by the tokenizer).</summary>
    public static string Text(IReadOnlyList<ChatTurn> turns) => string.Join('\n', turns.Select(turn => turn.Content));

    /// <summary>The prompt's token ids: <c>&lt;s&gt;</c> and the text's.</summary>
    public static int[] Tokens(ChatModel model, IReadOnlyList<ChatTurn> turns) => model.Tokenizer.Encode(Text(turns));
}
