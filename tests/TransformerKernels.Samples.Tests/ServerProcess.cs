using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace TransformerKernels.Samples.Tests;

/// <summary>A server started as its users start it — the sample's executable, or a compiled model's with --serve — on a free loopback port.</summary>
public sealed class ServerProcess : IDisposable
{
    private readonly Process _process;

    public ServerProcess(string cache, params string[] options)
        : this(cache, new Dictionary<string, string?>(), passPort: true, options)
    {
    }

    /// <summary>
    /// A server with <paramref name="environment"/> added to its own; with <paramref name="passPort"/> false the helper does
    /// not pass <c>--port</c>, and the options or environment must make it listen on <see cref="Port"/> (chosen before start).
    /// </summary>
    public ServerProcess(string cache, IDictionary<string, string?> environment, bool passPort, params string[] options)
        : this(Path.Combine(SampleProcess.OutputDirectory("EmbeddingServer"), "embedding-server"), FreePort(), cache, environment, passPort, options)
    {
    }

    /// <summary>The server of <paramref name="executable"/> (its arguments <paramref name="options"/>, then --port).</summary>
    public static ServerProcess Start(string executable, string cache, params string[] options) =>
        new(executable, FreePort(), cache, new Dictionary<string, string?>(), passPort: true, options, portLast: true);

    private ServerProcess(string executable, int port, string cache, IDictionary<string, string?> environment, bool passPort, string[] options, bool portLast = false)
    {
        Port = port;
        var start = new ProcessStartInfo(executable)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        string[] portOption = passPort ? ["--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture)] : [];
        string[] given = [.. options.Select(o => o.Replace("{port}", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal))];
        foreach (string argument in portLast ? [.. given, .. portOption] : (string[])[.. portOption, .. given])
        {
            start.ArgumentList.Add(argument);
        }
        start.Environment["TK_CACHE"] = cache;
        foreach ((string name, string? value) in environment)
        {
            start.Environment[name] = value?.Replace("{port}", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
        }
        _process = Process.Start(start)!;
        _process.OutputDataReceived += (_, e) => { lock (Log) { Log.AppendLine(e.Data); } };
        _process.ErrorDataReceived += (_, e) => { lock (Log) { Log.AppendLine(e.Data); } };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        using var http = new HttpClient();
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (true)
        {
            Assert.False(_process.HasExited, "the server exited: " + Log);
            try
            {
                if (http.GetAsync(BaseAddress + "health").Result.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (AggregateException e) when (e.InnerException is HttpRequestException)
            {
            }
            Assert.True(DateTime.UtcNow < deadline, "the server did not answer /health within two minutes: " + Log);
            Thread.Sleep(100);
        }
    }

    public int Port { get; }

    public Uri BaseAddress => new($"http://127.0.0.1:{Port}/");

    public System.Text.StringBuilder Log { get; } = new();

    public Process Process => _process;

    /// <summary>GET /health: the batcher's counters (requests, batches, queued, embedded_tokens, abandoned_requests).</summary>
    public async Task<System.Text.Json.JsonElement> HealthAsync()
    {
        using var http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        using var health = System.Text.Json.JsonDocument.Parse(await http.GetStringAsync("health"));
        return health.RootElement.Clone();
    }

    /// <summary>Polls /health until <paramref name="condition"/> holds; fails the test after <paramref name="limit"/>.</summary>
    public async Task<System.Text.Json.JsonElement> WaitForHealthAsync(Func<System.Text.Json.JsonElement, bool> condition, TimeSpan limit, string what)
    {
        var deadline = DateTime.UtcNow + limit;
        while (true)
        {
            System.Text.Json.JsonElement health = await HealthAsync();
            if (condition(health))
            {
                return health;
            }
            Assert.True(DateTime.UtcNow < deadline, $"{what}: not seen within {limit.TotalSeconds} s (last /health: {health})");
            await Task.Delay(50);
        }
    }

    /// <summary>Asks the server to stop as a service manager does (SIGTERM).</summary>
    public void Terminate() => Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!.WaitForExit();

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }
        _process.Dispose();
    }
}
