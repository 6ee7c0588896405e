namespace TransformerKernels.Server;

/// <summary>A text of a request, placed in a batch.</summary>
internal readonly record struct BatchItem(EmbeddingJob Job, int Text);

/// <summary>
/// Fills a batch fairly from the requests in progress: one text from each request in turn, round after round, until the
/// token budget is full. A large request is thereby split across many batches, and a small one that arrives while it runs
/// joins the very next batch instead of waiting behind all of it. The request served first moves by one each batch, so
/// when the budget runs out inside a round no request is always last.
/// </summary>
internal sealed class RoundRobinScheduler
{
    private int _rotation;

    public List<BatchItem> Take(IReadOnlyList<EmbeddingJob> jobs, int tokenBudget)
    {
        var batch = new List<BatchItem>();
        if (jobs.Count == 0)
        {
            return batch;
        }
        int first = _rotation++ % jobs.Count, tokens = 0;
        bool added = true;
        while (added)
        {
            added = false;
            for (int k = 0; k < jobs.Count; k++)
            {
                EmbeddingJob job = jobs[(first + k) % jobs.Count];
                if (!job.HasUnscheduled || tokens + job.Sequences[job.Scheduled].Length > tokenBudget)
                {
                    continue;
                }
                tokens += job.Sequences[job.Scheduled].Length;
                batch.Add(new BatchItem(job, job.Scheduled++));
                added = true;
            }
        }
        return batch;
    }
}
