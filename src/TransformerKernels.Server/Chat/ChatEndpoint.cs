using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;
using TransformerKernels.Chat;
using TransformerKernels.Tokenizers;

namespace TransformerKernels.Server;

/// <summary>
/// <c>POST /v1/chat/completions</c>: OpenAI's request, checked in the handler (<see cref="ChatRequestCheck"/>), decoded in
/// the shared continuous batch (<see cref="ChatScheduler"/>), answered whole or streamed as server-sent events. Tokens become
/// text as they arrive (<see cref="TokenTextStream"/>) and pass the stop strings (<see cref="StopSequenceMatcher"/>); a stop
/// string found or a client gone abandons the generation, which frees its slot at the next step.
/// </summary>
internal static class ChatEndpoint
{
    public static async Task HandleAsync(HttpContext context, ChatScheduler scheduler, ServedChatModel model, ServerMetrics metrics, ServerOptions options)
    {
        long started = Stopwatch.GetTimestamp();
        if (await RequestBody.ReadAsync(context, ChatJson.Default.ChatRequest, options) is not { } request)
        {
            return;
        }
        if (ChatRequestCheck.TryCheck(request, model, out ChatWork work) is { } problem)
        {
            await OpenAiErrors.WriteAsync(context, problem);
            return;
        }
        var job = new ChatJob(work);
        if (!scheduler.TryAdmit(job))
        {
            await OpenAiErrors.WriteAsync(context, new RequestProblem(503, "The server is stopping; retry elsewhere or later.", null, "server_shutting_down"));
            return;
        }
        RequestTokens tokens = RequestTokens.Of(context);
        tokens.In = work.Prompt.Length;
        metrics.PromptTokens.Add(work.Prompt.Length);
        using CancellationTokenRegistration gone = context.RequestAborted.Register(job.Abandon);
        var answer = new ChatAnswer(context, model.Id, work);
        try
        {
            if (work.Stream)
            {
                await answer.BeginStreamAsync();
            }
            var text = new TokenTextStream(model.Tokenizer);
            var stops = new StopSequenceMatcher(work.StopStrings);
            string finishReason;
            int completionTokens = 0;
            try
            {
                await foreach (int token in job.Tokens.ReadAllAsync(context.RequestAborted))
                {
                    if (completionTokens++ == 0)
                    {
                        metrics.TimeToFirstToken.Record(Stopwatch.GetElapsedTime(started).TotalSeconds);
                    }
                    tokens.Out = completionTokens;
                    await answer.AddAsync(stops.Add(text.Append(token)));
                    if (stops.Stopped)
                    {
                        break;
                    }
                }
                finishReason = stops.Stopped ? "stop" : job.FinishReason;
                await answer.AddAsync(stops.Flush());
            }
            catch (Exception e) when (e is not OperationCanceledException || !context.RequestAborted.IsCancellationRequested)
            {
                // The generation failed or was cut off by shutdown (the scheduler logged a failure already).
                if (!context.Response.HasStarted)
                {
                    await OpenAiErrors.WriteAsync(context, e is OperationCanceledException
                        ? new RequestProblem(503, "The server is shutting down and could not finish this completion within its drain time.", null, "server_shutting_down")
                        : new RequestProblem(500, "Generating this completion failed inside the server; the error is in its log.", null, "internal_error"));
                }
                return;
            }
            metrics.CompletionTokens.Add(completionTokens);
            await answer.EndAsync(finishReason, completionTokens);
        }
        catch (Exception) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away mid-answer: nobody to answer, nothing went wrong here.
        }
        finally
        {
            job.Abandon();
        }
    }
}

/// <summary>A chat completion's answer: one JSON body, or server-sent events (<c>data: {chunk}</c> … <c>data: [DONE]</c>).</summary>
internal sealed class ChatAnswer(HttpContext context, string model, ChatWork work)
{
    private static readonly byte[] DataPrefix = "data: "u8.ToArray(), EventEnd = "\n\n"u8.ToArray(), Done = "data: [DONE]\n\n"u8.ToArray();
    private readonly string _id = "chatcmpl-" + Guid.NewGuid().ToString("N");
    private readonly long _created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
    private readonly StringBuilder _content = new();
    private readonly System.Buffers.ArrayBufferWriter<byte> _buffer = new();

    /// <summary>Headers and the first chunk (the assistant's role), sent before the first token so clients see the stream start.</summary>
    public async Task BeginStreamAsync()
    {
        context.Response.ContentType = "text/event-stream";
        context.Response.Headers.CacheControl = "no-cache";
        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        await SendChunkAsync(json => Choice(json, delta => { delta.WriteString("role", "assistant"); delta.WriteString("content", ""); }, null), usage: null);
    }

    /// <summary>Text that may be sent now: a chunk when streaming, kept for the body otherwise.</summary>
    public Task AddAsync(string text)
    {
        if (text.Length == 0)
        {
            return Task.CompletedTask;
        }
        if (!work.Stream)
        {
            _content.Append(text);
            return Task.CompletedTask;
        }
        return SendChunkAsync(json => Choice(json, delta => delta.WriteString("content", text), null), usage: null);
    }

    public async Task EndAsync(string finishReason, int completionTokens)
    {
        if (!work.Stream)
        {
            context.Response.ContentType = "application/json";
            WriteJson(json =>
            {
                json.WriteStartObject();
                Header(json, "chat.completion");
                json.WriteStartArray("choices");
                json.WriteStartObject();
                json.WriteNumber("index", 0);
                json.WriteStartObject("message");
                json.WriteString("role", "assistant");
                json.WriteString("content", _content.ToString());
                json.WriteNull("refusal");
                json.WriteEndObject();
                json.WriteNull("logprobs");
                json.WriteString("finish_reason", finishReason);
                json.WriteEndObject();
                json.WriteEndArray();
                Usage(json, completionTokens);
                json.WriteEndObject();
            });
            await context.Response.Body.WriteAsync(_buffer.WrittenMemory, context.RequestAborted);
            return;
        }
        await SendChunkAsync(json => Choice(json, _ => { }, finishReason), usage: null);
        if (work.IncludeUsage)
        {
            await SendChunkAsync(json => json.WriteStartArray("choices"), usage: completionTokens);
        }
        await context.Response.Body.WriteAsync(Done, context.RequestAborted);
        await context.Response.Body.FlushAsync(context.RequestAborted);
    }

    private static void Choice(Utf8JsonWriter json, Action<Utf8JsonWriter> delta, string? finishReason)
    {
        json.WriteStartArray("choices");
        json.WriteStartObject();
        json.WriteNumber("index", 0);
        json.WriteStartObject("delta");
        delta(json);
        json.WriteEndObject();
        json.WriteNull("logprobs");
        if (finishReason is null)
        {
            json.WriteNull("finish_reason");
        }
        else
        {
            json.WriteString("finish_reason", finishReason);
        }
        json.WriteEndObject();
    }

    /// <summary>One event: <paramref name="body"/> writes the choices (left open: it is closed here), then the usage when given.</summary>
    private async Task SendChunkAsync(Action<Utf8JsonWriter> body, int? usage)
    {
        WriteJson(json =>
        {
            json.WriteStartObject();
            Header(json, "chat.completion.chunk");
            body(json);
            json.WriteEndArray();
            if (usage is { } completionTokens)
            {
                Usage(json, completionTokens);
            }
            else
            {
                json.WriteNull("usage");
            }
            json.WriteEndObject();
        });
        Stream stream = context.Response.Body;
        await stream.WriteAsync(DataPrefix, context.RequestAborted);
        await stream.WriteAsync(_buffer.WrittenMemory, context.RequestAborted);
        await stream.WriteAsync(EventEnd, context.RequestAborted);
        await stream.FlushAsync(context.RequestAborted);
    }

    private void WriteJson(Action<Utf8JsonWriter> write)
    {
        _buffer.ResetWrittenCount();
        using var json = new Utf8JsonWriter(_buffer);
        write(json);
    }

    private void Header(Utf8JsonWriter json, string kind)
    {
        json.WriteString("id", _id);
        json.WriteString("object", kind);
        json.WriteNumber("created", _created);
        json.WriteString("model", model);
        json.WriteNull("system_fingerprint");
    }

    private void Usage(Utf8JsonWriter json, int completionTokens)
    {
        json.WriteStartObject("usage");
        json.WriteNumber("prompt_tokens", work.Prompt.Length);
        json.WriteNumber("completion_tokens", completionTokens);
        json.WriteNumber("total_tokens", work.Prompt.Length + completionTokens);
        json.WriteEndObject();
    }
}
