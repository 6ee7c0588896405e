namespace TransformerKernels.Chat;

/// <summary>One message of a conversation as a chat template sees it: <c>message['role']</c> and <c>message['content']</c>.</summary>
/// <param name="Role">The speaker, as the template expects it: usually "system", "user", "assistant" or "tool".</param>
/// <param name="Content">The text of the message.</param>
public sealed record ChatTemplateMessage(string Role, string Content);
