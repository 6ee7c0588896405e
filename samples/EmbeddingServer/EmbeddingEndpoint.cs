using System.Runtime.InteropServices;
using System.Text.Json;
using TransformerKernels.MiniLM;

namespace TransformerKernels.EmbeddingServer;

/// <summary><c>POST /v1/embeddings</c>: OpenAI's request and response, errors in OpenAI's envelope.</summary>
public static class EmbeddingEndpoint
{
    /// <summary>The model id the responses name.</summary>
    public const string ModelId = "sentence-transformers/all-MiniLM-L6-v2";

    private static readonly string[] Aliases = [ModelId, "all-MiniLM-L6-v2"];

    public static async Task HandleAsync(HttpContext context, EmbeddingBatcher batcher, ServerOptions options)
    {
        EmbeddingRequest? request;
        try
        {
            request = await context.Request.ReadFromJsonAsync(ServerJson.Default.EmbeddingRequest, context.RequestAborted);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            await Error(context, 413, $"The request body is larger than {options.MaxRequestBytes} bytes.", null, "request_too_large");
            return;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or BadHttpRequestException)
        {
            await Error(context, 400, "The request body is not valid JSON for this endpoint: " + e.Message, null, "invalid_json");
            return;
        }
        if (request is null)
        {
            await Error(context, 400, "The request body is empty.", null, "invalid_json");
            return;
        }
        if (Validate(request, options) is { } invalid)
        {
            await Error(context, invalid.Status, invalid.Message, invalid.Param, invalid.Code);
            return;
        }
        string[] texts = request.Input.ValueKind == JsonValueKind.String ? [request.Input.GetString()!] : [.. request.Input.EnumerateArray().Select(e => e.GetString()!)];
        if (!batcher.TryEnqueue(texts, out Task<EmbeddingResult> pending))
        {
            context.Response.Headers.RetryAfter = "1";
            await Error(context, 503, "The server is busy (its queue is full) or stopping; retry shortly.", null, "server_busy");
            return;
        }
        EmbeddingResult result = await pending;
        await Write(context, result, request.EncodingFormat == "base64");
    }

    private sealed record Invalid(int Status, string Message, string? Param, string Code);

    private static Invalid? Validate(EmbeddingRequest request, ServerOptions options)
    {
        if (request.Unknown is { Count: > 0 } unknown)
        {
            string name = unknown.Keys.First();
            return new(400, $"Unrecognized request argument supplied: {name}", name, "unknown_parameter");
        }
        if (request.Dimensions is not null)
        {
            return new(400, $"This model does not support 'dimensions': its embeddings have {SentenceEmbedder.Dimensions} dimensions.", "dimensions", "unsupported_parameter");
        }
        if (request.EncodingFormat is not (null or "float" or "base64"))
        {
            return new(400, $"'{request.EncodingFormat}' is not one of ['float', 'base64'] - 'encoding_format'", "encoding_format", "invalid_value");
        }
        if (request.Model is not null && !Aliases.Contains(request.Model, StringComparer.OrdinalIgnoreCase))
        {
            return new(404, $"The model '{request.Model}' does not exist; this server serves {ModelId}.", "model", "model_not_found");
        }
        JsonElement input = request.Input;
        if (input.ValueKind == JsonValueKind.String)
        {
            return input.GetString()!.Length == 0 ? new(400, "'input' cannot be an empty string.", "input", "invalid_value") : null;
        }
        if (input.ValueKind != JsonValueKind.Array)
        {
            return new(400, "'input' must be a string or an array of strings.", "input", "invalid_type");
        }
        int count = 0;
        foreach (JsonElement item in input.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String)
            {
                return new(400, $"'input[{count}]' is not a string (token arrays are not accepted: this server tokenizes).", "input", "invalid_type");
            }
            if (item.GetString()!.Length == 0)
            {
                return new(400, $"'input[{count}]' cannot be an empty string.", "input", "invalid_value");
            }
            count++;
        }
        return count == 0 ? new(400, "'input' cannot be an empty array.", "input", "invalid_value")
            : count > options.MaxInputs ? new(400, $"'input' has {count} texts; at most {options.MaxInputs} per request.", "input", "too_many_inputs")
            : null;
    }

    private static async Task Write(HttpContext context, EmbeddingResult result, bool base64)
    {
        context.Response.ContentType = "application/json";
        await using var json = new Utf8JsonWriter(context.Response.Body);
        json.WriteStartObject();
        json.WriteString("object", "list");
        json.WriteStartArray("data");
        for (int i = 0; i < result.Embeddings.Length; i++)
        {
            json.WriteStartObject();
            json.WriteString("object", "embedding");
            json.WriteNumber("index", i);
            if (base64)
            {
                // OpenAI's base64 form: the float32 values' little-endian bytes.
                json.WriteBase64String("embedding", MemoryMarshal.AsBytes(result.Embeddings[i].AsSpan()));
            }
            else
            {
                json.WriteStartArray("embedding");
                foreach (float value in result.Embeddings[i])
                {
                    json.WriteNumberValue(value);
                }
                json.WriteEndArray();
            }
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteString("model", ModelId);
        json.WriteStartObject("usage");
        json.WriteNumber("prompt_tokens", result.Tokens);
        json.WriteNumber("total_tokens", result.Tokens);
        json.WriteEndObject();
        json.WriteEndObject();
        await json.FlushAsync(context.RequestAborted);
    }

    private static Task Error(HttpContext context, int status, string message, string? param, string code)
    {
        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(new ErrorResponse(new ErrorDetail(message, status >= 500 ? "server_error" : "invalid_request_error", param, code)),
            ServerJson.Default.ErrorResponse, contentType: null, context.RequestAborted);
    }
}
