using Microsoft.Extensions.AI;
using TransformerKernels.Chat;
using TransformerKernels.Tokenizers;

namespace TransformerKernels.Server;

/// <summary>
/// The chat model a server serves: a decoder, its directory's tokenizer, and how a conversation becomes the prompt — the
/// directory's chat template (tokenizer_config.json's <c>chat_template</c>, rendered as <c>apply_chat_template(messages,
/// add_generation_prompt=True)</c> renders it) when it has one; otherwise, for a base model that can only continue text,
/// the messages' contents in order joined by a newline, after the tokenizer's beginning-of-sequence token.
/// </summary>
public sealed class ServedChatModel : IDisposable
{
    /// <summary>Roles a message may have.</summary>
    public static readonly IReadOnlyList<string> Roles = ["system", "developer", "user", "assistant"];

    private readonly Func<IReadOnlyList<ChatMessage>, string>? _template;
    private readonly bool _ownsModel;

    /// <summary>A chat model over <paramref name="model"/> and <paramref name="tokenizer"/>.</summary>
    /// <param name="id">The id requests and <c>GET /v1/models</c> name.</param>
    /// <param name="model">The decoder; disposed with this instance when <paramref name="ownsModel"/>.</param>
    /// <param name="tokenizer">The model's tokenizer.</param>
    /// <param name="chatTemplate">Renders a conversation into the prompt's text (tokenized without added special tokens, as
    /// Hugging Face does: a template writes <c>bos_token</c> itself); null: the base-model prompt (see the class summary).</param>
    /// <param name="ownsModel">Whether <see cref="Dispose"/> disposes <paramref name="model"/>.</param>
    /// <exception cref="ArgumentException">The tokenizer has more ids than the model's vocabulary.</exception>
    public ServedChatModel(string id, IPromptDecoder model, HuggingFaceTokenizer tokenizer, Func<IReadOnlyList<ChatMessage>, string>? chatTemplate, bool ownsModel = true)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tokenizer);
        if (tokenizer.Count > model.Vocabulary)
        {
            throw new ArgumentException($"The tokenizer has {tokenizer.Count} ids; the model's vocabulary only {model.Vocabulary}.", nameof(tokenizer));
        }
        Id = id;
        Model = model;
        Tokenizer = tokenizer;
        _template = chatTemplate;
        _ownsModel = ownsModel;
    }

    /// <summary>
    /// A chat model for a Hugging Face directory: its tokenizer (<see cref="HuggingFaceTokenizer.FromDirectory"/>) and, when
    /// tokenizer_config.json has one, its chat template.
    /// </summary>
    /// <exception cref="TokenizerFileException">The tokenizer files are missing or damaged (the message names the file).</exception>
    /// <exception cref="ChatTemplateException">The chat template uses Jinja the renderer does not support (named in the message).</exception>
    public static ServedChatModel FromDirectory(string id, IPromptDecoder model, string directory, bool ownsModel = true)
    {
        ArgumentNullException.ThrowIfNull(directory);
        HuggingFaceTokenizer tokenizer = HuggingFaceTokenizer.FromDirectory(directory);
        Func<IReadOnlyList<ChatMessage>, string>? template = File.Exists(Path.Combine(directory, "tokenizer_config.json"))
            ? ChatPromptFormatter.FromDirectory(directory)
            : null;
        return new ServedChatModel(id, model, tokenizer, template, ownsModel);
    }

    /// <summary>The id requests and <c>GET /v1/models</c> name.</summary>
    public string Id { get; }

    /// <summary>The decoder (each batch of completions decodes in a session of its own).</summary>
    public IPromptDecoder Model { get; }

    /// <summary>The model's tokenizer: prompts are encoded and completions streamed through it.</summary>
    public HuggingFaceTokenizer Tokenizer { get; }

    /// <summary>Whether prompts are rendered by the directory's chat template (else the base-model prompt).</summary>
    public bool HasChatTemplate => _template is not null;

    /// <summary>Prompt and completion together, in tokens.</summary>
    public int ContextLength => Model.MaxSequenceLength;

    /// <summary>The prompt's token ids for a conversation.</summary>
    /// <exception cref="ChatTemplateException">The template refused the conversation (its <c>raise_exception</c>, say).</exception>
    /// <exception cref="ArgumentException">The text cannot be tokenized.</exception>
    public int[] PromptTokens(IReadOnlyList<ChatMessage> messages)
    {
        ArgumentNullException.ThrowIfNull(messages);
        return _template is { } template
            ? Tokenizer.Encode(template(messages), addSpecialTokens: false)
            : Tokenizer.Encode(string.Join('\n', messages.Select(message => message.Text)));
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_ownsModel)
        {
            Model.Dispose();
        }
    }
}
