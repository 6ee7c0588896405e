// An OpenAI-compatible embeddings server for all-MiniLM-L6-v2 on TransformerKernels: POST /v1/embeddings, GET /health.
// Requests are tokenized and checked in their own handlers, then coalesced into packed batches shared fairly between them
// (EmbeddingBatcher); admission is bounded; SIGTERM drains within a bounded time; Native AOT.
using System.Text.Json;
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

var builder = WebApplication.CreateSlimBuilder([]);
builder.WebHost.ConfigureKestrel(kestrel =>
{
    kestrel.Listen(System.Net.IPAddress.Parse(options.Host), options.Port);
    kestrel.Limits.MaxRequestBodySize = options.MaxRequestBytes;
});
builder.Services.ConfigureHttpJsonOptions(json => json.SerializerOptions.TypeInfoResolverChain.Insert(0, ServerJson.Default));
builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = options.ShutdownTimeout);
builder.Services.AddSingleton(options);
builder.Services.AddSingleton(embedder);
builder.Services.AddSingleton<EmbeddingBatcher>();
builder.Services.AddHostedService(services => services.GetRequiredService<EmbeddingBatcher>());
builder.Logging.SetMinimumLevel(LogLevel.Warning);
var app = builder.Build();
ILogger requestLog = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("TransformerKernels.EmbeddingServer.Requests");
app.Use((context, next) => OpenAiErrors.AnswerUnhandledAsync(context, () => next(context), requestLog));

app.MapGet("/health", (EmbeddingBatcher batcher) =>
    Results.Json(new HealthResponse("ok", EmbeddingEndpoint.ModelId, batcher.Requests, batcher.Batches, batcher.Queued, batcher.EmbeddedTokens, batcher.Abandoned),
        ServerJson.Default.HealthResponse));
app.MapPost("/v1/embeddings", (HttpContext context, EmbeddingBatcher batcher) => EmbeddingEndpoint.HandleAsync(context, batcher, embedder, options));

Console.WriteLine($"embedding-server: listening on http://{options.Host}:{options.Port} ({KernelPaths.Describe()}, {Precisions.Describe(options.Precision)})");
await app.RunAsync();
return 0;
