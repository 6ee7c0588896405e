using System.Diagnostics;

namespace TransformerKernels.Server;

/// <summary>Tokens a request took in and gave out, set by its endpoint for the log line and the metrics.</summary>
internal sealed class RequestTokens
{
    private static readonly object Key = new();

    public int In { get; set; }

    public int Out { get; set; }

    /// <summary>The request's record (created on first use).</summary>
    public static RequestTokens Of(HttpContext context)
    {
        if (context.Items.TryGetValue(Key, out object? found) && found is RequestTokens tokens)
        {
            return tokens;
        }
        var created = new RequestTokens();
        context.Items[Key] = created;
        return created;
    }

    public static RequestTokens? Find(HttpContext context) => context.Items.TryGetValue(Key, out object? found) ? found as RequestTokens : null;
}

/// <summary>
/// One Information line per request — method, path, status, milliseconds, tokens in and out, and whether the client went
/// away — and the request counters and latency histogram of <see cref="ServerMetrics"/>.
/// </summary>
internal sealed class RequestLog(ILogger log, ServerMetrics metrics)
{
    public async Task InvokeAsync(HttpContext context, Func<Task> next)
    {
        long started = Stopwatch.GetTimestamp();
        try
        {
            await next();
        }
        finally
        {
            double seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
            // The route's template (not the raw path) keeps the metric's label set bounded whatever clients ask for.
            string route = (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? "unmatched";
            int status = context.Response.StatusCode;
            metrics.Requests.Add(1, new KeyValuePair<string, object?>("route", route), new KeyValuePair<string, object?>("status", status));
            metrics.RequestDuration.Record(seconds, new KeyValuePair<string, object?>("route", route));
            RequestTokens? tokens = RequestTokens.Find(context);
            log.LogInformation("{Method} {Path} {Status} {Milliseconds:F1} ms, tokens in {TokensIn}, out {TokensOut}{Aborted}",
                context.Request.Method, context.Request.Path.Value, status, seconds * 1000, tokens?.In ?? 0, tokens?.Out ?? 0,
                context.RequestAborted.IsCancellationRequested ? ", client went away" : "");
        }
    }
}
