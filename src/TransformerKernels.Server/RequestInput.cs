using System.Text.Json;
using TransformerKernels.Embeddings;

namespace TransformerKernels.Server;

/// <summary>
/// A request's <c>input</c> (a string or an array of strings) turned into token ids in the request's own handler, before it
/// joins a batch shared with other requests: every problem of a text is that request's 400, naming <c>input</c> or
/// <c>input[i]</c> — text JSON cannot hold as a string (invalid UTF-8, a lone surrogate), text the tokenizer refuses, an
/// EMPTY text (<see cref="ITokenSequenceEmbedder.IsEmptyTokenization"/>: no tokens besides the special ones) — and so is a
/// request over the token limit.
/// </summary>
internal static class RequestInput
{
    public static RequestProblem? TryTokenize(JsonElement input, ITokenSequenceEmbedder embedder, ServerOptions options, out int[][] sequences)
    {
        sequences = [];
        JsonElement[] items;
        if (input.ValueKind == JsonValueKind.String)
        {
            items = [input];
        }
        else if (input.ValueKind == JsonValueKind.Array)
        {
            int count = input.GetArrayLength();
            if (count == 0)
            {
                return new(400, "'input' cannot be an empty array.", "input", "invalid_value");
            }
            if (count > options.MaxInputs)
            {
                return new(400, $"'input' has {count} texts; at most {options.MaxInputs} per request.", "input", "too_many_inputs");
            }
            items = [.. input.EnumerateArray()];
        }
        else
        {
            return new(400, "'input' must be a string or an array of strings.", "input", "invalid_type");
        }
        var tokenized = new int[items.Length][];
        long tokens = 0;
        for (int i = 0; i < items.Length; i++)
        {
            string name = input.ValueKind == JsonValueKind.String ? "input" : $"input[{i}]";
            if (items[i].ValueKind != JsonValueKind.String)
            {
                return new(400, $"'{name}' is not a string (token arrays are not accepted: this server tokenizes).", "input", "invalid_type");
            }
            string text;
            try
            {
                text = items[i].GetString()!;
            }
            catch (InvalidOperationException)
            {
                // System.Text.Json parses such strings but refuses to turn them into .NET strings.
                return new(400, $"'{name}' is not valid text: it holds invalid UTF-8 or an unpaired surrogate (such as \\ud800).", "input", "invalid_value");
            }
            try
            {
                tokenized[i] = embedder.Tokenize(text);
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException)
            {
                // string.Normalize refuses some code points (U+FFFE, unpaired surrogates) inside the BERT clean-up.
                return new(400, $"'{name}' cannot be tokenized: {e.Message}", "input", "invalid_value");
            }
            if (embedder.IsEmptyTokenization(tokenized[i]))
            {
                return new(400, $"'{name}' is empty: it has no tokens besides [CLS] and [SEP] (blank, or only characters BERT's clean-up removes, such as control characters).", "input", "invalid_value");
            }
            tokens += tokenized[i].Length;
        }
        if (tokens > options.MaxRequestTokens)
        {
            return new(400, $"'input' has {tokens} tokens ([CLS] and [SEP] included, texts truncated to {embedder.MaxSequenceLength}); at most {options.MaxRequestTokens} per request.", "input", "max_tokens_per_request");
        }
        sequences = tokenized;
        return null;
    }
}
