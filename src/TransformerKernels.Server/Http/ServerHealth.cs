using System.Text.Json;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace TransformerKernels.Server;

/// <summary>
/// The ASP.NET Core health check behind <c>GET /health</c>: healthy while serving, unhealthy (503) once stopping. Its answer
/// has the embeddings counters (when the server embeds) and the chat scheduler's (live sessions, queued, abandoned).
/// </summary>
internal sealed class ServerHealth(IHostApplicationLifetime lifetime) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(lifetime.ApplicationStopping.IsCancellationRequested ? HealthCheckResult.Unhealthy("stopping") : HealthCheckResult.Healthy());

    public static async Task WriteAsync(HttpContext context, HealthReport report)
    {
        EmbeddingBatcher? batcher = context.RequestServices.GetService<EmbeddingBatcher>();
        ChatScheduler? chat = context.RequestServices.GetService<ChatScheduler>();
        context.Response.ContentType = "application/json";
        await using var json = new Utf8JsonWriter(context.Response.Body);
        json.WriteStartObject();
        json.WriteString("status", report.Status == HealthStatus.Healthy ? "ok" : report.Status.ToString().ToLowerInvariant());
        if (batcher is not null)
        {
            json.WriteString("model", batcher.ModelId);
            json.WriteNumber("requests", batcher.Requests);
            json.WriteNumber("batches", batcher.Batches);
            json.WriteNumber("queued", batcher.Queued);
            json.WriteNumber("embedded_tokens", batcher.EmbeddedTokens);
            json.WriteNumber("abandoned_requests", batcher.Abandoned);
        }
        if (chat is not null)
        {
            json.WriteStartObject("chat");
            json.WriteString("model", context.RequestServices.GetRequiredService<ServedChatModel>().Id);
            json.WriteNumber("live_sessions", chat.LiveSessions);
            json.WriteNumber("queued", chat.Queued);
            json.WriteNumber("abandoned", chat.Abandoned);
            json.WriteNumber("steps", chat.Steps);
            json.WriteEndObject();
        }
        json.WriteEndObject();
        await json.FlushAsync(context.RequestAborted);
    }
}
