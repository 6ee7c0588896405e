using System.Globalization;

namespace TransformerKernels.Server;

/// <summary>The server's command line: where it listens and how it batches, bounds and limits requests.</summary>
public sealed class ServerOptions
{
    /// <summary>The options every TransformerKernels server takes, as <c>--help</c> lists them (a host adds its own).</summary>
    public const string Help = """
          --urls URLS           where to listen, ASP.NET Core's form ("http://127.0.0.1:8080;http://[::1]:8080"); also
                                from ASPNETCORE_URLS. Given either, --port and --host are ignored
          --port N              TCP port when no URLs are given (default 8080)
          --host ADDRESS        address to bind when no URLs are given (default 127.0.0.1: loopback only)
          --api-key KEY         requests to /v1/... must carry "Authorization: Bearer KEY", else 401 (default: from
                                TK_API_KEY; neither set: no key needed). /health and /metrics stay open
          --max-wait-ms N       how long the first request of a batch waits for others to join (default 0: a batch is
                                whatever queued while the previous one ran)
          --token-budget N      tokens per embedding batch, one packed forward pass (default 8192); large requests are
                                split over batches, one text from each request in turn
          --max-queued N        embedding requests admitted and not yet answered; beyond it 503 with Retry-After (default 256)
          --max-request-bytes N request body limit; beyond it 413 (default 1048576)
          --max-inputs N        texts per request; beyond it 400 (default 2048, as OpenAI)
          --max-request-tokens N  tokens per embedding request, special tokens included; beyond it 400 (default 65536)
          --drain-seconds N     after SIGTERM, how long admitted requests may still take; what is unfinished then is
                                answered 503 at the next batch boundary (default 20; the host allows N + 10 s in all)
          --max-sessions N      chat completions decoding at once, sharing every step (default 32, at most 256)
          --max-chat-queued N   chat requests waiting for a session; beyond it 429 with Retry-After (default 64)
        POST /v1/embeddings, POST /v1/chat/completions, GET /v1/models (OpenAI-compatible), GET /health (ASP.NET Core health
        checks, with counters), GET /metrics (Prometheus text). One log line per request. SIGTERM or Ctrl+C answers every
        admitted request, then exits 0.
        """;

    /// <summary>--port: the TCP port when no URLs are given.</summary>
    public int Port { get; private set; } = 8080;

    /// <summary>--urls: where to listen (ASP.NET Core's semicolon-separated form); null lets ASPNETCORE_URLS or --port decide.</summary>
    public string? Urls { get; private set; }

    /// <summary>The key requests to /v1/... must present as a Bearer token; null: none needed.</summary>
    public string? ApiKey { get; private set; } = Environment.GetEnvironmentVariable("TK_API_KEY") is { Length: > 0 } key ? key : null;

    /// <summary>Chat completions decoding at once: the slots of the one continuous batch.</summary>
    public int MaxSessions { get; private set; } = 32;

    /// <summary>Chat requests the admission limiter queues beyond <see cref="MaxSessions"/>.</summary>
    public int MaxChatQueued { get; private set; } = 64;
    /// <summary>--host: the address bound when no URLs are given (loopback by default).</summary>
    public string Host { get; private set; } = "127.0.0.1";
    // 0 by default (continuous batching): under load requests queue while a batch runs and the next batch takes them all,
    // so waiting adds latency without adding batching. Measured on Zen 4 (bench/results/server-zen4.md): 1 client p50
    // 9.0 → 4.1 ms, 64 clients p99 834 → 521 ms against a 5 ms wait.
    /// <summary>--max-wait-ms: how long the first embedding request of a batch waits for company.</summary>
    public TimeSpan MaxWait { get; private set; } = TimeSpan.Zero;
    /// <summary>--token-budget: tokens of one packed embedding pass.</summary>
    public int TokenBudget { get; private set; } = 8192;
    /// <summary>--max-queued: embedding requests admitted and not yet answered.</summary>
    public int MaxQueuedRequests { get; private set; } = 256;
    /// <summary>--max-request-bytes: the request body limit.</summary>
    public long MaxRequestBytes { get; private set; } = 1 << 20;
    /// <summary>--max-inputs: texts per embedding request.</summary>
    public int MaxInputs { get; private set; } = 2048;
    // 256 full-length texts: on 2 vCPUs 256-token texts embed at roughly 1,600 (loaded host) to 6,000 tokens/s, so one
    // request holds its share of the worker for 10–40 s at most; fair scheduling keeps it from holding anyone else up.
    /// <summary>--max-request-tokens: tokens per embedding request.</summary>
    public int MaxRequestTokens { get; private set; } = 65536;
    /// <summary>--drain-seconds: how long admitted requests may still take after SIGTERM.</summary>
    public TimeSpan DrainTime { get; private set; } = TimeSpan.FromSeconds(20);

    /// <summary>
    /// The host's whole shutdown allowance: the drain time, plus room for the batch running when it ends (one packed pass of
    /// the token budget, a few seconds on a loaded host) and for writing the answers, before Kestrel drops connections.
    /// </summary>
    public TimeSpan ShutdownTimeout => DrainTime + TimeSpan.FromSeconds(10);

    /// <summary>Reads the options; returns what is wrong, or null.</summary>
    /// <param name="args">The command line: options, each followed by its value.</param>
    /// <param name="hostOption">The host's own options (which model, which precision): called with an option this class does
    /// not know and its value (null at the end of the line); true when the host took it.</param>
    public string? Parse(string[] args, Func<string, string?, bool>? hostOption = null)
    {
        for (int i = 0; i < args.Length; i++)
        {
            string option = args[i];
            string? value = i + 1 < args.Length ? args[++i] : null;
            bool Number(long min, long max, out long n) =>
                long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out n) && n >= min && n <= max;
            long number;
            switch (option)
            {
                case "--urls" when value is { Length: > 0 }: Urls = value; break;
                case "--api-key" when value is { Length: > 0 }: ApiKey = value; break;
                case "--max-sessions" when Number(1, 256, out number): MaxSessions = (int)number; break;
                case "--max-chat-queued" when Number(0, 1 << 16, out number): MaxChatQueued = (int)number; break;
                case "--port" when Number(1, 65535, out number): Port = (int)number; break;
                case "--host" when value is { Length: > 0 }: Host = value; break;
                case "--max-wait-ms" when Number(0, 10_000, out number): MaxWait = TimeSpan.FromMilliseconds(number); break;
                case "--token-budget" when Number(256, 1 << 20, out number): TokenBudget = (int)number; break;
                case "--max-queued" when Number(1, 1 << 20, out number): MaxQueuedRequests = (int)number; break;
                case "--max-request-bytes" when Number(1024, 1L << 30, out number): MaxRequestBytes = number; break;
                case "--max-inputs" when Number(1, 1 << 20, out number): MaxInputs = (int)number; break;
                case "--max-request-tokens" when Number(16, 1 << 24, out number): MaxRequestTokens = (int)number; break;
                case "--drain-seconds" when Number(0, 3600, out number): DrainTime = TimeSpan.FromSeconds(number); break;
                default:
                    if (hostOption is not null && hostOption(option, value))
                    {
                        break;
                    }
                    return value is null ? $"'{option}' needs a value or is unknown" : $"'{option} {value}' is not a valid option (see --help)";
            }
        }
        return null;
    }
}
