using System.Net;
using System.Text;
using System.Text.Json;

namespace TransformerKernels.Samples.Tests;

/// <summary>
/// Requests that keep the worker busy for seconds — shutdown in the middle of one, fairness to small requests, clients
/// that give up, failures beyond the admission bound — each on a server of its own.
/// </summary>
public sealed class EmbeddingServerLongWorkTests : IDisposable
{
    /// <summary>"!" × 300 is 300 punctuation tokens, truncated to MaxSeqLen: 256 with [CLS] and [SEP].</summary>
    private static readonly string LongText = new('!', 300);

    private const int LongTextTokens = 256;

    private readonly string _cache = Directory.CreateTempSubdirectory("tk-server-long").FullName;

    public void Dispose() => Directory.Delete(_cache, recursive: true);

    private static StringContent Json(object body) => new(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json");

    private static HttpClient Http(ServerProcess server) => new() { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromMinutes(3) };

    private static string[] LongTexts(int count) => [.. Enumerable.Repeat(LongText, count)];

    [Fact]
    public async Task SigtermDuringALongBatchAnswersEveryAdmittedRequestAndExitsZero()
    {
        // The review's case: 1,024 texts of 256 tokens (262,144 tokens, far more than a drain of 3 s can embed), SIGTERM 2 s
        // after it was admitted. Disposing the embedder under a running GEMM was an access violation (exit 134, no answer).
        using var server = new ServerProcess(_cache, "--max-request-tokens", "262144", "--drain-seconds", "3");
        using HttpClient http = Http(server);
        Task<HttpResponseMessage> large = http.PostAsync("v1/embeddings", Json(new { input = LongTexts(1024) }));
        await server.WaitForHealthAsync(h => h.GetProperty("queued").GetInt32() == 1, TimeSpan.FromSeconds(60), "the large request admitted");
        Task<HttpResponseMessage> small = http.PostAsync("v1/embeddings", Json(new { input = "admitted just before SIGTERM" }));
        await Task.Delay(2000);
        server.Terminate();
        HttpResponseMessage[] answers = await Task.WhenAll(large, small).WaitAsync(TimeSpan.FromSeconds(90));
        foreach (HttpResponseMessage answer in answers)
        {
            string body = await answer.Content.ReadAsStringAsync();
            Assert.True(answer.StatusCode is HttpStatusCode.OK or HttpStatusCode.ServiceUnavailable, $"{(int)answer.StatusCode}: {body}");
            if (answer.StatusCode == HttpStatusCode.ServiceUnavailable)
            {
                Assert.Contains("server_shutting_down", body);
                Assert.NotNull(answer.Headers.RetryAfter);
            }
        }
        Assert.Equal(HttpStatusCode.ServiceUnavailable, answers[0].StatusCode); // 1,024 long texts cannot be done in 5 s
        Assert.True(server.Process.WaitForExit(TimeSpan.FromSeconds(60)), "the server did not exit after SIGTERM");
        Assert.True(server.Process.ExitCode == 0, $"exit code {server.Process.ExitCode}:\n{server.Log}");
    }

    [Fact]
    public async Task ATinyRequestIsAnsweredWhileALargeOneRuns()
    {
        // 64 long texts over batches of 1,024 tokens: 16 batches. The tiny request must join one of them, not wait for all.
        using var server = new ServerProcess(_cache, "--token-budget", "1024");
        using HttpClient http = Http(server);
        Task<HttpResponseMessage> large = http.PostAsync("v1/embeddings", Json(new { input = LongTexts(64) }));
        await server.WaitForHealthAsync(h => h.GetProperty("embedded_tokens").GetInt64() > 0, TimeSpan.FromSeconds(60), "the large request started");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        using HttpResponseMessage tiny = await http.PostAsync("v1/embeddings", Json(new { input = "tiny" }));
        TimeSpan tinyLatency = clock.Elapsed;
        bool largeAnswered = large.IsCompleted;
        // Computation, not the answers' arrival, decides: a server that embeds all of the large request first still sends
        // the tiny answer before the large one's 1.5 MB of JSON has been written.
        long embedded = (await server.HealthAsync()).GetProperty("embedded_tokens").GetInt64();
        Assert.Equal(HttpStatusCode.OK, tiny.StatusCode);
        Assert.False(largeAnswered, "the large request was answered before the tiny one sent after it started");
        Assert.True(embedded < 64 * LongTextTokens, $"the tiny request was answered after {tinyLatency.TotalMilliseconds:F0} ms, once the large one was fully embedded ({embedded} tokens)");
        using HttpResponseMessage answer = await large;
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        TimeSpan largeRest = clock.Elapsed;
        Assert.True(largeRest > 2 * tinyLatency, $"tiny answered after {tinyLatency.TotalMilliseconds:F0} ms, the large one {largeRest.TotalMilliseconds:F0} ms after the tiny was sent");
        using JsonDocument body = JsonDocument.Parse(await answer.Content.ReadAsStringAsync());
        Assert.Equal(64, body.RootElement.GetProperty("data").GetArrayLength());
        Assert.Equal(64 * LongTextTokens, body.RootElement.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
    }

    [Fact]
    public async Task AnAbandonedRequestsRemainingTextsAreNotEmbedded()
    {
        // One long text per batch: 64 batches for the request, each a chance to notice that its client left.
        using var server = new ServerProcess(_cache, "--token-budget", "256");
        using HttpClient http = Http(server);
        using var giveUp = new CancellationTokenSource();
        Task<HttpResponseMessage> abandoned = http.PostAsync("v1/embeddings", Json(new { input = LongTexts(64) }), giveUp.Token);
        JsonElement started = await server.WaitForHealthAsync(h => h.GetProperty("embedded_tokens").GetInt64() >= 2 * LongTextTokens, TimeSpan.FromSeconds(60), "two batches embedded");
        giveUp.Cancel(); // as curl -m: the client closes the connection
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => abandoned);
        long atCancel = started.GetProperty("embedded_tokens").GetInt64();
        JsonElement after = await server.WaitForHealthAsync(h => h.GetProperty("queued").GetInt32() == 0, TimeSpan.FromSeconds(60), "the abandoned request dropped");
        await Task.Delay(500);
        JsonElement settled = await server.HealthAsync();
        Assert.Equal(1, settled.GetProperty("abandoned_requests").GetInt64());
        long embedded = settled.GetProperty("embedded_tokens").GetInt64();
        Assert.Equal(after.GetProperty("embedded_tokens").GetInt64(), embedded); // nothing computed once it was dropped
        // Between the health reading and the drop: the batch running then, the one the disconnect may arrive too late for,
        // and polling slack — a handful of batches, against the 62 a worker ignoring the disconnect computes.
        Assert.True(embedded - atCancel <= 8 * LongTextTokens, $"{embedded - atCancel} tokens embedded after the client left (at cancel {atCancel}, of {64 * LongTextTokens})");
        using HttpResponseMessage next = await http.PostAsync("v1/embeddings", Json(new { input = "still serving" }));
        Assert.Equal(HttpStatusCode.OK, next.StatusCode);
    }

    [Fact]
    public async Task FailingRequestsBeyondMaxQueuedLeaveTheServerServing()
    {
        // Two admission slots; more than twice that many requests fail in every way a request can, and two clients give up.
        using var server = new ServerProcess(_cache, "--max-queued", "2", "--token-budget", "256", "--max-request-tokens", "4096");
        using HttpClient http = Http(server);
        object[] failing =
        [
            new { input = "hello \ufffe world" }, new { input = "\0\0\0" }, new { input = new[] { "ok", "   " } },
            new { input = LongTexts(17) }, new { input = 5 }, new { input = "x", model = "other" },
        ];
        HttpResponseMessage[] failed = await Task.WhenAll(Enumerable.Range(0, 4).SelectMany(_ => failing).Select(body => http.PostAsync("v1/embeddings", Json(body))));
        Assert.All(failed, r => Assert.True((int)r.StatusCode is 200 or 400 or 404 or 503, $"{(int)r.StatusCode}"));
        for (int i = 0; i < 2; i++)
        {
            using var giveUp = new CancellationTokenSource();
            Task<HttpResponseMessage> abandoned = http.PostAsync("v1/embeddings", Json(new { input = LongTexts(16) }), giveUp.Token);
            await server.WaitForHealthAsync(h => h.GetProperty("embedded_tokens").GetInt64() > 0 && h.GetProperty("queued").GetInt32() == 1, TimeSpan.FromSeconds(60), "a long request running");
            giveUp.Cancel();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => abandoned);
            await server.WaitForHealthAsync(h => h.GetProperty("queued").GetInt32() == 0, TimeSpan.FromSeconds(60), "the abandoned request's slot released");
        }
        HttpResponseMessage[] good = await Task.WhenAll(Enumerable.Range(0, 2).Select(i => http.PostAsync("v1/embeddings", Json(new { input = $"good request {i}" }))));
        Assert.All(good, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.Equal(0, (await server.HealthAsync()).GetProperty("queued").GetInt32());
    }
}
