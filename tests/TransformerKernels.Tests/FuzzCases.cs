using CsCheck;
using Xunit.Abstractions;

namespace TransformerKernels.Tests;

/// <summary>
/// What every fuzz test here shares: a seed that changes from run to run (or <c>TK_FUZZ_SEED</c> to replay one), logged
/// before the run and named in any failure; a time limit per case, so a loader that hangs fails the test instead of
/// hanging CI; and a check, from /proc, that a file is no longer open or mapped by this process.
/// </summary>
internal static class FuzzCases
{
    /// <summary>One case may take this long; the slowest seen take well under 10 ms.</summary>
    public static readonly TimeSpan Limit = TimeSpan.FromSeconds(10);

    /// <summary>This run's seed: <c>TK_FUZZ_SEED</c>, or a fresh one; written to the test output.</summary>
    public static string Seed(ITestOutputHelper output)
    {
        string seed = Environment.GetEnvironmentVariable("TK_FUZZ_SEED") is { Length: > 0 } fixedSeed
            ? fixedSeed
            : new PCG((uint)Random.Shared.Next(), (ulong)Random.Shared.NextInt64()).ToString();
        output.WriteLine($"fuzz seed {seed} (replay with TK_FUZZ_SEED={seed})");
        return seed;
    }

    /// <summary>Runs one case on another thread and fails it if it takes longer than <paramref name="limit"/> (default <see cref="Limit"/>).</summary>
    public static void TimeBoxed(Action body, string seed, TimeSpan? limit = null)
    {
        Task task = Task.Run(body);
        if (!task.Wait(limit ?? Limit))
        {
            throw new TimeoutException($"a fuzz case ran longer than {(limit ?? Limit).TotalSeconds} s (seed {seed})");
        }
        task.GetAwaiter().GetResult();
    }

    /// <summary>
    /// File descriptors and memory mappings of this process that refer to <paramref name="path"/> (Linux: /proc/self). An
    /// exclusive FileStream would not do: on Linux .NET's share modes are advisory locks, so a leaked mapping or handle
    /// would not stop it. Reading /proc costs ~3 ms, so fuzz loops check a sample of cases and, once more, the end: a
    /// leaked handle or mapping stays, so the final check sees a leak from any case.
    /// </summary>
    public static int OpenReferences(string path)
    {
        string fullPath = Path.GetFullPath(path);
        int count = 0;
        foreach (string fd in Directory.EnumerateFileSystemEntries("/proc/self/fd"))
        {
            try
            {
                if (new FileInfo(fd).LinkTarget == fullPath)
                {
                    count++;
                }
            }
            catch (IOException)
            {
                // The descriptor closed while we looked.
            }
        }
        foreach (string line in File.ReadLines("/proc/self/maps"))
        {
            if (line.EndsWith(" " + fullPath, StringComparison.Ordinal))
            {
                count++;
            }
        }
        return count;
    }
}
