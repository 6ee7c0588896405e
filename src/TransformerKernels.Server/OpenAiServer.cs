using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.RateLimiting;
using TransformerKernels.Chat;
using TransformerKernels.Embeddings;

namespace TransformerKernels.Server;

/// <summary>
/// An OpenAI-compatible server over models loaded by the host: embeddings (<c>POST /v1/embeddings</c>) when it has an
/// embedder, chat completions (<c>POST /v1/chat/completions</c>, streamed or not) when it has a chat model, and
/// <c>GET /v1/models</c>, <c>GET /health</c> (ASP.NET Core health checks), <c>GET /metrics</c> (Prometheus text).
/// Embedding requests are coalesced into packed batches shared fairly between them; chat requests are decoded by
/// continuous batching, every generation in progress sharing each decoding step. Admission is bounded (ASP.NET Core's
/// concurrency limiter for chat); <see cref="ServerOptions.ApiKey"/> locks /v1 down; one log line per request; SIGTERM
/// drains within a bounded time. Native AOT-safe.
/// </summary>
public static class OpenAiServer
{
    private const string ChatAdmission = "chat";
    private const string RequestCategory = "TransformerKernels.Server.Requests";

    /// <summary>
    /// Builds the server (not started). It owns <paramref name="embedder"/> and <paramref name="chat"/> from here on: they
    /// are disposed when the application stops, after the last request that uses them.
    /// </summary>
    /// <param name="options">Where to listen and how to batch and bound requests.</param>
    /// <param name="embedder">The embedding model, or null: <c>/v1/embeddings</c> answers 404.</param>
    /// <param name="chat">The chat model, or null: <c>/v1/chat/completions</c> answers 404.</param>
    /// <exception cref="ArgumentException">Neither a model to embed with nor one to chat with.</exception>
    public static WebApplication Build(ServerOptions options, ITokenSequenceEmbedder? embedder, ServedChatModel? chat)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (embedder is null && chat is null)
        {
            throw new ArgumentException("A server needs an embedding model, a chat model, or both.", nameof(embedder));
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
        if (embedder is not null)
        {
            // The batcher disposes the embedder once its last pass is done.
            builder.Services.AddSingleton(embedder);
            builder.Services.AddSingleton<EmbeddingBatcher>();
            builder.Services.AddHostedService(services => services.GetRequiredService<EmbeddingBatcher>());
        }
        if (chat is not null)
        {
            builder.Services.AddSingleton(chat);
            builder.Services.AddSingleton<ChatScheduler>();
            builder.Services.AddHostedService(services => services.GetRequiredService<ChatScheduler>());
        }
        builder.Services.AddSingleton<ServerMetrics>();
        builder.Services.AddSingleton(_ => new PrometheusExporter(ServerMetrics.MeterName));
        builder.Services.AddHealthChecks().AddCheck<ServerHealth>("serving");
        // Admission of chat completions: a session for each of MaxSessions, a bounded queue behind them, 429 beyond.
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
        builder.Logging.AddFilter(RequestCategory, LogLevel.Information);
        var app = builder.Build();
        ILogger requestLog = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(RequestCategory);
        ServerMetrics metrics = app.Services.GetRequiredService<ServerMetrics>();
        PrometheusExporter exporter = app.Services.GetRequiredService<PrometheusExporter>();
        EmbeddingBatcher? batcher = app.Services.GetService<EmbeddingBatcher>();
        ChatScheduler? scheduler = app.Services.GetService<ChatScheduler>();
        metrics.Observe(batcher, scheduler);

        var requestLogging = new RequestLog(requestLog, metrics);
        app.Use((context, next) => requestLogging.InvokeAsync(context, () => next(context)));
        app.Use((context, next) => OpenAiErrors.AnswerUnhandledAsync(context, () => next(context), requestLog));
        if (options.ApiKey is { } apiKey)
        {
            var keyCheck = new ApiKeyCheck(apiKey);
            app.Use((context, next) => keyCheck.InvokeAsync(context, () => next(context)));
        }
        app.UseRateLimiter();

        string[] ids = [.. new[] { chat?.Id, embedder?.ModelId }.OfType<string>()];
        app.MapHealthChecks("/health", new HealthCheckOptions { ResponseWriter = ServerHealth.WriteAsync });
        app.MapGet("/metrics", () => Results.Text(exporter.Scrape(), "text/plain; version=0.0.4; charset=utf-8"));
        app.MapGet("/v1/models", (HttpContext context) => ModelsEndpoint.ListAsync(context, ids));
        app.MapGet("/v1/models/{id}", (HttpContext context, string id) => ModelsEndpoint.GetAsync(context, id, ids));
        if (batcher is not null && embedder is not null)
        {
            app.MapPost("/v1/embeddings", (HttpContext context) => EmbeddingEndpoint.HandleAsync(context, batcher, embedder, options));
        }
        else
        {
            app.MapPost("/v1/embeddings", (HttpContext context) => OpenAiErrors.WriteAsync(context,
                new RequestProblem(404, "This server serves no embedding model.", "model", "model_not_found")));
        }
        if (scheduler is not null && chat is not null)
        {
            app.MapPost("/v1/chat/completions", (HttpContext context) => ChatEndpoint.HandleAsync(context, scheduler, chat, metrics, options))
               .RequireRateLimiting(ChatAdmission);
        }
        else
        {
            app.MapPost("/v1/chat/completions", (HttpContext context) => OpenAiErrors.WriteAsync(context,
                new RequestProblem(404, "This server serves no chat model.", "model", "model_not_found")));
        }
        return app;
    }

    /// <summary>
    /// Builds the server, starts it, writes "<paramref name="name"/>: listening on ADDRESSES (<paramref name="description"/>)"
    /// to standard output, and serves until SIGTERM or Ctrl+C (admitted requests are answered first).
    /// </summary>
    public static async Task RunAsync(ServerOptions options, ITokenSequenceEmbedder? embedder, ServedChatModel? chat, string name, string description)
    {
        await using WebApplication app = Build(options, embedder, chat);
        await app.StartAsync();
        string addresses = string.Join(", ", app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? []);
        Console.WriteLine($"{name}: listening on {addresses} ({description})");
        await app.WaitForShutdownAsync();
    }

    /// <summary>
    /// A server from a command line, for a binary whose models are fixed: <c>--help</c> prints <see cref="ServerOptions.Help"/>
    /// (exit 0); options that do not parse are named (exit 2); a model that fails to load is named (exit 1); otherwise the
    /// models are loaded and served until SIGTERM or Ctrl+C (exit 0).
    /// </summary>
    /// <param name="name">The program's name for messages, e.g. "my-model --serve".</param>
    /// <param name="args">The server options.</param>
    /// <param name="loadEmbedder">Loads the embedding model (null: none).</param>
    /// <param name="loadChat">Loads the chat model (null: none).</param>
    public static async Task<int> RunFromCommandLineAsync(string name, string[] args, Func<ITokenSequenceEmbedder?> loadEmbedder, Func<ServedChatModel?> loadChat)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(loadEmbedder);
        ArgumentNullException.ThrowIfNull(loadChat);
        if (args.Contains("--help") || args.Contains("-h"))
        {
            Console.WriteLine($"usage: {name} [options]\n{ServerOptions.Help}");
            return 0;
        }
        var options = new ServerOptions();
        if (options.Parse(args) is { } problem)
        {
            Console.Error.WriteLine($"{name}: {problem}");
            return 2;
        }
        ITokenSequenceEmbedder? embedder = null;
        ServedChatModel? chat = null;
        try
        {
            embedder = loadEmbedder();
            chat = loadChat();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException or ModelWeightsException
                                      or ModelConfigurationException or ChatTemplateException or ArgumentException or InvalidOperationException or NotSupportedException)
        {
            embedder?.Dispose();
            Console.Error.WriteLine($"{name}: the model could not be loaded: {e.Message}");
            return 1;
        }
        await RunAsync(options, embedder, chat, name,
            $"{KernelPaths.Describe()}" + (embedder is null ? "" : $", embeddings {embedder.ModelId}") + (chat is null ? "" : $", chat {chat.Id}, {options.MaxSessions} sessions"));
        return 0;
    }
}
