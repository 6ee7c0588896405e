using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace TransformerKernels.Server;

/// <summary>
/// Reads an endpoint's JSON request body, answering what is wrong with it in OpenAI's envelope: 413 too large, 408 stalled
/// (Kestrel's minimum body data rate: the client stopped sending the body it announced), 400 malformed JSON or a field of
/// the wrong type or with text .NET cannot hold (named, from the reader's JSON path).
/// </summary>
internal static class RequestBody
{
    /// <summary>The body, or null once an error has been answered.</summary>
    public static async Task<T?> ReadAsync<T>(HttpContext context, JsonTypeInfo<T> type, ServerOptions options) where T : class
    {
        RequestProblem problem;
        try
        {
            if (await context.Request.ReadFromJsonAsync(type, context.RequestAborted) is { } request)
            {
                return request;
            }
            problem = new(400, "The request body is empty or null.", null, "invalid_json");
        }
        catch (BadHttpRequestException e)
        {
            problem = e.StatusCode switch
            {
                StatusCodes.Status413PayloadTooLarge => new(413, $"The request body is larger than {options.MaxRequestBytes} bytes.", null, "request_too_large"),
                StatusCodes.Status408RequestTimeout => new(408, "The request body arrived too slowly (the client stopped sending it).", null, "request_timeout"),
                _ => new(400, "The request could not be read: " + e.Message, null, "invalid_request"),
            };
        }
        catch (JsonException e) when (TopLevelField(e.Path) is { } field)
        {
            problem = e.InnerException is InvalidOperationException
                ? new(400, $"'{field}' is not valid text: it holds invalid UTF-8 or an unpaired surrogate.", field, "invalid_value")
                : new(400, $"'{field}' has the wrong type or is not valid JSON: {e.Message}", field, "invalid_type");
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

    /// <summary>"max_tokens" from the JSON path "$.max_tokens"; "stream_options" from "$.stream_options.include_usage".</summary>
    private static string? TopLevelField(string? path)
    {
        if (path is not { Length: > 2 } || !path.StartsWith("$.", StringComparison.Ordinal))
        {
            return null;
        }
        int end = path.IndexOfAny(['.', '['], 2);
        return end < 0 ? path[2..] : path[2..end];
    }
}
