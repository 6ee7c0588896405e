namespace TransformerKernels.Server;

/// <summary>What one request gets back: an embedding per text, and the tokens they took ([CLS] and [SEP] included).</summary>
internal sealed record EmbeddingResult(float[][] Embeddings, int Tokens);

/// <summary>Why the batcher did not embed a request; the endpoint answers with <see cref="Problem"/>.</summary>
internal sealed class EmbeddingFailedException(RequestProblem problem, Exception? inner = null) : Exception(problem.Message, inner)
{
    public RequestProblem Problem { get; } = problem;
}

/// <summary>
/// One admitted request inside the batcher: its texts' token ids (tokenized and checked by its own handler), how many of
/// them have been handed to batches, where their embeddings go, and the handler waiting for the outcome. Touched only by
/// the batcher's worker once admitted; the outcome is set once.
/// </summary>
internal sealed class EmbeddingJob
{
    private readonly TaskCompletionSource<EmbeddingResult> _outcome = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _finished;

    public EmbeddingJob(int[][] sequences, CancellationToken abandoned)
    {
        Sequences = sequences;
        Embeddings = new float[sequences.Length][];
        Tokens = sequences.Sum(s => s.Length);
        Abandoned = abandoned;
    }

    /// <summary>Token ids per text, [CLS] … [SEP].</summary>
    public int[][] Sequences { get; }

    /// <summary>Filled per text as batches complete.</summary>
    public float[][] Embeddings { get; }

    /// <summary>Every token of the request: its <c>usage</c>.</summary>
    public int Tokens { get; }

    /// <summary>Texts already handed to a batch (the next one to schedule).</summary>
    public int Scheduled { get; set; }

    public bool HasUnscheduled => Scheduled < Sequences.Length;

    /// <summary>Signalled when the client went away (the request's RequestAborted): its remaining texts are not worth computing.</summary>
    public CancellationToken Abandoned { get; }

    public Task<EmbeddingResult> Outcome => _outcome.Task;

    public bool IsFinished => Volatile.Read(ref _finished) != 0;

    /// <summary>Sets the outcome once; false when it was already set.</summary>
    public bool TryFinish(Exception? failure)
    {
        if (Interlocked.Exchange(ref _finished, 1) != 0)
        {
            return false;
        }
        if (failure is OperationCanceledException)
        {
            _outcome.SetCanceled();
        }
        else if (failure is not null)
        {
            _outcome.SetException(failure);
        }
        else
        {
            _outcome.SetResult(new EmbeddingResult(Embeddings, Tokens));
        }
        return true;
    }
}
