using System.Runtime.InteropServices;
using System.Text.Json;
using TransformerKernels.Embeddings;

namespace TransformerKernels.Server;

/// <summary><c>POST /v1/embeddings</c>: OpenAI's request and response, errors in OpenAI's envelope.</summary>
internal static class EmbeddingEndpoint
{
    public static async Task HandleAsync(HttpContext context, EmbeddingBatcher batcher, ITokenSequenceEmbedder embedder, ServerOptions options)
    {
        if (await RequestBody.ReadAsync(context, ServerJson.Default.EmbeddingRequest, options) is not { } request)
        {
            return;
        }
        int[][] sequences = [];
        if ((Validate(request, embedder) ?? RequestInput.TryTokenize(request.Input, embedder, options, out sequences)) is { } problem)
        {
            await OpenAiErrors.WriteAsync(context, problem);
            return;
        }
        // The request log line and the token metrics count what is embedded, special tokens included.
        RequestTokens.Of(context).In = sequences.Sum(sequence => sequence.Length);
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
        await Write(context, result, request.EncodingFormat == "base64", embedder.ModelId);
    }

    /// <summary>The fields besides <c>input</c> (whose texts <see cref="RequestInput"/> checks).</summary>
    private static RequestProblem? Validate(EmbeddingRequest request, ITokenSequenceEmbedder embedder)
    {
        if (request.Unknown is { Count: > 0 } unknown)
        {
            string name = unknown.Keys.First();
            return new(400, $"Unrecognized request argument supplied: {name}", name, "unknown_parameter");
        }
        if (request.Dimensions is { } dimensions && dimensions != embedder.Dimensions)
        {
            return new(400, $"'dimensions' is {dimensions}: this model's embeddings have {embedder.Dimensions} dimensions, and are not shortened.", "dimensions", "unsupported_parameter");
        }
        if (request.EncodingFormat is not (null or "float" or "base64"))
        {
            return new(400, $"'{request.EncodingFormat}' is not one of ['float', 'base64'] - 'encoding_format'", "encoding_format", "invalid_value");
        }
        if (request.Model is not null && !ModelIds.Matches(request.Model, embedder.ModelId))
        {
            return new(404, $"The model '{request.Model}' does not exist; this server serves {embedder.ModelId}.", "model", "model_not_found");
        }
        return null;
    }

    private static async Task Write(HttpContext context, EmbeddingResult result, bool base64, string modelId)
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
        json.WriteString("model", modelId);
        json.WriteStartObject("usage");
        json.WriteNumber("prompt_tokens", result.Tokens);
        json.WriteNumber("total_tokens", result.Tokens);
        json.WriteEndObject();
        json.WriteEndObject();
        await json.FlushAsync(context.RequestAborted);
    }
}
