using System.Diagnostics.Metrics;

namespace TransformerKernels.Server;

/// <summary>
/// The server's instruments (System.Diagnostics.Metrics, meter <see cref="MeterName"/>): what <c>GET /metrics</c> exports
/// in Prometheus text through <see cref="PrometheusExporter"/>, and what any other listener (dotnet-counters) can read.
/// Names are already Prometheus names; counters get <c>_total</c> on export.
/// </summary>
internal sealed class ServerMetrics : IDisposable
{
    public const string MeterName = "TransformerKernels.Server";

    private static readonly double[] SecondsBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
    private static readonly int[] RowBuckets = [1, 2, 4, 8, 16, 32, 64, 128, 256];

    private readonly Meter _meter = new(MeterName);

    public ServerMetrics()
    {
        Requests = _meter.CreateCounter<long>("tk_http_requests", description: "HTTP requests answered, by route and status.");
        PromptTokens = _meter.CreateCounter<long>("tk_chat_prompt_tokens", "tokens", "Chat prompt tokens (tokens in).");
        CompletionTokens = _meter.CreateCounter<long>("tk_chat_completion_tokens", "tokens", "Chat completion tokens (tokens out).");
        RequestDuration = _meter.CreateHistogram("tk_http_request_duration_seconds", "s", "Time from a request's arrival to the end of its answer, by route.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = SecondsBuckets });
        TimeToFirstToken = _meter.CreateHistogram("tk_chat_time_to_first_token_seconds", "s", "Time from a chat request's arrival to its first generated token.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = SecondsBuckets });
        BatchSize = _meter.CreateHistogram("tk_chat_batch_size", "rows", "Generations advanced by each batched decoding step.",
            advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = RowBuckets });
    }

    public Counter<long> Requests { get; }

    public Counter<long> PromptTokens { get; }

    public Counter<long> CompletionTokens { get; }

    public Histogram<double> RequestDuration { get; }

    public Histogram<double> TimeToFirstToken { get; }

    public Histogram<int> BatchSize { get; }

    /// <summary>Gauges and cumulative counts read from the batchers when the exporter collects.</summary>
    public void Observe(EmbeddingBatcher? embeddings, ChatScheduler? chat)
    {
        if (embeddings is not null)
        {
            _meter.CreateObservableGauge("tk_embedding_queue_depth", () => embeddings.Queued, "requests", "Embedding requests admitted and not yet answered.");
            _meter.CreateObservableCounter("tk_embedding_tokens", () => embeddings.EmbeddedTokens, "tokens", "Tokens embedded (tokens in).");
            _meter.CreateObservableCounter("tk_embedding_batches", () => embeddings.Batches, "batches", "Packed embedding passes.");
        }
        if (chat is not null)
        {
            _meter.CreateObservableGauge("tk_chat_live_sessions", () => chat.LiveSessions, "sessions", "Chat generations holding a decoding slot.");
            _meter.CreateObservableGauge("tk_chat_queue_depth", () => chat.Queued, "requests", "Chat requests admitted and waiting for a slot.");
            _meter.CreateObservableCounter("tk_chat_abandoned", () => chat.Abandoned, "requests", "Chat generations freed before their end (client gone, stop string).");
            _meter.CreateObservableCounter("tk_chat_steps", () => chat.Steps, "steps", "Batched decoding steps.");
        }
    }

    public void Dispose() => _meter.Dispose();
}
