namespace TransformerKernels.Chat;

/// <summary>
/// A Hugging Face chat template (the Jinja <c>chat_template</c> of a tokenizer_config.json), parsed once and rendered
/// into the prompt text the model was trained on, as transformers' <c>apply_chat_template</c> renders it: Jinja with
/// trim_blocks and lstrip_blocks, loop controls, <c>raise_exception</c>, <c>strftime_now</c> and a <c>tojson</c> that
/// keeps non-ASCII text and key order.
/// </summary>
/// <remarks>
/// The renderer implements a subset of Jinja — what the chat templates of Llama 2/3, Mistral, Qwen2, Phi-3, Gemma and
/// SmolLM use. Any other construct (<c>{% include %}</c>, an unknown filter or test, a Python method it lacks, …) throws
/// <see cref="ChatTemplateException"/> naming it, at <see cref="Parse(string)"/> where the syntax shows it, else while
/// rendering: a template is never rendered into a different prompt than Jinja would produce. The parsed template is
/// immutable; <see cref="Render"/> may be called from many threads at once.
/// </remarks>
public sealed class ChatTemplate
{
    private readonly IReadOnlyList<TemplateNode> _nodes;
    private readonly TimeProvider _timeProvider;

    private ChatTemplate(string source, IReadOnlyList<TemplateNode> nodes, TimeProvider timeProvider)
    {
        Source = source;
        _nodes = nodes;
        _timeProvider = timeProvider;
    }

    /// <summary>The template text as given.</summary>
    public string Source { get; }

    /// <summary>Parses a chat template; <c>strftime_now</c> reads the system clock.</summary>
    /// <exception cref="ChatTemplateException">A syntax error, or a construct the renderer does not support (named, with its line and column).</exception>
    public static ChatTemplate Parse(string source) => Parse(source, TimeProvider.System);

    /// <summary>Parses a chat template whose <c>strftime_now</c> reads <paramref name="timeProvider"/>'s local time.</summary>
    /// <exception cref="ChatTemplateException">A syntax error, or a construct the renderer does not support (named, with its line and column).</exception>
    public static ChatTemplate Parse(string source, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(timeProvider);
        return new ChatTemplate(source, TemplateParser.Parse(source), timeProvider);
    }

    /// <summary>
    /// Renders the prompt for <paramref name="messages"/>. The template sees <c>messages</c> (each a dict with
    /// <c>role</c> and <c>content</c>), <c>add_generation_prompt</c>, and <paramref name="variables"/> (such as
    /// <c>bos_token</c>, <c>eos_token</c>, <c>tools</c>): strings, booleans, numbers, null, lists and string-keyed dictionaries.
    /// </summary>
    /// <exception cref="ChatTemplateException">The template raised an error (its own message, see
    /// <see cref="ChatTemplateException.RaisedByTemplate"/>), Jinja would fail, or an unsupported construct was reached.</exception>
    /// <exception cref="ArgumentException">A variable has a type a template cannot use.</exception>
    public string Render(IReadOnlyList<ChatTemplateMessage> messages, bool addGenerationPrompt, IReadOnlyDictionary<string, object?>? variables = null)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var scope = new TemplateScope(null);
        if (variables is not null)
            foreach (var (name, value) in variables) scope.Set(name, PythonValues.FromClr(value, name));
        var messageList = new List<object?>(messages.Count);
        foreach (var message in messages)
        {
            ArgumentNullException.ThrowIfNull(message, nameof(messages));
            messageList.Add(new Dictionary<string, object?>(StringComparer.Ordinal) { ["role"] = message.Role, ["content"] = message.Content });
        }
        scope.Set("messages", messageList);
        scope.Set("add_generation_prompt", addGenerationPrompt);
        return new TemplateRenderer(_timeProvider).Render(_nodes, scope);
    }

    /// <summary>
    /// Reads the chat template of a Hugging Face tokenizer_config.json: <c>chat_template</c> as a string, or as a list of
    /// <c>{name, template}</c> of which "default" is taken. <paramref name="specialTokens"/> receives <c>bos_token</c>,
    /// <c>eos_token</c>, <c>unk_token</c> and <c>pad_token</c> where present (written as strings or as {"content": …}),
    /// ready to pass as render variables.
    /// </summary>
    /// <returns>The parsed template, or null when the file has no chat_template.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="TokenizerConfigException">The file is not JSON of the expected shape (the message names the file and the field).</exception>
    /// <exception cref="ChatTemplateException">The template does not parse or uses an unsupported construct.</exception>
    public static ChatTemplate? FromTokenizerConfig(string tokenizerConfigPath, out IReadOnlyDictionary<string, object?> specialTokens) =>
        TokenizerConfigReader.Read(tokenizerConfigPath, out specialTokens) is { } source ? Parse(source) : null;
}
