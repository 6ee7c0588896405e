using Microsoft.Extensions.AI;
using TransformerKernels.Fortunes;

namespace TransformerKernels.Chat.Tests;

/// <summary>
/// <see cref="TransformerChatClient"/> over the fortune Llama model: its text against PyTorch's greedy continuations and the
/// generator's own tokens decoded, options, stop sequences across tokens, finish reasons and usage, threads, cancellation.
/// </summary>
public sealed class TransformerChatClientTests(FortuneChat chat) : IClassFixture<FortuneChat>
{
    private static List<ChatMessage> Ask(string text) => [new(ChatRole.User, text)];

    private static async Task<(string Text, List<ChatResponseUpdate> Updates)> StreamAsync(IChatClient client, string prompt, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        List<ChatResponseUpdate> updates = [];
        await foreach (ChatResponseUpdate update in client.GetStreamingResponseAsync(Ask(prompt), options, cancellationToken))
        {
            updates.Add(update);
        }
        return (string.Concat(updates.Select(u => u.Text)), updates);
    }

    [Fact]
    public async Task GreedyChatIsPyTorchsGreedyContinuation()
    {
        using TransformerChatClient client = chat.Client();
        foreach (GreedyContinuation reference in FortuneReference.Load().Continuations)
        {
            Assert.Equal(reference.PromptIds, chat.Prompt(reference.Prompt));
            ChatResponse response = await client.GetResponseAsync(Ask(reference.Prompt), new ChatOptions { MaxOutputTokens = 40 });
            Assert.Equal(chat.Tokenizer.Decode(reference.Llama), response.Text);
            // fixtures.py stopped at </s> or 40 tokens: the finish reason says which.
            Assert.Equal(reference.Llama.Length < 40 ? ChatFinishReason.Stop : ChatFinishReason.Length, response.FinishReason);
            Assert.Equal(reference.PromptIds.Length, response.Usage!.InputTokenCount);
            Assert.Equal(reference.Llama.Length + (reference.Llama.Length < 40 ? 1 : 0), response.Usage.OutputTokenCount);
            Assert.Equal("fortune-llama", response.ModelId);
        }
    }

    [Fact]
    public async Task GreedyChatToTheEndOfTheContextIsTheGeneratorsTokensDecoded()
    {
        using TransformerChatClient client = chat.Client();
        foreach (string prompt in new[] { "The", "A man walks into a bar", "Q: What is" })
        {
            (string expected, int[] tokens) = chat.Reference(prompt, new GenerationOptions { MaxNewTokens = 256 - chat.Prompt(prompt).Length });
            ChatResponse response = await client.GetResponseAsync(Ask(prompt));
            Assert.Equal(expected, response.Text);
            Assert.Equal(tokens.Length + (response.FinishReason == ChatFinishReason.Stop ? 1 : 0), response.Usage!.OutputTokenCount);
        }
    }

    [Fact]
    public async Task StreamingYieldsDeltasThenUsageAndTheirConcatenationIsTheResponse()
    {
        using TransformerChatClient client = chat.Client();
        ChatOptions options = new() { Temperature = 0.9f, TopK = 50, TopP = 0.95f, Seed = 11 };
        (string text, List<ChatResponseUpdate> updates) = await StreamAsync(client, "Life", options);
        Assert.True(updates.Count > 3, $"{updates.Count} updates");
        Assert.All(updates[..^1], u => Assert.True(u.Text.Length > 0 && u.FinishReason is null && u.Role == ChatRole.Assistant));
        ChatResponseUpdate last = updates[^1];
        Assert.Equal("", last.Text);
        Assert.NotNull(last.FinishReason);
        UsageDetails usage = Assert.IsType<UsageContent>(Assert.Single(last.Contents)).Details;
        Assert.Equal(chat.Prompt("Life").Length, usage.InputTokenCount);
        Assert.Equal(usage.InputTokenCount + usage.OutputTokenCount, usage.TotalTokenCount);
        Assert.Single(updates.Select(u => u.ResponseId).Distinct());
        ChatResponse response = await client.GetResponseAsync(Ask("Life"), options);
        Assert.Equal(text, response.Text);
        Assert.Equal(last.FinishReason, response.FinishReason);
        Assert.Equal(usage.OutputTokenCount, response.Usage!.OutputTokenCount);
    }

    [Fact]
    public async Task SeededSamplingRepeatsAndIsTheGeneratorsSampling()
    {
        using TransformerChatClient client = chat.Client();
        foreach (int seed in new[] { 1, 2, 3 })
        {
            ChatOptions options = new() { Temperature = 0.8f, TopK = 40, TopP = 0.9f, Seed = seed, MaxOutputTokens = 60 };
            string first = (await client.GetResponseAsync(Ask("Love"), options)).Text;
            string second = (await client.GetResponseAsync(Ask("Love"), options)).Text;
            Assert.Equal(first, second);
            (string expected, _) = chat.Reference("Love", new GenerationOptions { Temperature = 0.8f, TopK = 40, TopP = 0.9f, Seed = seed, MaxNewTokens = 60 });
            Assert.Equal(expected, first);
        }
        // The client's defaults apply where a request leaves a setting out.
        using TransformerChatClient sampling = chat.Client(defaults: new GenerationOptions { Temperature = 0.8f, TopK = 40, TopP = 0.9f, Seed = 5 });
        (string defaulted, _) = chat.Reference("Love", new GenerationOptions { Temperature = 0.8f, TopK = 40, TopP = 0.9f, Seed = 5, MaxNewTokens = 60 });
        Assert.Equal(defaulted, (await sampling.GetResponseAsync(Ask("Love"), new ChatOptions { MaxOutputTokens = 60 })).Text);
    }

    [Fact]
    public async Task AStopSequenceAcrossTokensEndsTheResponseBeforeIt()
    {
        using TransformerChatClient client = chat.Client();
        int tested = 0;
        foreach (string prompt in new[] { "Life", "The", "Love" })
        {
            (string full, int[] tokens) = chat.Reference(prompt, new GenerationOptions { MaxNewTokens = 100 });
            // Per-token text, to build a stop sequence from the end of one token's text and the start of the next one's.
            TokenTextStream stream = chat.Tokenizer.CreateTextStream();
            string[] pieces = [.. tokens.Select(stream.Append)];
            int boundary = 0;
            for (int k = 0; k + 1 < pieces.Length; boundary += pieces[k++].Length)
            {
                if (k < 2 || pieces[k].Length < 2 || pieces[k + 1].Length < 2)
                {
                    continue;
                }
                string stop = pieces[k][^2..] + pieces[k + 1][..2];
                int start = boundary + pieces[k].Length - 2;
                if (full.IndexOf(stop, StringComparison.Ordinal) != start)
                {
                    continue;
                }
                ChatOptions options = new() { StopSequences = ["never appears", stop] };
                (string text, List<ChatResponseUpdate> updates) = await StreamAsync(client, prompt, options);
                Assert.Equal(full[..start], text);
                Assert.Equal(ChatFinishReason.Stop, updates[^1].FinishReason);
                // Generation ended at the token completing the stop sequence, token k + 1.
                Assert.Equal(k + 2, updates[^1].Contents.OfType<UsageContent>().Single().Details.OutputTokenCount);
                Assert.Equal(full[..start], (await client.GetResponseAsync(Ask(prompt), options)).Text);
                Assert.Equal(0, client.Generator.LiveGenerations);
                tested++;
                break;
            }
        }
        Assert.True(tested >= 2, $"only {tested} prompts had a token boundary to put a stop sequence across");
    }

    [Fact]
    public async Task MaxOutputTokensEndsWithLength()
    {
        using TransformerChatClient client = chat.Client();
        (string expected, int[] tokens) = chat.Reference("Life", new GenerationOptions { MaxNewTokens = 5 });
        Assert.Equal(5, tokens.Length); // PyTorch's continuation of "Life" runs 15 tokens
        ChatResponse response = await client.GetResponseAsync(Ask("Life"), new ChatOptions { MaxOutputTokens = 5 });
        Assert.Equal(expected, response.Text);
        Assert.Equal(ChatFinishReason.Length, response.FinishReason);
        Assert.Equal(5, response.Usage!.OutputTokenCount);
    }

    [Fact]
    public async Task ComputeRunsOffTheCallersThread()
    {
        using var gate = new ManualResetEventSlim(false);
        using TransformerChatClient client = chat.Client(new GatedDecoder(chat.Model, gate));
        // Had the prefill run on this thread, the call would only return after the gate's 10 s timeout, completed.
        Task<ChatResponse> response = client.GetResponseAsync(Ask("Life"), new ChatOptions { MaxOutputTokens = 3 });
        bool completedBeforeRelease = response.IsCompleted;
        gate.Set();
        Assert.False(completedBeforeRelease);
        Assert.Equal(chat.Reference("Life", new GenerationOptions { MaxNewTokens = 3 }).Text, (await response).Text);
        // The streaming call likewise returns its first update only from the thread pool.
        gate.Reset();
        await using IAsyncEnumerator<ChatResponseUpdate> updates = client.GetStreamingResponseAsync(Ask("Life")).GetAsyncEnumerator();
        ValueTask<bool> first = updates.MoveNextAsync();
        bool firstCompletedBeforeRelease = first.IsCompleted;
        gate.Set();
        Assert.False(firstCompletedBeforeRelease);
        Assert.True(await first);
    }

    [Fact]
    public async Task CancellationMidStreamLeavesTheClientUsable()
    {
        using TransformerChatClient client = chat.Client();
        using var cancellation = new CancellationTokenSource();
        int seen = 0;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (ChatResponseUpdate update in client.GetStreamingResponseAsync(Ask("The"), null, cancellation.Token))
            {
                Assert.Equal(1, client.Generator.LiveGenerations);
                if (++seen == 2)
                {
                    await cancellation.CancelAsync();
                }
            }
        });
        Assert.Equal(2, seen);
        Assert.Equal(0, client.Generator.LiveGenerations);
        // Leaving a stream early also ends its generation.
        await foreach (ChatResponseUpdate update in client.GetStreamingResponseAsync(Ask("The")))
        {
            break;
        }
        Assert.Equal(0, client.Generator.LiveGenerations);
        (string expected, _) = chat.Reference("The", new GenerationOptions { MaxNewTokens = 256 - chat.Prompt("The").Length });
        Assert.Equal(expected, (await client.GetResponseAsync(Ask("The"))).Text);
    }

    [Fact]
    public async Task ConcurrentAndInterleavedRequestsGetTheirSequentialResults()
    {
        using TransformerChatClient client = chat.Client();
        string[] prompts = ["Life", "Love", "The", "A man walks into a bar", "Q: What is", "Never"];
        ChatOptions Options(int k) => k % 2 == 0 ? new ChatOptions { MaxOutputTokens = 50 } : new ChatOptions { MaxOutputTokens = 50, Temperature = 0.9f, TopK = 30, Seed = k };
        string[] sequential = new string[prompts.Length];
        for (int k = 0; k < prompts.Length; k++)
        {
            sequential[k] = (await client.GetResponseAsync(Ask(prompts[k]), Options(k))).Text;
        }
        // Interleaved on one thread: one update of each stream in turn.
        var streams = prompts.Select((p, k) => client.GetStreamingResponseAsync(Ask(p), Options(k)).GetAsyncEnumerator()).ToArray();
        var texts = prompts.Select(_ => "").ToArray();
        var live = Enumerable.Range(0, prompts.Length).ToList();
        while (live.Count > 0)
        {
            foreach (int k in live.ToArray())
            {
                if (await streams[k].MoveNextAsync())
                {
                    texts[k] += streams[k].Current.Text;
                }
                else
                {
                    await streams[k].DisposeAsync();
                    live.Remove(k);
                }
            }
        }
        Assert.Equal(sequential, texts);
        // From several threads at once, twice over.
        string[] parallel = await Task.WhenAll(Enumerable.Range(0, 2 * prompts.Length).Select(i =>
            Task.Run(async () => (await client.GetResponseAsync(Ask(prompts[i % prompts.Length]), Options(i % prompts.Length))).Text)));
        Assert.Equal([.. sequential, .. sequential], parallel);
        Assert.Equal(0, client.Generator.LiveGenerations);
    }

    [Fact]
    public async Task UnsupportedOptionsAreRefusedByName()
    {
        using TransformerChatClient client = chat.Client();
        async Task Refused(string name, ChatOptions options)
        {
            var error = await Assert.ThrowsAsync<NotSupportedException>(() => client.GetResponseAsync(Ask("Life"), options));
            Assert.Contains($"ChatOptions.{name}", error.Message, StringComparison.Ordinal);
        }
        await Refused("FrequencyPenalty", new ChatOptions { FrequencyPenalty = 0.5f });
        await Refused("PresencePenalty", new ChatOptions { PresencePenalty = 0.5f });
        await Refused("Tools", new ChatOptions { Tools = [AIFunctionFactory.Create(() => 42, "answer")] });
        await Refused("ResponseFormat", new ChatOptions { ResponseFormat = ChatResponseFormat.Json });
        await Refused("ConversationId", new ChatOptions { ConversationId = "c1" });
        await Refused("AdditionalProperties", new ChatOptions { AdditionalProperties = new() { ["repetition_penalty"] = 1.2 } });
        // Zero penalties and a text format are what the client does anyway.
        Assert.NotEmpty((await client.GetResponseAsync(Ask("Life"), new ChatOptions { FrequencyPenalty = 0, PresencePenalty = 0, ResponseFormat = ChatResponseFormat.Text, MaxOutputTokens = 2 })).Text);
        var temperature = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => client.GetResponseAsync(Ask("Life"), new ChatOptions { Temperature = -1 }));
        Assert.Equal("Temperature", temperature.ParamName);
        Assert.Equal("StopSequences", (await Assert.ThrowsAsync<ArgumentException>(() => client.GetResponseAsync(Ask("Life"), new ChatOptions { StopSequences = [""] }))).ParamName);
        Assert.Equal(0, client.Generator.LiveGenerations);
    }

    [Fact]
    public async Task APromptBeyondTheContextIsRefusedByName()
    {
        using TransformerChatClient client = chat.Client();
        string longText = string.Join(' ', File.ReadAllLines(Path.Combine(FortuneFiles.DefaultDirectory, FortuneFiles.HeldOutFileName)).Take(30));
        var tooLong = await Assert.ThrowsAsync<ContextWindowExceededException>(() => client.GetResponseAsync(Ask(longText)));
        Assert.Equal(chat.Prompt(longText).Length, tooLong.PromptTokens);
        Assert.Equal(256, tooLong.ContextLength);
        Assert.Contains("MaxSeqLen", tooLong.Message, StringComparison.Ordinal);
        var tooMuch = await Assert.ThrowsAsync<ContextWindowExceededException>(() => client.GetResponseAsync(Ask("Life"), new ChatOptions { MaxOutputTokens = 255 }));
        Assert.Equal(255, tooMuch.OutputTokens);
        Assert.Contains("MaxOutputTokens", tooMuch.Message, StringComparison.Ordinal);
        // 254 fits beside the prompt's two tokens.
        Assert.NotNull((await client.GetResponseAsync(Ask("Life"), new ChatOptions { MaxOutputTokens = 254 })).FinishReason);
    }

    [Fact]
    public void MetadataNamesTheProviderAndModel()
    {
        using TransformerChatClient client = chat.Client();
        ChatClientMetadata metadata = client.GetService<ChatClientMetadata>()!;
        Assert.Equal(TransformerChatClient.ProviderName, metadata.ProviderName);
        Assert.Equal("fortune-llama", metadata.DefaultModelId);
        Assert.Same(client, client.GetService<TransformerChatClient>());
        Assert.Same(chat.Tokenizer, client.GetService<HuggingFaceTokenizer>());
        Assert.Null(client.GetService<ChatClientMetadata>("keyed"));
    }
}
