using Microsoft.Extensions.AI;

namespace TransformerKernels.Chat;

/// <summary>
/// Prompt formatters for <see cref="TransformerChatClientOptions.PromptFormatter"/>: a Hugging Face chat template rendered
/// the way <c>apply_chat_template(messages, add_generation_prompt=True)</c> renders it, with the directory's special tokens
/// as the template's variables.
/// </summary>
public static class ChatPromptFormatter
{
    /// <summary>Renders <paramref name="template"/> over the conversation, ending with the assistant's turn opened.</summary>
    /// <param name="template">A parsed chat template.</param>
    /// <param name="variables">The template's variables besides <c>messages</c> and <c>add_generation_prompt</c> (<c>bos_token</c>, <c>eos_token</c>, …).</param>
    public static Func<IReadOnlyList<ChatMessage>, string> FromTemplate(ChatTemplate template, IReadOnlyDictionary<string, object?>? variables = null)
    {
        ArgumentNullException.ThrowIfNull(template);
        return messages => template.Render([.. messages.Select(m => new ChatTemplateMessage(m.Role.Value, m.Text))], addGenerationPrompt: true, variables);
    }

    /// <summary>
    /// The chat template of a model directory's tokenizer_config.json (<c>chat_template</c>), with its special tokens as
    /// variables; null when the file has no template (a base model: give a formatter of your own).
    /// </summary>
    /// <exception cref="FileNotFoundException">The directory has no tokenizer_config.json.</exception>
    /// <exception cref="ChatTemplateException">The template uses Jinja the renderer does not support (named in the message).</exception>
    public static Func<IReadOnlyList<ChatMessage>, string>? FromDirectory(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        ChatTemplate? template = ChatTemplate.FromTokenizerConfig(Path.Combine(directory, "tokenizer_config.json"), out IReadOnlyDictionary<string, object?> specialTokens);
        return template is null ? null : FromTemplate(template, specialTokens);
    }

    /// <summary>
    /// The chat template a GGUF file carries (<c>tokenizer.chat_template</c>), with its bos and eos tokens as the template's
    /// <c>bos_token</c> and <c>eos_token</c>; null when the file has none.
    /// </summary>
    /// <exception cref="ChatTemplateException">The template uses Jinja the renderer does not support (named in the message).</exception>
    /// <exception cref="GgufFormatException">The template or a token id is not of its type.</exception>
    public static Func<IReadOnlyList<ChatMessage>, string>? FromGguf(GgufFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        if (file.Text("tokenizer.chat_template") is not { } source)
        {
            return null;
        }
        var variables = new Dictionary<string, object?>(StringComparer.Ordinal);
        object[]? tokens = file.Metadata.TryGetValue("tokenizer.ggml.tokens", out object? list) ? list as object[] : null;
        foreach ((string variable, string key) in (ReadOnlySpan<(string, string)>)[("bos_token", "tokenizer.ggml.bos_token_id"), ("eos_token", "tokenizer.ggml.eos_token_id")])
        {
            if (file.Integer(key) is { } id && tokens is not null && id >= 0 && id < tokens.Length && tokens[id] is string token)
            {
                variables[variable] = token;
            }
        }
        return FromTemplate(ChatTemplate.Parse(source), variables);
    }
}
