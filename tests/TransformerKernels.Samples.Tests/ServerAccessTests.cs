using System.ClientModel;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using OpenAI;
using OpenAI.Chat;

namespace TransformerKernels.Samples.Tests;

/// <summary>
/// How the server is reached and locked down: --api-key (and TK_API_KEY) answering 401 in OpenAI's envelope, /health and
/// /metrics left open; --urls and ASPNETCORE_URLS deciding where it listens, over --port.
/// </summary>
public sealed class ServerAccessTests : IDisposable
{
    private const string Key = "sk-test-4f1c9e";
    private readonly string _cache = Directory.CreateTempSubdirectory("tk-server-access").FullName;

    public void Dispose() => Directory.Delete(_cache, recursive: true);

    private static StringContent Chat() => new("""{"messages": [{"role": "user", "content": "Love is"}], "max_tokens": 4, "temperature": 0}""", Encoding.UTF8, "application/json");

    private static async Task Assert401(HttpResponseMessage response, string code)
    {
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"expected 401, got {(int)response.StatusCode}: {body}");
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
        using JsonDocument error = JsonDocument.Parse(body);
        Assert.Equal(code, error.RootElement.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal("invalid_request_error", error.RootElement.GetProperty("error").GetProperty("type").GetString());
    }

    [Fact]
    public async Task AWrongOrMissingKeyIs401AndTheRightOneServes()
    {
        using var server = new ServerProcess(_cache, "--api-key", Key, "--max-sessions", "2");
        using var http = new HttpClient { BaseAddress = server.BaseAddress };
        using (HttpResponseMessage missing = await http.PostAsync("v1/chat/completions", Chat()))
        {
            await Assert401(missing, "missing_api_key");
        }
        // Wrong in the last character, shorter, longer, empty, and the right key under another scheme.
        (string Header, string Code)[] wrongKeys =
        [
            ("Bearer " + Key[..^1] + "x", "invalid_api_key"), ("Bearer " + Key[..4], "invalid_api_key"), ("Bearer " + Key + Key, "invalid_api_key"),
            ("Bearer x", "invalid_api_key"), ("Bearer", "missing_api_key"), ("Basic " + Key, "missing_api_key"),
        ];
        foreach ((string header, string code) in wrongKeys)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "v1/embeddings") { Content = new StringContent("""{"input": "x"}""", Encoding.UTF8, "application/json") };
            request.Headers.TryAddWithoutValidation("Authorization", header);
            using HttpResponseMessage wrong = await http.SendAsync(request);
            await Assert401(wrong, code);
        }
        using (HttpResponseMessage models = await http.GetAsync("v1/models"))
        {
            await Assert401(models, "missing_api_key");
        }
        // Open: the health check and the metrics (for load balancers and scrapers inside the deployment).
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("health")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("metrics")).StatusCode);
        ChatClient client = new OpenAIClient(new ApiKeyCredential(Key), new OpenAIClientOptions { Endpoint = new Uri(server.BaseAddress, "v1") }).GetChatClient("fortune-llama");
        ChatCompletion completion = await client.CompleteChatAsync([new UserChatMessage("Love is")], new ChatCompletionOptions { Temperature = 0, MaxOutputTokenCount = 4 });
        Assert.Equal(4, completion.Usage.OutputTokenCount);
        string metrics = await http.GetStringAsync("metrics");
        Assert.Contains("tk_http_requests_total{route=\"/v1/chat/completions\",status=\"401\"} 1", metrics);
    }

    [Fact]
    public async Task TheKeyMayComeFromTheEnvironment()
    {
        using var server = new ServerProcess(_cache, new Dictionary<string, string?> { ["TK_API_KEY"] = Key }, passPort: true, "--chat-model", "none");
        using var http = new HttpClient { BaseAddress = server.BaseAddress };
        using HttpResponseMessage refused = await http.PostAsync("v1/embeddings", new StringContent("""{"input": "x"}""", Encoding.UTF8, "application/json"));
        await Assert401(refused, "missing_api_key");
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Key);
        using HttpResponseMessage served = await http.PostAsync("v1/embeddings", new StringContent("""{"input": "x"}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        // --chat-model none: no chat endpoint, said in OpenAI's envelope.
        using HttpResponseMessage noChat = await http.PostAsync("v1/chat/completions", Chat());
        Assert.Equal(HttpStatusCode.NotFound, noChat.StatusCode);
    }

    [Fact]
    public async Task UrlsOverrideThePort()
    {
        int other = ServerProcess.FreePort();
        // --port names another port; --urls wins (the helper waits for /health on the URL's port).
        using (var server = new ServerProcess(_cache, new Dictionary<string, string?>(), passPort: false,
                   "--port", other.ToString(System.Globalization.CultureInfo.InvariantCulture), "--urls", "http://127.0.0.1:{port}", "--chat-model", "none"))
        {
            Assert.Contains($"listening on http://127.0.0.1:{server.Port}", server.Log.ToString());
        }
        using (var server = new ServerProcess(_cache, new Dictionary<string, string?> { ["ASPNETCORE_URLS"] = "http://127.0.0.1:{port}" }, passPort: false, "--chat-model", "none"))
        {
            using var http = new HttpClient { BaseAddress = server.BaseAddress };
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("v1/models")).StatusCode);
        }
    }
}
