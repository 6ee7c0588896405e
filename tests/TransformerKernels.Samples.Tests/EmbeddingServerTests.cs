using System.ClientModel;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.AI;
using OpenAI;
using OpenAI.Embeddings;
using TransformerKernels.MiniLM;

namespace TransformerKernels.Samples.Tests;

/// <summary>One server (and its cache) shared by the tests that need no special options.</summary>
public sealed class ServerFixture : IDisposable
{
    public string Cache { get; } = Directory.CreateTempSubdirectory("tk-server").FullName;

    public ServerProcess Server { get; }

    public SentenceEmbedder InProcess { get; }

    public ServerFixture()
    {
        Server = new ServerProcess(Cache, "--max-wait-ms", "20");
        // The same files the server converted, embedded in this process: the reference for its answers.
        InProcess = new SentenceEmbedder((Path.Combine(Cache, "all-MiniLM-L6-v2.safetensors"), Path.Combine(Cache, "all-MiniLM-L6-v2.vocab.txt")));
    }

    public void Dispose()
    {
        Server.Dispose();
        InProcess.Dispose();
        Directory.Delete(Cache, recursive: true);
    }
}

/// <summary>
/// samples/EmbeddingServer end to end on loopback, through clients nobody here wrote (the official OpenAI package's
/// EmbeddingClient and Microsoft.Extensions.AI.OpenAI's IEmbeddingGenerator) and raw HTTP for the error cases.
/// </summary>
public sealed class EmbeddingServerTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private static readonly string[] Texts = ["A man is eating food.", "A man eats.", "The sky is blue.", "Café au lait, naïve résumé"];

    private OpenAIClient Client => new(new ApiKeyCredential("unused"), new OpenAIClientOptions { Endpoint = new Uri(fixture.Server.BaseAddress, "v1") });

    [Fact]
    public async Task TheOpenAiEmbeddingClientGetsTheInProcessEmbeddings()
    {
        EmbeddingClient client = Client.GetEmbeddingClient("all-MiniLM-L6-v2");
        OpenAIEmbedding single = await client.GenerateEmbeddingAsync(Texts[0]);
        Assert.Equal(fixture.InProcess.Embed([Texts[0]])[0], single.ToFloats().ToArray());
        OpenAIEmbeddingCollection many = await client.GenerateEmbeddingsAsync(Texts);
        float[][] expected = fixture.InProcess.Embed(Texts);
        Assert.Equal(Texts.Length, many.Count);
        for (int i = 0; i < Texts.Length; i++)
        {
            Assert.Equal(i, many[i].Index);
            Assert.Equal(expected[i], many[i].ToFloats().ToArray());
        }
    }

    [Fact]
    public async Task TheMicrosoftExtensionsAiGeneratorGetsTheInProcessEmbeddings()
    {
        IEmbeddingGenerator<string, Embedding<float>> generator = Client.GetEmbeddingClient("all-MiniLM-L6-v2").AsIEmbeddingGenerator();
        GeneratedEmbeddings<Embedding<float>> embeddings = await generator.GenerateAsync(Texts);
        float[][] expected = fixture.InProcess.Embed(Texts);
        for (int i = 0; i < Texts.Length; i++)
        {
            Assert.Equal(expected[i], embeddings[i].Vector.ToArray());
        }
        Assert.True(embeddings.Usage?.InputTokenCount > Texts.Length * 2, "usage counts the tokens");
    }

    [Fact]
    public async Task Base64IsTheFloatsLittleEndianBytes()
    {
        using var http = new HttpClient { BaseAddress = fixture.Server.BaseAddress };
        using HttpResponseMessage response = await http.PostAsJsonAsync("v1/embeddings", new { input = Texts[1], encoding_format = "base64" });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using JsonDocument body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        byte[] bytes = Convert.FromBase64String(body.RootElement.GetProperty("data")[0].GetProperty("embedding").GetString()!);
        Assert.Equal(fixture.InProcess.Embed([Texts[1]])[0], System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(bytes).ToArray());
    }

    public static TheoryData<string, int, string?> BadRequests => new()
    {
        { """{"input": "x", "dimensions": 128}""", 400, "dimensions" },
        { """{"input": "x", "encoding_format": "int8"}""", 400, "encoding_format" },
        { """{"input": "x", "temperature": 1}""", 400, "temperature" },
        { """{"input": "x", "model": "text-embedding-3-small"}""", 404, "model" },
        { """{"input": ""}""", 400, "input" },
        { """{"input": []}""", 400, "input" },
        { """{"input": [1, 2, 3]}""", 400, "input" },
        { """{"input": 5}""", 400, "input" },
        { """{"input": "x" """, 400, null },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task BadRequestsGetOpenAiStyleErrors(string body, int status, string? param)
    {
        using var http = new HttpClient { BaseAddress = fixture.Server.BaseAddress };
        using HttpResponseMessage response = await http.PostAsync("v1/embeddings", new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.Equal(status, (int)response.StatusCode);
        using JsonDocument error = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        JsonElement detail = error.RootElement.GetProperty("error");
        Assert.False(string.IsNullOrWhiteSpace(detail.GetProperty("message").GetString()));
        Assert.Equal("invalid_request_error", detail.GetProperty("type").GetString());
        Assert.Equal(param, detail.GetProperty("param").GetString());
    }

    [Fact]
    public async Task ABodyOverTheLimitIs413()
    {
        using var http = new HttpClient { BaseAddress = fixture.Server.BaseAddress };
        // Expect: 100-continue, as clients send large bodies: the server answers 413 from the declared length without
        // reading the body, and the client never writes into a connection the server has already closed (without it the
        // answer races the upload and the client may see a broken pipe instead of the 413).
        http.DefaultRequestHeaders.ExpectContinue = true;
        string huge = JsonSerializer.Serialize(new { input = new string('x', 2 << 20) });
        using HttpResponseMessage response = await http.PostAsync("v1/embeddings", new StringContent(huge, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }

    [Fact]
    public async Task ConcurrentRequestsAreCoalescedIntoFewerBatchesAndAnsweredCorrectly()
    {
        using var http = new HttpClient { BaseAddress = fixture.Server.BaseAddress };
        long batchesBefore = (await Health(http)).GetProperty("batches").GetInt64();
        string[] texts = [.. Enumerable.Range(0, 24).Select(i => $"request {i}: {Texts[i % Texts.Length]}")];
        float[][] expected = fixture.InProcess.Embed(texts);
        EmbeddingClient client = Client.GetEmbeddingClient("all-MiniLM-L6-v2");
        OpenAIEmbedding[] answers = await Task.WhenAll(texts.Select(async t => (OpenAIEmbedding)await client.GenerateEmbeddingAsync(t)));
        for (int i = 0; i < texts.Length; i++)
        {
            Assert.Equal(expected[i], answers[i].ToFloats().ToArray());
        }
        long batches = (await Health(http)).GetProperty("batches").GetInt64() - batchesBefore;
        Assert.True(batches < texts.Length, $"{texts.Length} concurrent requests took {batches} batches: none were coalesced");
    }

    private static StringContent Json(object body) => new(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json");

    /// <summary>An error answer: the status, and OpenAI's envelope with a message, an error type and the field named.</summary>
    private static async Task AssertError(HttpResponseMessage response, int status, string? param, string? messageNames = null)
    {
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(status == (int)response.StatusCode, $"expected {status}, got {(int)response.StatusCode}: {body}");
        using JsonDocument error = JsonDocument.Parse(body);
        JsonElement detail = error.RootElement.GetProperty("error");
        string message = detail.GetProperty("message").GetString()!;
        Assert.False(string.IsNullOrWhiteSpace(message));
        Assert.Equal(status >= 500 ? "server_error" : "invalid_request_error", detail.GetProperty("type").GetString());
        Assert.Equal(param, detail.GetProperty("param").GetString());
        if (messageNames is not null)
        {
            Assert.Contains($"'{messageNames}'", message);
        }
    }

    [Fact]
    public async Task AnUntokenizableTextFailsOnlyItsOwnRequest()
    {
        // U+FFFE made string.Normalize throw inside the shared batch: every request batched with it got an empty 500.
        using var http = new HttpClient { BaseAddress = fixture.Server.BaseAddress };
        string[] good = [.. Enumerable.Range(0, 8).Select(i => $"client {i}: {Texts[i % Texts.Length]}")];
        float[][] expected = fixture.InProcess.Embed(good);
        async Task<(int Client, HttpResponseMessage Response)[]> Client(int client, object body) =>
            [.. await Task.WhenAll(Enumerable.Range(0, 6).Select(async _ => (client, await http.PostAsync("v1/embeddings", Json(body)))))];
        var clients = Enumerable.Range(0, 8).Select(i => Client(i, new { input = good[i] })).Append(Client(-1, new { input = "hello \ufffe world" }));
        (int Client, HttpResponseMessage Response)[] answers = [.. (await Task.WhenAll(clients)).SelectMany(a => a)];
        foreach ((int client, HttpResponseMessage response) in answers.Where(a => a.Client >= 0))
        {
            string body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"good client {client} got {(int)response.StatusCode}: '{body}'");
            using JsonDocument json = JsonDocument.Parse(body);
            float[] embedding = [.. json.RootElement.GetProperty("data")[0].GetProperty("embedding").EnumerateArray().Select(v => v.GetSingle())];
            Assert.Equal(expected[client], embedding);
        }
        foreach ((_, HttpResponseMessage response) in answers.Where(a => a.Client < 0))
        {
            // Refused by the tokenizer (400 naming input) or, once the BERT clean-up drops U+FFFE, embedded: never a 5xx.
            if (response.StatusCode != HttpStatusCode.OK)
            {
                await AssertError(response, 400, "input", "input");
            }
        }
    }

    public static TheoryData<string, string> InvalidStrings => new()
    {
        // A JSON body (or "hex:" and its bytes, where it is not valid UTF-8), and the field the error must name.
        { """{"input": "\ud800"}""", "input" },
        { """{"input": ["fine", "x\udc00y"]}""", "input[1]" },
        { """{"input": "x", "model": "\ud800"}""", "model" },
        { "hex:" + Convert.ToHexString(Encoding.UTF8.GetBytes("""{"input": "a""")) + "FFFE" + Convert.ToHexString(Encoding.UTF8.GetBytes("\"}")), "input" },
        { "hex:" + Convert.ToHexString(Encoding.UTF8.GetBytes("""{"input": ["ok", "b""")) + "C328" + Convert.ToHexString(Encoding.UTF8.GetBytes("\"]}")), "input[1]" },
    };

    [Theory]
    [MemberData(nameof(InvalidStrings))]
    public async Task InvalidTextIs400NamingTheFieldAndNoCrashIsLogged(string body, string named)
    {
        using var http = new HttpClient { BaseAddress = fixture.Server.BaseAddress };
        byte[] bytes = body.StartsWith("hex:", StringComparison.Ordinal) ? Convert.FromHexString(body[4..]) : Encoding.UTF8.GetBytes(body);
        using var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        using HttpResponseMessage response = await http.PostAsync("v1/embeddings", content);
        await AssertError(response, 400, named == "model" ? "model" : "input", named);
        AssertNoCrashLogged();
    }

    [Fact]
    public async Task AStalledBodyIs408()
    {
        // The client announces 1000 bytes and sends 14: Kestrel's minimum body data rate (240 B/s after a 5 s grace) ends it.
        using var client = new System.Net.Sockets.TcpClient();
        await client.ConnectAsync(System.Net.IPAddress.Loopback, fixture.Server.Port);
        using System.Net.Sockets.NetworkStream stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes("POST /v1/embeddings HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"input\": \"abc"));
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var answer = new StringBuilder();
        var buffer = new byte[4096];
        while (!answer.ToString().Contains('}'))
        {
            int read = await stream.ReadAsync(buffer, limit.Token);
            if (read == 0)
            {
                break;
            }
            answer.Append(Encoding.UTF8.GetString(buffer, 0, read));
        }
        string response = answer.ToString();
        Assert.StartsWith("HTTP/1.1 408", response);
        Assert.Contains("request_timeout", response);
        AssertNoCrashLogged();
    }

    public static TheoryData<string> EmptyLookingTexts => ["\0\0\0", "\u0001\u0002", "   ", "\t\n", "\ufffd", "\u200b\u00ad"];

    [Theory]
    [MemberData(nameof(EmptyLookingTexts))]
    public async Task TextsWithoutTokensBesidesClsAndSepAre400(string text)
    {
        Assert.True(fixture.InProcess.IsEmpty(text), "the predicate the server applies calls this text empty");
        using var http = new HttpClient { BaseAddress = fixture.Server.BaseAddress };
        using HttpResponseMessage alone = await http.PostAsync("v1/embeddings", Json(new { input = text }));
        await AssertError(alone, 400, "input", "input");
        using HttpResponseMessage second = await http.PostAsync("v1/embeddings", Json(new { input = new[] { "fine", text } }));
        await AssertError(second, 400, "input", "input[1]");
    }

    /// <summary>tests/TransformerKernels.MiniLM.Tests/Data/tokenizer_cases.json: the ids an independent Python WordPiece gave.</summary>
    private static (string Text, int Tokens)[] ReferenceCases()
    {
        string samples = typeof(EmbeddingServerTests).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyMetadataAttribute), false)
            .Cast<System.Reflection.AssemblyMetadataAttribute>().Single(a => a.Key == "SamplesRoot").Value!;
        string path = Path.Combine(samples, "..", "tests", "TransformerKernels.MiniLM.Tests", "Data", "tokenizer_cases.json");
        using JsonDocument cases = JsonDocument.Parse(File.ReadAllText(path));
        return [.. cases.RootElement.GetProperty("cases").EnumerateArray().Select(c => (c.GetProperty("text").GetString()!, c.GetProperty("ids").GetArrayLength()))];
    }

    [Fact]
    public async Task UsageCountsTheTokensOfAnIndependentTokenizer()
    {
        (string Text, int Tokens)[] cases = ReferenceCases();
        Assert.True(cases.Length >= 10, $"only {cases.Length} reference cases");
        using var http = new HttpClient { BaseAddress = fixture.Server.BaseAddress };
        async Task<int> PromptTokens(object input)
        {
            using HttpResponseMessage response = await http.PostAsync("v1/embeddings", Json(new { input }));
            string body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, body);
            using JsonDocument json = JsonDocument.Parse(body);
            JsonElement usage = json.RootElement.GetProperty("usage");
            Assert.Equal(usage.GetProperty("prompt_tokens").GetInt32(), usage.GetProperty("total_tokens").GetInt32());
            return usage.GetProperty("prompt_tokens").GetInt32();
        }
        foreach ((string text, int tokens) in cases)
        {
            Assert.True(tokens == await PromptTokens(text), $"usage of {JsonSerializer.Serialize(text)}: the reference has {tokens} tokens with [CLS] and [SEP]");
        }
        Assert.Equal(cases.Sum(c => c.Tokens), await PromptTokens(cases.Select(c => c.Text).ToArray()));
    }

    /// <summary>A stack trace or an unhandled-exception report in the server's output means a request crashed its handler.</summary>
    private void AssertNoCrashLogged()
    {
        string log;
        lock (fixture.Server.Log)
        {
            log = fixture.Server.Log.ToString();
        }
        Assert.False(log.Contains("   at ", StringComparison.Ordinal) || log.Contains("fail:", StringComparison.Ordinal), "the server logged a failure:\n" + log);
    }

    private static async Task<JsonElement> Health(HttpClient http) => JsonDocument.Parse(await http.GetStringAsync("health")).RootElement.Clone();
}

/// <summary>Overload and shutdown, each on a server of its own.</summary>
public sealed class EmbeddingServerLimitsTests : IDisposable
{
    private readonly string _cache = Directory.CreateTempSubdirectory("tk-server-limits").FullName;

    public void Dispose() => Directory.Delete(_cache, recursive: true);

    private static Task<HttpResponseMessage> Post(HttpClient http, string text) =>
        http.PostAsync("v1/embeddings", new StringContent(JsonSerializer.Serialize(new { input = text }), Encoding.UTF8, "application/json"));

    [Fact]
    public async Task AFullQueueAnswers503WithRetryAfterInsteadOfGrowing()
    {
        // Two requests may wait; each batch waits 1.5 s for company, so twelve at once overflow the queue.
        using var server = new ServerProcess(_cache, "--max-queued", "2", "--max-wait-ms", "1500");
        using var http = new HttpClient { BaseAddress = server.BaseAddress };
        HttpResponseMessage[] responses = await Task.WhenAll(Enumerable.Range(0, 12).Select(i => Post(http, $"text {i}")));
        int ok = responses.Count(r => r.StatusCode == HttpStatusCode.OK), busy = responses.Count(r => r.StatusCode == HttpStatusCode.ServiceUnavailable);
        Assert.True(ok >= 1 && busy >= 1 && ok + busy == responses.Length, $"{ok} answered, {busy} refused: {string.Join(", ", responses.Select(r => (int)r.StatusCode))}");
        HttpResponseMessage refused = responses.First(r => r.StatusCode == HttpStatusCode.ServiceUnavailable);
        Assert.NotNull(refused.Headers.RetryAfter);
        Assert.Contains("server_busy", await refused.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task ShutdownAnswersWhatIsQueuedThenExits()
    {
        using var server = new ServerProcess(_cache, "--max-wait-ms", "2000");
        using var http = new HttpClient { BaseAddress = server.BaseAddress };
        Task<HttpResponseMessage>[] queued = [.. Enumerable.Range(0, 4).Select(i => Post(http, $"queued text {i}"))];
        await Task.Delay(500); // admitted, waiting for the batch to fill
        server.Terminate();
        HttpResponseMessage[] responses = await Task.WhenAll(queued);
        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.True(server.Process.WaitForExit(TimeSpan.FromSeconds(30)), "the server did not exit after SIGTERM");
        Assert.Equal(0, server.Process.ExitCode);
    }
}
