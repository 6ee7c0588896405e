using Microsoft.Extensions.AI;

namespace TransformerKernels.Chat;

/// <summary>
/// <see cref="ChatOptions"/> as <see cref="GenerationOptions"/>: MaxOutputTokens, Temperature, TopP, TopK and Seed map onto
/// the sampler; StopSequences are matched on text; everything the client cannot honour is refused by name rather than
/// ignored.
/// </summary>
internal static class ChatOptionsMapping
{
    /// <summary>The generation settings and stop strings of one request.</summary>
    /// <exception cref="NotSupportedException">An option this client does not implement is set (named).</exception>
    /// <exception cref="ArgumentException">A stop sequence is empty, or the seed does not fit 32 bits.</exception>
    public static (GenerationOptions Generation, IReadOnlyList<string> Stops) Map(ChatOptions? options, GenerationOptions defaults)
    {
        if (options is null)
        {
            return (defaults, []);
        }
        Refuse(options.FrequencyPenalty is { } frequency && frequency != 0, nameof(ChatOptions.FrequencyPenalty), "the sampler has no frequency penalty (GenerationOptions.RepetitionPenalty is CTRL's, another formula)");
        Refuse(options.PresencePenalty is { } presence && presence != 0, nameof(ChatOptions.PresencePenalty), "the sampler has no presence penalty (GenerationOptions.RepetitionPenalty is CTRL's, another formula)");
        Refuse(options.Tools is { Count: > 0 }, nameof(ChatOptions.Tools), "the client does not call tools");
        Refuse(options.ToolMode is RequiredChatToolMode, nameof(ChatOptions.ToolMode), "the client does not call tools");
        Refuse(options.ResponseFormat is not (null or ChatResponseFormatText), nameof(ChatOptions.ResponseFormat), "output is not constrained to JSON or a schema");
        Refuse(options.ConversationId is not null, nameof(ChatOptions.ConversationId), "the client keeps no conversations: send the whole history");
        Refuse(options.AllowBackgroundResponses == true, nameof(ChatOptions.AllowBackgroundResponses), "responses run while awaited");
        Refuse(options.ContinuationToken is not null, nameof(ChatOptions.ContinuationToken), "responses run while awaited");
        Refuse(options.Reasoning is not null, nameof(ChatOptions.Reasoning), "the client has no reasoning controls");
        Refuse(options.AdditionalProperties is { Count: > 0 }, nameof(ChatOptions.AdditionalProperties),
            $"no additional properties are understood ({string.Join(", ", options.AdditionalProperties?.Keys ?? [])})");
        int? seed = null;
        if (options.Seed is { } requested)
        {
            seed = requested is >= int.MinValue and <= int.MaxValue ? (int)requested
                : throw new ArgumentOutOfRangeException(nameof(ChatOptions.Seed), requested, "The sampler's seed is 32 bits.");
        }
        List<string> stops = [];
        foreach (string stop in options.StopSequences ?? [])
        {
            stops.Add(string.IsNullOrEmpty(stop) ? throw new ArgumentException("Stop sequences must be non-empty strings.", nameof(ChatOptions.StopSequences)) : stop);
        }
        GenerationOptions generation = defaults with
        {
            Temperature = options.Temperature ?? defaults.Temperature,
            TopP = options.TopP ?? defaults.TopP,
            TopK = options.TopK ?? defaults.TopK,
            Seed = seed ?? defaults.Seed,
        };
        return (generation, stops);
    }

    private static void Refuse(bool set, string option, string why)
    {
        if (set)
        {
            throw new NotSupportedException($"ChatOptions.{option} is not supported: {why}.");
        }
    }
}
