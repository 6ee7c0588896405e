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

    public static async Task HandleAsync(HttpContext context, EmbeddingBatcher batcher, SentenceEmbedder embedder, ServerOptions options)
    {
        if (await ReadAsync(context, options) is not { } request)
        {
            return;
        }
        int[][] sequences = [];
        if ((Validate(request) ?? RequestInput.TryTokenize(request.Input, embedder, options, out sequences)) is { } problem)
        {
            await OpenAiErrors.WriteAsync(context, problem);
            return;
        }
        if (!batcher.TryAdmit(sequences, context.RequestAborted, out EmbeddingJob job))
        {
            await OpenAiErrors.WriteAsync(context, new RequestProblem(503, "The server is busy (its queue is full) or stopping; retry shortly.", null, "server_busy"));
            return;
        }
        EmbeddingResult result;
        try
        {
            result = await job.Outcome;
        }
        catch (OperationCanceledException)
        {
            return; // abandoned by its client: nobody to answer
        }
        catch (EmbeddingFailedException e)
        {
            await OpenAiErrors.WriteAsync(context, e.Problem);
            return;
        }
        await Write(context, result, request.EncodingFormat == "base64");
    }

    /// <summary>The body, or null once an error has been answered: 413 too large, 408 stalled, 400 not this endpoint's JSON.</summary>
    private static async Task<EmbeddingRequest?> ReadAsync(HttpContext context, ServerOptions options)
    {
        RequestProblem problem;
        try
        {
            if (await context.Request.ReadFromJsonAsync(ServerJson.Default.EmbeddingRequest, context.RequestAborted) is { } request)
            {
                return request;
            }
            problem = new(400, "The request body is empty.", null, "invalid_json");
        }
        catch (BadHttpRequestException e)
        {
            problem = e.StatusCode switch
            {
                StatusCodes.Status413PayloadTooLarge => new(413, $"The request body is larger than {options.MaxRequestBytes} bytes.", null, "request_too_large"),
                // Kestrel's minimum body data rate: the client stopped sending the body it announced.
                StatusCodes.Status408RequestTimeout => new(408, "The request body arrived too slowly (the client stopped sending it).", null, "request_timeout"),
                _ => new(400, "The request could not be read: " + e.Message, null, "invalid_request"),
            };
        }
        catch (JsonException e) when (e.InnerException is InvalidOperationException && TopLevelField(e.Path) is { } field)
        {
            // A string field System.Text.Json cannot turn into a .NET string: invalid UTF-8 or an unpaired surrogate.
            problem = new(400, $"'{field}' is not valid text: it holds invalid UTF-8 or an unpaired surrogate.", field, "invalid_value");
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            problem = new(400, "The request body is not valid JSON for this endpoint: " + e.Message, null, "invalid_json");
        }
        if (!context.RequestAborted.IsCancellationRequested)
        {
            await OpenAiErrors.WriteAsync(context, problem);
        }
        return null;
    }

    /// <summary>"model" from the JSON path "$.model".</summary>
    private static string? TopLevelField(string? path) =>
        path is { Length: > 2 } && path.StartsWith("$.", StringComparison.Ordinal) && path.IndexOfAny(['.', '['], 2) < 0 ? path[2..] : null;

    /// <summary>The fields besides <c>input</c> (whose texts <see cref="RequestInput"/> checks).</summary>
    private static RequestProblem? Validate(EmbeddingRequest request)
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
        return null;
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
}
