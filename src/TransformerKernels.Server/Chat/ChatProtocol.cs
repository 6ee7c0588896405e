using System.Text.Json;
using System.Text.Json.Serialization;

namespace TransformerKernels.Server;

/// <summary>
/// The body of OpenAI's <c>POST /v1/chat/completions</c>, the fields this server takes. <c>messages</c> and <c>stop</c>
/// stay JSON so that <see cref="ChatRequestCheck"/> can name exactly what is wrong inside them; every other field is
/// refused by name (<see cref="Unknown"/>).
/// </summary>
internal sealed class ChatRequest
{
    [JsonPropertyName("model")]
    public string? Model { get; set; }

    [JsonPropertyName("messages")]
    public JsonElement Messages { get; set; }

    [JsonPropertyName("max_tokens")]
    public int? MaxTokens { get; set; }

    [JsonPropertyName("max_completion_tokens")]
    public int? MaxCompletionTokens { get; set; }

    [JsonPropertyName("temperature")]
    public float? Temperature { get; set; }

    [JsonPropertyName("top_p")]
    public float? TopP { get; set; }

    [JsonPropertyName("seed")]
    public long? Seed { get; set; }

    [JsonPropertyName("stop")]
    public JsonElement Stop { get; set; }

    [JsonPropertyName("n")]
    public int? N { get; set; }

    [JsonPropertyName("stream")]
    public bool? Stream { get; set; }

    [JsonPropertyName("stream_options")]
    public StreamOptions? StreamOptions { get; set; }

    [JsonPropertyName("user")]
    public string? User { get; set; }

    /// <summary>Fields this server does not take, kept to refuse them by name.</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Unknown { get; set; }
}

/// <summary><c>stream_options</c>: only <c>include_usage</c>.</summary>
internal sealed class StreamOptions
{
    [JsonPropertyName("include_usage")]
    public bool? IncludeUsage { get; set; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Unknown { get; set; }
}

/// <summary>Source-generated JSON of the chat request for Native AOT (responses are written with Utf8JsonWriter).</summary>
[JsonSerializable(typeof(ChatRequest))]
internal sealed partial class ChatJson : JsonSerializerContext;
