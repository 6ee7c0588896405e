namespace TransformerKernels.MiniLM;

/// <summary>
/// Keeps a model's native memory (memory-mapped weights, scratch) alive while a forward pass reads it. A pass holds the
/// lease from <see cref="Enter"/> to <see cref="Exit"/>; <see cref="Dispose"/> from any thread releases the model at once
/// when no pass runs, or leaves that to the pass's <see cref="Exit"/>. Unmapping under a running GEMM kernel is an access
/// violation that kills the process (no managed exception can be caught), hence release is deferred, never forced.
/// </summary>
internal sealed class WeightsLease(IDisposable model) : IDisposable
{
    private readonly object _gate = new();
    private int _passes;
    private bool _disposeRequested, _released;

    /// <summary>Starts a pass.</summary>
    /// <exception cref="ObjectDisposedException">Dispose was called: no new pass may start.</exception>
    public void Enter()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposeRequested, model);
            _passes++;
        }
    }

    /// <summary>Ends a pass; the last one out after Dispose releases the model.</summary>
    public void Exit()
    {
        lock (_gate)
        {
            _passes--;
            if (!ShouldReleaseNow())
            {
                return;
            }
        }
        model.Dispose();
    }

    /// <summary>Refuses new passes, and releases the model now or when the running pass ends.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            _disposeRequested = true;
            if (!ShouldReleaseNow())
            {
                return;
            }
        }
        model.Dispose();
    }

    private bool ShouldReleaseNow()
    {
        if (!_disposeRequested || _passes > 0 || _released)
        {
            return false;
        }
        _released = true;
        return true;
    }
}
