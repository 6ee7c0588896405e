namespace TransformerKernels.Server;

/// <summary>What is wrong with a request, as OpenAI reports it: HTTP status, message, the offending field and a code.</summary>
internal sealed record RequestProblem(int Status, string Message, string? Param, string Code);

/// <summary>Writes OpenAI's error envelope, <c>{"error": {"message", "type", "param", "code"}}</c>.</summary>
internal static class OpenAiErrors
{
    public static Task WriteAsync(HttpContext context, RequestProblem problem)
    {
        context.Response.StatusCode = problem.Status;
        if (problem.Status == StatusCodes.Status503ServiceUnavailable)
        {
            context.Response.Headers.RetryAfter = "1";
        }
        string type = problem.Status >= 500 ? "server_error" : "invalid_request_error";
        return context.Response.WriteAsJsonAsync(new ErrorResponse(new ErrorDetail(problem.Message, type, problem.Param, problem.Code)),
            ServerJson.Default.ErrorResponse, contentType: null, context.RequestAborted);
    }

    /// <summary>
    /// Last line of defence: an exception no handler expected is logged once and answered 500 with the envelope (never an
    /// empty body). A client that went away needs no answer.
    /// </summary>
    public static async Task AnswerUnhandledAsync(HttpContext context, Func<Task> next, ILogger log)
    {
        try
        {
            await next();
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client disconnected: nobody to answer.
        }
        catch (Exception e)
        {
            log.LogError(e, "{Method} {Path} failed", context.Request.Method, context.Request.Path);
            if (!context.Response.HasStarted && !context.RequestAborted.IsCancellationRequested)
            {
                await WriteAsync(context, new RequestProblem(500, "The server failed to answer this request; the error is in its log.", null, "internal_error"));
            }
        }
    }
}
