using System.ClientModel;
using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.AI;
using OpenAI;
using OpenAI.Chat;
using TransformerKernels.Fortunes;
using ChatFinishReason = OpenAI.Chat.ChatFinishReason;
using ChatMessage = OpenAI.Chat.ChatMessage;

namespace TransformerKernels.Samples.Tests;

/// <summary>
/// A server with the chat model, and the same fortune model in this process: the reference for its answers. The server's
/// documented prompt for a model without a chat template (src/TransformerKernels.Server/Chat/ServedChatModel.cs) is &lt;s&gt; then the messages' contents joined by
/// newlines; the reference builds that text itself and decodes with <see cref="TokenGenerator"/>.
/// </summary>
public sealed class ChatServerFixture : IDisposable
{
    public string Cache { get; } = Directory.CreateTempSubdirectory("tk-chat-server").FullName;

    public ServerProcess Server { get; }

    public FortuneTokenizer Tokenizer { get; } = FortuneFiles.LoadTokenizer();

    private readonly FortuneLlama _model = FortuneFiles.LoadLlama(maxBatch: 1);
    private readonly TokenGenerator _generator;

    public ChatServerFixture()
    {
        Server = new ServerProcess(Cache, "--max-sessions", "8");
        _generator = new TokenGenerator(_model);
    }

    /// <summary>What the model continues <paramref name="promptText"/> with in this process: the tokens and their text.</summary>
    public (int[] Tokens, string Text) InProcess(string promptText, int maxTokens, float temperature = 0, int? seed = null)
    {
        int[] prompt = Tokenizer.Encode(promptText);
        var output = new int[maxTokens];
        int count = _generator.Generate(prompt, output, new GenerationOptions
        {
            MaxNewTokens = maxTokens, Temperature = temperature, Seed = seed, StopTokens = [Tokenizer.EndOfSentence],
        });
        return (output[..count], Tokenizer.Decode(output[..count]));
    }

    public int PromptTokens(string promptText) => Tokenizer.Encode(promptText).Length;

    public void Dispose()
    {
        Server.Dispose();
        _generator.Dispose();
        _model.Dispose();
        Directory.Delete(Cache, recursive: true);
    }
}

/// <summary>
/// samples/EmbeddingServer's chat completions end to end on loopback, through the official OpenAI package's ChatClient and
/// Microsoft.Extensions.AI.OpenAI's IChatClient (streaming and not), compared with the in-process generation of the same
/// prompt; raw HTTP for the error cases, the models list, the metrics and a client that goes away mid-stream.
/// </summary>
public sealed class ChatServerTests(ChatServerFixture fixture) : IClassFixture<ChatServerFixture>
{
    private static readonly string[] Prompts = ["A man is known by", "The early bird", "Never trust a", "Love is", "If you can read this", "Today"];

    private ChatClient Client => new OpenAIClient(new ApiKeyCredential("unused"), new OpenAIClientOptions { Endpoint = new Uri(fixture.Server.BaseAddress, "v1") })
        .GetChatClient("fortune-llama");

    private HttpClient Http => new() { BaseAddress = fixture.Server.BaseAddress, Timeout = TimeSpan.FromMinutes(2) };

    [Fact]
    public async Task TheOpenAiChatClientGetsTheInProcessGreedyText()
    {
        foreach (string prompt in Prompts)
        {
            (int[] tokens, string expected) = fixture.InProcess(prompt, 40);
            ChatCompletion completion = await Client.CompleteChatAsync([new UserChatMessage(prompt)], new ChatCompletionOptions { Temperature = 0, MaxOutputTokenCount = 40 });
            Assert.Equal(expected, completion.Content[0].Text);
            Assert.Equal(tokens.Length == 40 ? ChatFinishReason.Length : ChatFinishReason.Stop, completion.FinishReason);
            Assert.Equal(fixture.PromptTokens(prompt), completion.Usage.InputTokenCount);
            Assert.Equal(tokens.Length, completion.Usage.OutputTokenCount);
        }
    }

    [Fact]
    public async Task SystemAndUserContentsAreJoinedByANewline()
    {
        (_, string expected) = fixture.InProcess("Be wise.\nA fool and his money", 30);
        ChatCompletion completion = await Client.CompleteChatAsync([new SystemChatMessage("Be wise."), new UserChatMessage("A fool and his money")],
            new ChatCompletionOptions { Temperature = 0, MaxOutputTokenCount = 30 });
        Assert.Equal(expected, completion.Content[0].Text);
    }

    [Fact]
    public async Task TheOpenAiChatClientStreamsTheInProcessGreedyText()
    {
        foreach (string prompt in Prompts[..3])
        {
            (int[] tokens, string expected) = fixture.InProcess(prompt, 40);
            var text = new StringBuilder();
            ChatFinishReason? finish = null;
            ChatTokenUsage? usage = null;
            int chunks = 0;
            await foreach (StreamingChatCompletionUpdate update in Client.CompleteChatStreamingAsync([new UserChatMessage(prompt)],
                               new ChatCompletionOptions { Temperature = 0, MaxOutputTokenCount = 40 }))
            {
                foreach (ChatMessageContentPart part in update.ContentUpdate)
                {
                    text.Append(part.Text);
                    chunks++;
                }
                finish ??= update.FinishReason;
                usage ??= update.Usage;
            }
            Assert.Equal(expected, text.ToString());
            Assert.True(chunks > 1, $"'{expected}' arrived in {chunks} chunk(s): not streamed");
            Assert.Equal(tokens.Length == 40 ? ChatFinishReason.Length : ChatFinishReason.Stop, finish);
            Assert.NotNull(usage); // the OpenAI client asks for it (stream_options.include_usage)
            Assert.Equal(tokens.Length, usage.OutputTokenCount);
        }
    }

    [Fact]
    public async Task TheMicrosoftExtensionsAiChatClientGetsTheInProcessText()
    {
        IChatClient chat = Client.AsIChatClient();
        foreach (string prompt in Prompts[3..])
        {
            (_, string expected) = fixture.InProcess(prompt, 32);
            var options = new ChatOptions { Temperature = 0, MaxOutputTokens = 32 };
            ChatResponse response = await chat.GetResponseAsync(prompt, options);
            Assert.Equal(expected, response.Text);
            var streamed = new StringBuilder();
            await foreach (ChatResponseUpdate update in chat.GetStreamingResponseAsync(prompt, options))
            {
                streamed.Append(update.Text);
            }
            Assert.Equal(expected, streamed.ToString());
        }
    }

    [Fact]
    public async Task ConcurrentCompletionsShareStepsAndEachGetsItsSequentialResult()
    {
        // Greedy and seeded-sampled requests of different lengths at once: continuous batching must change none of them.
        var requests = Enumerable.Range(0, 12).Select(i => (Prompt: Prompts[i % Prompts.Length] + (i >= 6 ? " and" : ""), MaxTokens: 8 + 7 * i,
            Temperature: i % 3 == 0 ? 0.9f : 0f, Seed: (int?)(i % 3 == 0 ? 100 + i : null))).ToArray();
        string[] expected = [.. requests.Select(r => fixture.InProcess(r.Prompt, r.MaxTokens, r.Temperature, r.Seed).Text)];
        double stepsWithCompanyBefore = await StepsWithMoreThanOneRowAsync();
        string[] answers = await Task.WhenAll(requests.Select(async r =>
        {
            var options = new ChatCompletionOptions { Temperature = r.Temperature, MaxOutputTokenCount = r.MaxTokens };
#pragma warning disable OPENAI001 // Seed is marked experimental in the OpenAI package
            options.Seed = r.Seed;
#pragma warning restore OPENAI001
            ChatCompletion completion = await Client.CompleteChatAsync([new UserChatMessage(r.Prompt)], options);
            return completion.Content[0].Text;
        }));
        for (int i = 0; i < requests.Length; i++)
        {
            Assert.True(expected[i] == answers[i], $"request {i} ('{requests[i].Prompt}', temperature {requests[i].Temperature}, seed {requests[i].Seed}):\nserver:     '{answers[i]}'\nin process: '{expected[i]}'");
        }
        double stepsWithCompany = await StepsWithMoreThanOneRowAsync() - stepsWithCompanyBefore;
        Assert.True(stepsWithCompany > 0, "no decoding step advanced more than one generation: the requests were not batched");
    }

    /// <summary>Steps that advanced more than one generation, from /metrics' batch-size histogram.</summary>
    private async Task<double> StepsWithMoreThanOneRowAsync()
    {
        string metrics = await Http.GetStringAsync("metrics");
        return Sample(metrics, "tk_chat_batch_size_count") - Sample(metrics, "tk_chat_batch_size_bucket{le=\"1\"}");
    }

    private static double Sample(string metrics, string series)
    {
        string? line = metrics.Split('\n').FirstOrDefault(l => l.StartsWith(series + " ", StringComparison.Ordinal));
        return line is null ? 0 : double.Parse(line[(series.Length + 1)..], System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task AStopStringSplitOverTokensEndsTheTextBeforeIt()
    {
        (int[] tokens, string greedy) = fixture.InProcess("A man is known by", 60);
        // A stop string that spans token boundaries: the text of tokens 8 to 10, without its first character.
        string before = fixture.Tokenizer.Decode(tokens[..8]), through = fixture.Tokenizer.Decode(tokens[..11]);
        string three = through[(before.Length + 1)..];
        Assert.True(three.Length > 3, $"a stop string of several tokens from '{greedy}'");
        string expected = greedy[..greedy.IndexOf(three, StringComparison.Ordinal)];
        var options = new ChatCompletionOptions { Temperature = 0, MaxOutputTokenCount = 60 };
        options.StopSequences.Add("never appears in this text");
        options.StopSequences.Add(three);
        ChatCompletion completion = await Client.CompleteChatAsync([new UserChatMessage("A man is known by")], options);
        Assert.Equal(expected, completion.Content[0].Text);
        Assert.Equal(ChatFinishReason.Stop, completion.FinishReason);
        var streamed = new StringBuilder();
        ChatFinishReason? finish = null;
        await foreach (StreamingChatCompletionUpdate update in Client.CompleteChatStreamingAsync([new UserChatMessage("A man is known by")], options))
        {
            streamed.Append(string.Concat(update.ContentUpdate.Select(p => p.Text)));
            finish ??= update.FinishReason;
        }
        Assert.Equal(expected, streamed.ToString());
        Assert.Equal(ChatFinishReason.Stop, finish);
    }

    public static TheoryData<string, int, string?> BadRequests => new()
    {
        { """{"messages": [{"role": "user", "content": "hi"}], "n": 2}""", 400, "n" },
        { """{"messages": [{"role": "user", "content": "hi"}], "n": "two"}""", 400, "n" },
        { """{"messages": [{"role": "wizard", "content": "hi"}]}""", 400, "messages[0].role" },
        { """{"messages": [{"role": "user", "content": "hi"}, {"role": "tool", "content": "x"}]}""", 400, "messages[1].role" },
        { """{"messages": [{"role": "user"}]}""", 400, "messages[0].content" },
        { """{"messages": [{"role": "user", "content": null}]}""", 400, "messages[0].content" },
        { """{"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x"}}]}]}""", 400, "messages[0].content[0]" },
        { """{"messages": [{"role": "user", "content": "hi", "tool_calls": []}]}""", 400, "messages[0].tool_calls" },
        { """{"messages": []}""", 400, "messages" },
        { """{"model": "fortune-llama"}""", 400, "messages" },
        { """{"messages": "hi"}""", 400, "messages" },
        { """{"messages": [{"role": "user", "content": "hi"}] """, 400, null },
        { """not json""", 400, null },
        { """{"messages": [{"role": "user", "content": "hi"}], "logit_bias": {"1": 5}}""", 400, "logit_bias" },
        { """{"messages": [{"role": "user", "content": "hi"}], "tools": []}""", 400, "tools" },
        { """{"messages": [{"role": "user", "content": "hi"}], "max_tokens": 0}""", 400, "max_tokens" },
        { """{"messages": [{"role": "user", "content": "hi"}], "max_completion_tokens": 300}""", 400, "max_completion_tokens" },
        { """{"messages": [{"role": "user", "content": "hi"}], "max_tokens": 5, "max_completion_tokens": 5}""", 400, "max_tokens" },
        { """{"messages": [{"role": "user", "content": "hi"}], "temperature": 3}""", 400, "temperature" },
        { """{"messages": [{"role": "user", "content": "hi"}], "top_p": 0}""", 400, "top_p" },
        { """{"messages": [{"role": "user", "content": "hi"}], "seed": 99999999999}""", 400, "seed" },
        { """{"messages": [{"role": "user", "content": "hi"}], "stop": ["a", "b", "c", "d", "e"]}""", 400, "stop" },
        { """{"messages": [{"role": "user", "content": "hi"}], "stop": [""]}""", 400, "stop" },
        { """{"messages": [{"role": "user", "content": "hi"}], "stop": 5}""", 400, "stop" },
        { """{"messages": [{"role": "user", "content": "hi"}], "stream_options": {"include_usage": true}}""", 400, "stream_options" },
        { """{"messages": [{"role": "user", "content": "hi"}], "stream": true, "stream_options": {"include_obfuscation": true}}""", 400, "stream_options.include_obfuscation" },
        { """{"messages": [{"role": "user", "content": "\ud800"}]}""", 400, "messages[0].content" },
        { """{"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]}""", 404, "model" },
        { "{\"messages\": [{\"role\": \"user\", \"content\": \"" + string.Join(' ', Enumerable.Repeat("wisdom", 300)) + "\"}]}", 400, "messages" },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task BadRequestsGetOpenAiStyleErrorsNamingTheField(string body, int status, string? param)
    {
        using HttpResponseMessage response = await Http.PostAsync("v1/chat/completions", new StringContent(body, Encoding.UTF8, "application/json"));
        string answer = await response.Content.ReadAsStringAsync();
        Assert.True(status == (int)response.StatusCode, $"expected {status}, got {(int)response.StatusCode}: {answer}");
        using JsonDocument error = JsonDocument.Parse(answer);
        JsonElement detail = error.RootElement.GetProperty("error");
        Assert.False(string.IsNullOrWhiteSpace(detail.GetProperty("message").GetString()));
        Assert.Equal("invalid_request_error", detail.GetProperty("type").GetString());
        Assert.Equal(param, detail.GetProperty("param").GetString());
        AssertNoCrashLogged();
    }

    [Fact]
    public async Task TheLongestConversationThatFitsIsAnsweredAndOneMoreTokenIsNot()
    {
        // Find, with the independent tokenizer, a text whose prompt takes exactly the context less one token.
        string text = "wisdom";
        while (fixture.PromptTokens(text + " wisdom") < 256)
        {
            text += " wisdom";
        }
        int prompt = fixture.PromptTokens(text);
        using HttpResponseMessage fits = await Http.PostAsync("v1/chat/completions", Body(new { messages = new[] { new { role = "user", content = text } }, max_tokens = 256 - prompt, temperature = 0 }));
        Assert.Equal(HttpStatusCode.OK, fits.StatusCode);
        using HttpResponseMessage over = await Http.PostAsync("v1/chat/completions", Body(new { messages = new[] { new { role = "user", content = text } }, max_tokens = 257 - prompt }));
        Assert.Equal(HttpStatusCode.BadRequest, over.StatusCode);
        Assert.Contains("context_length_exceeded", await over.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task TheModelsListNamesBothModels()
    {
        using JsonDocument models = JsonDocument.Parse(await Http.GetStringAsync("v1/models"));
        Assert.Equal("list", models.RootElement.GetProperty("object").GetString());
        string[] ids = [.. models.RootElement.GetProperty("data").EnumerateArray().Select(m => m.GetProperty("id").GetString()!)];
        Assert.Equal(["fortune-llama", "sentence-transformers/all-MiniLM-L6-v2"], ids);
        using HttpResponseMessage one = await Http.GetAsync("v1/models/fortune-llama");
        Assert.Equal(HttpStatusCode.OK, one.StatusCode);
        using HttpResponseMessage missing = await Http.GetAsync("v1/models/gpt-4o");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task MetricsCountTheRequestsAndTokensOfACompletion()
    {
        string before = await Http.GetStringAsync("metrics");
        ChatCompletion completion = await Client.CompleteChatAsync([new UserChatMessage("The early bird")], new ChatCompletionOptions { Temperature = 0, MaxOutputTokenCount = 12 });
        string after = await Http.GetStringAsync("metrics");
        Assert.Contains("# TYPE tk_http_requests_total counter", after);
        Assert.Contains("# TYPE tk_chat_time_to_first_token_seconds histogram", after);
        Assert.Contains("# TYPE tk_chat_live_sessions gauge", after);
        Assert.Contains("tk_chat_queue_depth ", after);
        Assert.Contains("tk_embedding_queue_depth ", after);
        string requests = "tk_http_requests_total{route=\"/v1/chat/completions\",status=\"200\"}";
        Assert.Equal(Sample(before, requests) + 1, Sample(after, requests));
        Assert.Equal(Sample(before, "tk_chat_prompt_tokens_total") + completion.Usage.InputTokenCount, Sample(after, "tk_chat_prompt_tokens_total"));
        Assert.Equal(Sample(before, "tk_chat_completion_tokens_total") + completion.Usage.OutputTokenCount, Sample(after, "tk_chat_completion_tokens_total"));
        Assert.Equal(Sample(before, "tk_chat_time_to_first_token_seconds_count") + 1, Sample(after, "tk_chat_time_to_first_token_seconds_count"));
        Assert.True(Sample(after, "tk_chat_batch_size_count") >= Sample(before, "tk_chat_batch_size_count") + completion.Usage.OutputTokenCount - 1,
            "a decoding step per token after the first");
        string log;
        lock (fixture.Server.Log)
        {
            log = fixture.Server.Log.ToString();
        }
        Assert.Contains($"POST /v1/chat/completions 200", log);
        Assert.Contains($"tokens in {completion.Usage.InputTokenCount}, out {completion.Usage.OutputTokenCount}", log);
    }

    [Fact]
    public async Task AClientThatLeavesMidStreamFreesItsSessionAtOnce()
    {
        // Greedy, this prompt runs to the length limit (checked in process): only the disconnection can end it early.
        (int[] tokens, _) = fixture.InProcess("A man is known by", 240);
        Assert.Equal(240, tokens.Length);
        long abandonedBefore = (await fixture.Server.HealthAsync()).GetProperty("chat").GetProperty("abandoned").GetInt64();
        // No draining of the unread rest on dispose (HttpClient would otherwise read up to 1 MB to reuse the connection).
        using var http = new HttpClient(new SocketsHttpHandler { MaxResponseDrainSize = 0 }) { BaseAddress = fixture.Server.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions")
        {
            Content = Body(new { messages = new[] { new { role = "user", content = "A man is known by" } }, max_tokens = 240, temperature = 0, stream = true }),
        };
        using (HttpResponseMessage response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead))
        {
            Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
            using var events = new StreamReader(await response.Content.ReadAsStreamAsync());
            int contentEvents = 0;
            while (contentEvents < 3 && await events.ReadLineAsync() is { } line)
            {
                contentEvents += line.Contains("\"content\":\"", StringComparison.Ordinal) && !line.Contains("\"content\":\"\"", StringComparison.Ordinal) ? 1 : 0;
            }
            Assert.True(contentEvents == 3, $"{contentEvents} content events before the stream ended; server log:\n{fixture.Server.Log}");
            JsonElement during = await fixture.Server.HealthAsync();
            Assert.True(during.GetProperty("chat").GetProperty("live_sessions").GetInt32() == 1, $"{during}\n{fixture.Server.Log}");
        } // the connection closes here, mid-stream
        JsonElement health = await fixture.Server.WaitForHealthAsync(h => h.GetProperty("chat").GetProperty("live_sessions").GetInt32() == 0, TimeSpan.FromSeconds(10), "the session freed");
        Assert.True(abandonedBefore + 1 == health.GetProperty("chat").GetProperty("abandoned").GetInt64(), $"the generation was not cut short: {health}\n{fixture.Server.Log}");
        Assert.True(health.GetProperty("chat").GetProperty("steps").GetInt64() > 0);
        AssertNoCrashLogged();
    }

    private static StringContent Body(object body) => new(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json");

    private void AssertNoCrashLogged()
    {
        string log;
        lock (fixture.Server.Log)
        {
            log = fixture.Server.Log.ToString();
        }
        Assert.False(log.Contains("   at ", StringComparison.Ordinal) || log.Contains("fail:", StringComparison.Ordinal), "the server logged a failure:\n" + log);
    }
}
