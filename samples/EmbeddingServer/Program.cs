// An OpenAI-compatible server on TransformerKernels: embeddings (all-MiniLM-L6-v2, POST /v1/embeddings) and chat
// completions (the fortune Llama model, POST /v1/chat/completions, streamed or not), GET /v1/models, GET /health (ASP.NET
// Core health checks), GET /metrics (Prometheus text). Embedding requests are coalesced into packed batches shared fairly
// between them (EmbeddingBatcher); chat requests are decoded by continuous batching, every generation in progress sharing
// each decoding step (ChatScheduler). Admission is bounded; --api-key locks /v1 down; one log line per request; SIGTERM
// drains within a bounded time; Native AOT.
using System.Text.Json;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.RateLimiting;
using TransformerKernels;
using TransformerKernels.EmbeddingServer;
using TransformerKernels.MiniLM;

if (args.Contains("--help") || args.Contains("-h"))
{
    Console.WriteLine(ServerOptions.Usage);
    return 0;
}
var options = new ServerOptions();
if (options.Parse(args) is { } problem)
{
    Console.Error.WriteLine("embedding-server: " + problem);
    return 2;
}
SentenceEmbedder embedder;
try
{
    embedder = new SentenceEmbedder(maxBatch: Math.Max(1, options.TokenBudget / AllMiniLmL6V2.MaxSeqLen), options.Precision);
}
catch (Exception e) when (e is IOException or UnauthorizedAccessException or ModelWeightsException or FormatException)
{
    Console.Error.WriteLine("embedding-server: " + e.Message);
    return e is CacheDirectoryException or FileNotFoundException ? 2 : 1;
}

ChatModel? chatModel = null;
if (options.ChatModel is { } chatModelId)
{
    try
    {
        chatModel = ChatModel.Load(chatModelId, options.ChatPrecision);
    }
    catch (Exception e) when (e is IOException or UnauthorizedAccessException or ModelWeightsException or ModelConfigurationException or InvalidDataException)
    {
        Console.Error.WriteLine($"embedding-server: the chat model {chatModelId} could not be loaded: {e.Message}");
        embedder.Dispose();
        return 1;
    }
}

var builder = WebApplication.CreateSlimBuilder([]);
// --urls, else ASPNETCORE_URLS (read by the host itself), else --host and --port.
string? urls = options.Urls ?? Environment.GetEnvironmentVariable("ASPNETCORE_URLS");
if (urls is { Length: > 0 })
{
    builder.WebHost.UseUrls(urls);
}
builder.WebHost.ConfigureKestrel(kestrel =>
{
    if (urls is not { Length: > 0 })
    {
        kestrel.Listen(System.Net.IPAddress.Parse(options.Host), options.Port);
    }
    kestrel.Limits.MaxRequestBodySize = options.MaxRequestBytes;
});
builder.Services.ConfigureHttpJsonOptions(json => json.SerializerOptions.TypeInfoResolverChain.Insert(0, ServerJson.Default));
builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = options.ShutdownTimeout);
builder.Services.AddSingleton(options);
builder.Services.AddSingleton(embedder);
builder.Services.AddSingleton<EmbeddingBatcher>();
builder.Services.AddHostedService(services => services.GetRequiredService<EmbeddingBatcher>());
builder.Services.AddSingleton<ServerMetrics>();
builder.Services.AddSingleton(_ => new PrometheusExporter(ServerMetrics.MeterName));
if (chatModel is not null)
{
    builder.Services.AddSingleton(chatModel);
    builder.Services.AddSingleton<ChatScheduler>();
    builder.Services.AddHostedService(services => services.GetRequiredService<ChatScheduler>());
}
builder.Services.AddHealthChecks().AddCheck<ServerHealth>("serving");
// Admission of chat completions: a session for each of MaxSessions, a bounded queue behind them, 429 beyond.
const string ChatAdmission = "chat";
builder.Services.AddRateLimiter(limiter =>
{
    limiter.AddConcurrencyLimiter(ChatAdmission, concurrency =>
    {
        concurrency.PermitLimit = options.MaxSessions;
        concurrency.QueueLimit = options.MaxChatQueued;
        concurrency.QueueProcessingOrder = QueueProcessingOrder.OldestFirst;
    });
    limiter.OnRejected = (rejected, _) =>
    {
        rejected.HttpContext.Response.Headers.RetryAfter = "1";
        return new ValueTask(OpenAiErrors.WriteAsync(rejected.HttpContext, new RequestProblem(429,
            $"The server is at capacity ({options.MaxSessions} completions decoding, {options.MaxChatQueued} waiting); retry shortly.", null, "rate_limit_exceeded")));
    };
});
builder.Logging.SetMinimumLevel(LogLevel.Warning);
const string RequestCategory = "TransformerKernels.EmbeddingServer.Requests";
builder.Logging.AddFilter(RequestCategory, LogLevel.Information);
var app = builder.Build();
ILogger requestLog = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(RequestCategory);
ServerMetrics metrics = app.Services.GetRequiredService<ServerMetrics>();
PrometheusExporter exporter = app.Services.GetRequiredService<PrometheusExporter>();
ChatScheduler? chat = app.Services.GetService<ChatScheduler>();
metrics.Observe(app.Services.GetRequiredService<EmbeddingBatcher>(), chat);

var requestLogging = new RequestLog(requestLog, metrics);
app.Use((context, next) => requestLogging.InvokeAsync(context, () => next(context)));
app.Use((context, next) => OpenAiErrors.AnswerUnhandledAsync(context, () => next(context), requestLog));
if (options.ApiKey is { } apiKey)
{
    var keyCheck = new ApiKeyCheck(apiKey);
    app.Use((context, next) => keyCheck.InvokeAsync(context, () => next(context)));
}
app.UseRateLimiter();

app.MapHealthChecks("/health", new HealthCheckOptions { ResponseWriter = ServerHealth.WriteAsync });
app.MapGet("/metrics", () => Results.Text(exporter.Scrape(), "text/plain; version=0.0.4; charset=utf-8"));
app.MapGet("/v1/models", (HttpContext context) => ModelsEndpoint.ListAsync(context, chatModel));
app.MapGet("/v1/models/{id}", (HttpContext context, string id) => ModelsEndpoint.GetAsync(context, id, chatModel));
app.MapPost("/v1/embeddings", (HttpContext context, EmbeddingBatcher batcher) => EmbeddingEndpoint.HandleAsync(context, batcher, embedder, options));
if (chat is not null && chatModel is not null)
{
    app.MapPost("/v1/chat/completions", (HttpContext context) => ChatEndpoint.HandleAsync(context, chat, chatModel, metrics, options))
       .RequireRateLimiting(ChatAdmission);
}
else
{
    app.MapPost("/v1/chat/completions", (HttpContext context) => OpenAiErrors.WriteAsync(context,
        new RequestProblem(404, "This server was started with --chat-model none: it serves no chat model.", "model", "model_not_found")));
}

await app.StartAsync();
string addresses = string.Join(", ", app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? []);
Console.WriteLine($"embedding-server: listening on {addresses} ({KernelPaths.Describe()}, embeddings {Precisions.Describe(options.Precision)}" +
                  (chatModel is null ? ", no chat model" : $", chat {chatModel.Id} {Precisions.Describe(options.ChatPrecision)}, {options.MaxSessions} sessions") + ")");
await app.WaitForShutdownAsync();
return 0;
