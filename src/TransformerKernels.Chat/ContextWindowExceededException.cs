namespace TransformerKernels.Chat;

/// <summary>A chat request does not fit the model's context: the prompt's tokens, plus the output tokens asked for, exceed its MaxSeqLen.</summary>
public sealed class ContextWindowExceededException : InvalidOperationException
{
    /// <summary>An error for a prompt of <paramref name="promptTokens"/> tokens asking for <paramref name="outputTokens"/> more (null: none given) in a window of <paramref name="contextLength"/>.</summary>
    public ContextWindowExceededException(int promptTokens, int? outputTokens, int contextLength)
        : base(outputTokens is { } output
            ? $"The prompt's {promptTokens} tokens and MaxOutputTokens {output} exceed the model's context of {contextLength} positions (MaxSeqLen)."
            : $"The prompt has {promptTokens} tokens; the model's context is {contextLength} positions (MaxSeqLen), which must also hold at least one output token.")
    {
        PromptTokens = promptTokens;
        OutputTokens = outputTokens;
        ContextLength = contextLength;
    }

    /// <summary>Tokens of the formatted prompt.</summary>
    public int PromptTokens { get; }

    /// <summary>MaxOutputTokens asked for, if any.</summary>
    public int? OutputTokens { get; }

    /// <summary>The model's MaxSeqLen.</summary>
    public int ContextLength { get; }
}
