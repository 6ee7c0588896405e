using System.ComponentModel;

namespace TransformerKernels;

/// <summary>
/// The concurrency and lifetime rule of a generated model instance, in one place: one thread runs calls at a time (a call
/// from a second thread meanwhile gets <see cref="InvalidOperationException"/> instead of corrupting the scratch and the
/// caches; the same thread may nest calls, as a model does when a search drives it through its interfaces), and
/// disposing never frees native memory a running call can still read: if a call is running, the release waits for it to
/// end. Generated models hold one; users do not need it.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class ModelCallGuard
{
    private readonly Lock _lock = new();
    private int _owner;    // managed thread id of the thread inside a call (meaningful while _depth > 0)
    private int _depth;    // calls of that thread in progress, nested ones included
    private bool _disposed;
    private Action? _release;

    /// <summary>Dispose was called (the memory may still be waiting for a running call to end).</summary>
    public bool IsDisposed
    {
        get
        {
            lock (_lock)
            {
                return _disposed;
            }
        }
    }

    /// <summary>Starts a call of <paramref name="model"/> (its type's name, for the messages).</summary>
    /// <exception cref="ObjectDisposedException">The instance was disposed.</exception>
    /// <exception cref="InvalidOperationException">Another thread is inside a call of this instance.</exception>
    public void Enter(string model)
    {
        int me = Environment.CurrentManagedThreadId;
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, model);
            if (_depth > 0 && _owner != me)
            {
                throw new InvalidOperationException($"This {model} is already running a call on another thread; use CreateSession() for each thread.");
            }
            _owner = me;
            _depth++;
        }
    }

    /// <summary>Ends the call <see cref="Enter"/> started; the last one out of a disposed instance releases its memory.</summary>
    public void Exit()
    {
        Action? release = null;
        lock (_lock)
        {
            if (--_depth == 0 && _disposed)
            {
                (release, _release) = (_release, null);
            }
        }
        release?.Invoke();
    }

    /// <summary>
    /// Marks the instance disposed and runs <paramref name="release"/> once: now when no call is running, else when the
    /// running call ends (so a thread disposing a model another thread still computes with cannot pull the weights from
    /// under its kernels). Later calls do nothing.
    /// </summary>
    public void Dispose(Action release)
    {
        ArgumentNullException.ThrowIfNull(release);
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }
            _disposed = true;
            if (_depth > 0)
            {
                _release = release;
                return;
            }
        }
        release();
    }
}
