using System.Text.Json;
using Microsoft.Extensions.AI;
using TransformerKernels.Chat;

namespace TransformerKernels.Server;

/// <summary>A checked chat request: the prompt's ids, how to generate, the stop strings and how to answer.</summary>
internal sealed record ChatWork(int[] Prompt, GenerationOptions Options, string[] StopStrings, bool Stream, bool IncludeUsage);

/// <summary>
/// Checks a chat request field by field, as OpenAI does, and builds its prompt (<see cref="ServedChatModel.PromptTokens"/>); every problem is
/// a 4xx naming the field (<c>messages[2].role</c>, <c>n</c>, <c>stop</c>, ...). Nothing reaches the shared batch unchecked.
/// </summary>
internal static class ChatRequestCheck
{
    /// <summary>Most stop strings, as OpenAI.</summary>
    public const int MaxStopStrings = 4;

    public static RequestProblem? TryCheck(ChatRequest request, ServedChatModel model, out ChatWork work)
    {
        work = null!;
        if (request.Unknown is { Count: > 0 } unknown)
        {
            string name = unknown.Keys.First();
            return new(400, $"Unrecognized request argument supplied: {name}", name, "unknown_parameter");
        }
        if (request.N is { } n && n != 1)
        {
            return new(400, $"'n' is {n}: this server generates one choice per request (n = 1).", "n", "unsupported_value");
        }
        if (request.Model is not null && !string.Equals(request.Model, model.Id, StringComparison.OrdinalIgnoreCase))
        {
            return new(404, $"The model '{request.Model}' does not exist; this server's chat model is {model.Id}.", "model", "model_not_found");
        }
        if (Turns(request.Messages, out List<ChatMessage> turns) is { } messagesProblem)
        {
            return messagesProblem;
        }
        if (request.MaxTokens is not null && request.MaxCompletionTokens is not null)
        {
            return new(400, "Give 'max_tokens' or 'max_completion_tokens', not both.", "max_tokens", "invalid_value");
        }
        string limitName = request.MaxCompletionTokens is not null ? "max_completion_tokens" : "max_tokens";
        int? limit = request.MaxCompletionTokens ?? request.MaxTokens;
        if (limit is < 1)
        {
            return new(400, $"'{limitName}' is {limit}: at least 1.", limitName, "invalid_value");
        }
        if (request.Temperature is { } temperature && !(temperature >= 0 && temperature <= 2))
        {
            return new(400, $"'temperature' is {temperature}: it must be in [0, 2].", "temperature", "invalid_value");
        }
        if (request.TopP is { } topP && !(topP > 0 && topP <= 1))
        {
            return new(400, $"'top_p' is {topP}: it must be in (0, 1] (0 would keep no token; use temperature 0 for greedy).", "top_p", "invalid_value");
        }
        if (request.Seed is { } seed && seed is < int.MinValue or > int.MaxValue)
        {
            return new(400, $"'seed' is {seed}: it must fit 32 bits here.", "seed", "invalid_value");
        }
        if (StopStrings(request.Stop, out string[] stops) is { } stopProblem)
        {
            return stopProblem;
        }
        bool stream = request.Stream == true;
        if (request.StreamOptions is { } streamOptions)
        {
            if (!stream)
            {
                return new(400, "'stream_options' is only allowed when 'stream' is true.", "stream_options", "invalid_value");
            }
            if (streamOptions.Unknown is { Count: > 0 } unknownOption)
            {
                string name = "stream_options." + unknownOption.Keys.First();
                return new(400, $"Unrecognized request argument supplied: {name}", name, "unknown_parameter");
            }
        }
        int[] prompt;
        try
        {
            prompt = model.PromptTokens(turns);
        }
        catch (ChatTemplateException e)
        {
            // The template's own refusal (raise_exception: roles that do not alternate, a system message it cannot place…).
            return new(400, $"The model's chat template refused 'messages': {e.Message}", "messages", "invalid_value");
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            return new(400, $"'messages' cannot be tokenized: {e.Message}", "messages", "invalid_value");
        }
        if (prompt.Length >= model.ContextLength)
        {
            return new(400, $"This model's maximum context length is {model.ContextLength} tokens; the messages take {prompt.Length}, leaving none for the completion.",
                "messages", "context_length_exceeded");
        }
        if (limit is { } asked && prompt.Length + asked > model.ContextLength)
        {
            return new(400, $"This model's maximum context length is {model.ContextLength} tokens; the messages take {prompt.Length} and '{limitName}' asks for {asked} more.",
                limitName, "context_length_exceeded");
        }
        var options = new GenerationOptions
        {
            // Without a limit the completion may take every position the prompt leaves.
            MaxNewTokens = limit ?? model.ContextLength - prompt.Length,
            Temperature = request.Temperature ?? 1f, // OpenAI's default
            TopP = request.TopP ?? 1f,
            Seed = request.Seed is { } s ? (int)s : null,
            StopTokens = [.. model.Tokenizer.EndOfSequenceIds],
        };
        work = new ChatWork(prompt, options, stops, stream, stream && request.StreamOptions?.IncludeUsage == true);
        return null;
    }

    /// <summary>The messages as turns; each problem names the message and its field.</summary>
    private static RequestProblem? Turns(JsonElement messages, out List<ChatMessage> turns)
    {
        turns = [];
        if (messages.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null)
        {
            return new(400, "'messages' is required.", "messages", "missing_required_parameter");
        }
        if (messages.ValueKind != JsonValueKind.Array)
        {
            return new(400, "'messages' must be an array of messages.", "messages", "invalid_type");
        }
        if (messages.GetArrayLength() == 0)
        {
            return new(400, "'messages' is empty: it must hold at least one message.", "messages", "empty_array");
        }
        int index = 0;
        foreach (JsonElement message in messages.EnumerateArray())
        {
            string at = $"messages[{index++}]";
            if (message.ValueKind != JsonValueKind.Object)
            {
                return new(400, $"'{at}' must be an object with 'role' and 'content'.", at, "invalid_type");
            }
            string? role = null, content = null;
            foreach (JsonProperty field in message.EnumerateObject())
            {
                string name = $"{at}.{field.Name}";
                switch (field.Name)
                {
                    case "role":
                        if (field.Value.ValueKind != JsonValueKind.String || !ServedChatModel.Roles.Contains(field.Value.GetString()))
                        {
                            return new(400, $"'{name}' is {field.Value.GetRawText()}: it must be one of {string.Join(", ", ServedChatModel.Roles.Select(r => $"'{r}'"))}.", name, "invalid_value");
                        }
                        role = field.Value.GetString();
                        break;
                    case "content":
                        if (Content(field.Value, name, out content) is { } contentProblem)
                        {
                            return contentProblem;
                        }
                        break;
                    case "name":
                        if (field.Value.ValueKind != JsonValueKind.String)
                        {
                            return new(400, $"'{name}' must be a string.", name, "invalid_type");
                        }
                        break;
                    default:
                        return new(400, $"Unrecognized message field: '{name}' (this server takes role, content and name).", name, "unknown_parameter");
                }
            }
            if (role is null)
            {
                return new(400, $"'{at}.role' is required.", $"{at}.role", "missing_required_parameter");
            }
            if (content is null)
            {
                return new(400, $"'{at}.content' is required.", $"{at}.content", "missing_required_parameter");
            }
            turns.Add(new ChatMessage(new ChatRole(role), content));
        }
        return null;
    }

    /// <summary>A message's text: a string, or an array of <c>{"type": "text", "text": ...}</c> parts (concatenated).</summary>
    private static RequestProblem? Content(JsonElement value, string name, out string? content)
    {
        content = null;
        try
        {
            if (value.ValueKind == JsonValueKind.String)
            {
                content = value.GetString()!;
                return null;
            }
            if (value.ValueKind != JsonValueKind.Array)
            {
                return new(400, $"'{name}' must be a string or an array of text parts.", name, "invalid_type");
            }
            var text = new System.Text.StringBuilder();
            int part = 0;
            foreach (JsonElement element in value.EnumerateArray())
            {
                string at = $"{name}[{part++}]";
                if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty("type", out JsonElement type) || type.ValueKind != JsonValueKind.String
                    || type.GetString() != "text" || !element.TryGetProperty("text", out JsonElement partText) || partText.ValueKind != JsonValueKind.String)
                {
                    return new(400, $"'{at}' must be {{\"type\": \"text\", \"text\": \"...\"}}: this model takes text only.", at, "invalid_value");
                }
                text.Append(partText.GetString());
            }
            content = text.ToString();
            return null;
        }
        catch (InvalidOperationException)
        {
            // System.Text.Json parses such strings but refuses to turn them into .NET strings.
            return new(400, $"'{name}' is not valid text: it holds invalid UTF-8 or an unpaired surrogate.", name, "invalid_value");
        }
    }

    /// <summary><c>stop</c>: absent, a string, or an array of up to four non-empty strings.</summary>
    private static RequestProblem? StopStrings(JsonElement stop, out string[] stops)
    {
        stops = [];
        try
        {
            switch (stop.ValueKind)
            {
                case JsonValueKind.Undefined or JsonValueKind.Null:
                    return null;
                case JsonValueKind.String:
                    stops = [stop.GetString()!];
                    break;
                case JsonValueKind.Array when stop.GetArrayLength() <= MaxStopStrings && stop.EnumerateArray().All(s => s.ValueKind == JsonValueKind.String):
                    stops = [.. stop.EnumerateArray().Select(s => s.GetString()!)];
                    break;
                default:
                    return new(400, $"'stop' must be a string or an array of at most {MaxStopStrings} strings.", "stop", "invalid_value");
            }
        }
        catch (InvalidOperationException)
        {
            return new(400, "'stop' is not valid text: it holds invalid UTF-8 or an unpaired surrogate.", "stop", "invalid_value");
        }
        if (stops.Any(s => s.Length == 0))
        {
            return new(400, "'stop' holds an empty string, which would stop before the first token.", "stop", "invalid_value");
        }
        return null;
    }
}
