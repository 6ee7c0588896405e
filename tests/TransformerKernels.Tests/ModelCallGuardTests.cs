namespace TransformerKernels.Tests;

/// <summary>
/// The rule every generated model instance keeps (<see cref="ModelCallGuard"/>): one thread in a call at a time, nested
/// calls of that thread allowed, and disposal's release of native memory deferred until the running call ends — freed
/// scratch is often still mapped, so a model test cannot see a premature free; the guard's order of events can be.
/// </summary>
public sealed class ModelCallGuardTests
{
    [Fact]
    public void ReleaseWaitsForTheRunningCallAndRunsOnce()
    {
        var guard = new ModelCallGuard();
        int released = 0;
        guard.Enter("Model");
        guard.Enter("Model"); // a search calling the model through its interfaces
        OnAnotherThread(() => guard.Dispose(() => Interlocked.Increment(ref released)));
        Assert.True(guard.IsDisposed);
        Assert.Equal(0, released);
        guard.Exit();
        Assert.Equal(0, released); // the outer call still runs
        guard.Exit();
        Assert.Equal(1, released);
        guard.Dispose(() => Interlocked.Increment(ref released));
        Assert.Equal(1, released);
        Assert.Throws<ObjectDisposedException>(() => guard.Enter("Model"));
    }

    [Fact]
    public void ReleaseRunsAtOnceWhenNoCallRuns()
    {
        var guard = new ModelCallGuard();
        guard.Enter("Model");
        guard.Exit();
        int released = 0;
        guard.Dispose(() => released++);
        Assert.Equal(1, released);
    }

    [Fact]
    public void ASecondThreadIsRefusedByNameWhileACallRuns()
    {
        var guard = new ModelCallGuard();
        guard.Enter("FortuneLlama");
        var refused = Assert.Throws<InvalidOperationException>(() => OnAnotherThread(() => guard.Enter("FortuneLlama")));
        Assert.Contains("FortuneLlama", refused.Message);
        Assert.Contains("CreateSession", refused.Message);
        guard.Exit();
        OnAnotherThread(() =>
        {
            guard.Enter("FortuneLlama");
            guard.Exit();
        });
    }

    /// <summary>Runs <paramref name="action"/> on a thread of its own and rethrows what it threw.</summary>
    private static void OnAnotherThread(Action action)
    {
        Exception? thrown = null;
        var thread = new Thread(() =>
        {
            try
            {
                action();
            }
            catch (Exception e)
            {
                thrown = e;
            }
        });
        thread.Start();
        thread.Join();
        if (thrown is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(thrown);
        }
    }
}
