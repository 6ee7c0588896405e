using System.Text.Json;
using System.Text.Json.Serialization;

namespace TransformerKernels.Server;

/// <summary>
/// The body of OpenAI's <c>POST /v1/embeddings</c>. <c>input</c> is a string or an array of strings (token arrays are not
/// taken: this server tokenizes itself); <c>dimensions</c> is refused, since MiniLM's 384 cannot be shortened honestly.
/// </summary>
internal sealed class EmbeddingRequest
{
    [JsonPropertyName("input")]
    public JsonElement Input { get; set; }

    [JsonPropertyName("model")]
    public string? Model { get; set; }

    [JsonPropertyName("encoding_format")]
    public string? EncodingFormat { get; set; }

    [JsonPropertyName("dimensions")]
    public int? Dimensions { get; set; }

    [JsonPropertyName("user")]
    public string? User { get; set; }

    /// <summary>Fields this server does not know, kept to refuse them by name.</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Unknown { get; set; }
}

/// <summary>OpenAI's error body: <c>{"error": {"message", "type", "param", "code"}}</c>.</summary>
internal sealed record ErrorDetail(
    [property: JsonPropertyName("message")] string Message,
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("param")] string? Param,
    [property: JsonPropertyName("code")] string? Code);

/// <summary>The error envelope.</summary>
internal sealed record ErrorResponse([property: JsonPropertyName("error")] ErrorDetail Error);

/// <summary>
/// What <c>GET /health</c> answers: status, and what the batcher did so far — requests answered, batches (packed passes),
/// requests waiting, tokens embedded, and requests dropped because their client went away.
/// </summary>
internal sealed record HealthResponse(
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("model")] string Model,
    [property: JsonPropertyName("requests")] long Requests,
    [property: JsonPropertyName("batches")] long Batches,
    [property: JsonPropertyName("queued")] int Queued,
    [property: JsonPropertyName("embedded_tokens")] long EmbeddedTokens,
    [property: JsonPropertyName("abandoned_requests")] long AbandonedRequests);

/// <summary>Source-generated JSON for Native AOT (no reflection).</summary>
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(EmbeddingRequest))]
[JsonSerializable(typeof(ErrorResponse))]
[JsonSerializable(typeof(HealthResponse))]
internal sealed partial class ServerJson : JsonSerializerContext;
