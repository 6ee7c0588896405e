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
