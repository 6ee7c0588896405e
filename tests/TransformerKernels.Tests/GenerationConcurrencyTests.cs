using TransformerKernels.Fortunes;

namespace TransformerKernels.Tests;

/// <summary>
/// Generations as sessions: streams interleaved on one thread, calls from many threads, over one generator and over
/// several generators of one model, each get exactly their sequential result (greedy and seeded sampling); live
/// sessions are bounded and returned; a decoder instance refuses steps over unfilled caches and concurrent calls by name;
/// disposing never frees weights or caches a running call reads.
/// </summary>
public sealed class GenerationConcurrencyTests : IDisposable
{
    private static readonly FortuneTokenizer Tokenizer = FortuneFiles.LoadTokenizer();
    private readonly FortuneLlama _model = FortuneFiles.LoadLlama(maxBatch: 1);

    private static readonly string[] Texts = ["A man is known by the company he", "Life", "Q: What do you call a computer that", "The best way to"];

    // Greedy, and seeded sampling whose draws depend on every earlier logit row: any cache shared between generations shows.
    private static GenerationOptions Options(int k) => k % 2 == 0
        ? new GenerationOptions { MaxNewTokens = 24 }
        : new GenerationOptions { MaxNewTokens = 24, Temperature = 0.9f, TopK = 50, Seed = 100 + k };

    private int[][] Sequential()
    {
        using var generator = new TokenGenerator(_model);
        return [.. Texts.Select((text, k) => generator.Generate([Tokenizer.Encode(text)], Options(k))[0])];
    }

    public void Dispose() => _model.Dispose();

    [Fact]
    public async Task StreamsInterleavedOnOneThreadEachGetTheirSequentialResult()
    {
        int[][] expected = Sequential();
        // Twice with the same generators: the second round runs on sessions the first returned to the pools.
        var generatorsByKind = new[] { true, false }.ToDictionary(one => one, _ => Texts.Select(_ => new TokenGenerator(_model)).ToArray());
        foreach (bool oneGenerator in new[] { true, false, true, false })
        {
            TokenGenerator[] generators = generatorsByKind[oneGenerator];
            var streams = Texts.Select((text, k) => (oneGenerator ? generators[0] : generators[k])
                .GenerateAsync(Tokenizer.Encode(text), Options(k)).GetAsyncEnumerator()).ToArray();
            var results = Texts.Select(_ => new List<int>()).ToArray();
            var running = new HashSet<int>(Enumerable.Range(0, Texts.Length));
            while (running.Count > 0)
            {
                // One token from each stream in turn: every step of every generation lands between the others' steps.
                foreach (int k in running.ToArray())
                {
                    if (await streams[k].MoveNextAsync())
                    {
                        results[k].Add(streams[k].Current);
                    }
                    else
                    {
                        running.Remove(k);
                    }
                }
            }
            for (int k = 0; k < Texts.Length; k++)
            {
                await streams[k].DisposeAsync();
                Assert.True(expected[k].SequenceEqual(results[k]), $"stream {k} ({(oneGenerator ? "one generator" : "a generator each")}) differs from its sequential result");
            }
            Assert.Equal(0, generators[0].LiveGenerations);
        }
        foreach (TokenGenerator generator in generatorsByKind.Values.SelectMany(g => g))
        {
            generator.Dispose();
        }
    }

    [Fact]
    public void CallsFromManyThreadsEachGetTheirSequentialResult()
    {
        int[][] expected = Sequential();
        using var generator = new TokenGenerator(_model);
        var results = new int[4 * Texts.Length][];
        Parallel.For(0, results.Length, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
        {
            int k = i % Texts.Length;
            results[i] = i % 2 == 0
                ? generator.Generate([Tokenizer.Encode(Texts[k])], Options(k))[0]
                : Drain(generator.GenerateAsync(Tokenizer.Encode(Texts[k]), Options(k)));
        });
        for (int i = 0; i < results.Length; i++)
        {
            Assert.True(expected[i % Texts.Length].SequenceEqual(results[i]), $"call {i} differs from its sequential result");
        }
        Assert.Equal(0, generator.LiveGenerations);
    }

    /// <summary>A stream read to its end on the calling (pool) thread.</summary>
    private static int[] Drain(IAsyncEnumerable<int> stream)
    {
        var tokens = new List<int>();
        IAsyncEnumerator<int> e = stream.GetAsyncEnumerator();
        try
        {
            while (e.MoveNextAsync().AsTask().Result)
            {
                tokens.Add(e.Current);
            }
        }
        finally
        {
            e.DisposeAsync().AsTask().Wait();
        }
        return [.. tokens];
    }

    [Fact]
    public async Task LiveGenerationsAreBoundedAndAnAbandonedStreamFreesItsSession()
    {
        using var generator = new TokenGenerator(_model, maxConcurrentGenerations: 1);
        int[] prompt = Tokenizer.Encode(Texts[0]);
        IAsyncEnumerator<int> held = generator.GenerateAsync(prompt, Options(0)).GetAsyncEnumerator();
        Assert.True(await held.MoveNextAsync());
        Assert.Equal(1, generator.LiveGenerations);
        // The only session is held: a second call waits, here until its cancellation.
        using (var soon = new CancellationTokenSource(TimeSpan.FromMilliseconds(200)))
        {
            Assert.ThrowsAny<OperationCanceledException>(() => generator.Generate([prompt], Options(0), soon.Token));
        }
        await held.DisposeAsync(); // the client went away mid-stream
        Assert.Equal(0, generator.LiveGenerations);
        Assert.Equal(Sequential()[0], generator.Generate([prompt], Options(0))[0]);
    }

    [Fact]
    public void AStepOverAnUnfilledCacheIsRefusedByName()
    {
        using FortuneLlama session = _model.CreateSession();
        var stepped = Assert.Throws<ArgumentOutOfRangeException>(() => session.Step([3], [5], [4]));
        Assert.Equal("positions", stepped.ParamName);
        Assert.Contains("slot 3's cache holds positions [0, 0)", stepped.Message);
        Assert.Equal("positions", Assert.Throws<ArgumentOutOfRangeException>(() => session.CopySlot(0, 1, 2)).ParamName);
        // Filled by a prefill of 4 tokens: position 4 extends it, position 5 skips one.
        session.Prefill([1, 2, 3, 4], [4], firstSlot: 2);
        session.Step([2], [5], [4]);
        Assert.Equal("positions", Assert.Throws<ArgumentOutOfRangeException>(() => session.Step([2], [5], [6])).ParamName);
        session.CopySlot(2, 7, 5);
        session.Step([7], [6], [5]);
        ITokenDecoder decoder = session; // the interface the searches use checks the same
        Assert.Equal("positions", Assert.Throws<ArgumentOutOfRangeException>(() => decoder.Step([9], [1], [1])).ParamName);
    }

    [Fact]
    public async Task TheDecoderInterfacesRefuseConcurrentCallsInsteadOfCorruptingCaches()
    {
        using FortuneLlama session = _model.CreateSession();
        IPromptDecoder decoder = session;
        int[] prompt = [.. Enumerable.Range(1, 200)];
        decoder.Prefill(prompt, [prompt.Length], 0);
        int refused = 0;
        using var start = new Barrier(2);
        void Hammer(Action call)
        {
            // Calls of a millisecond or more for half a second from each thread: they overlap many times.
            start.SignalAndWait();
            var clock = System.Diagnostics.Stopwatch.StartNew();
            while (clock.ElapsedMilliseconds < 500)
            {
                try
                {
                    call();
                }
                catch (InvalidOperationException e) when (e.Message.Contains("CreateSession", StringComparison.Ordinal))
                {
                    Interlocked.Increment(ref refused);
                }
            }
        }
        ITokenDecoder steps = session;
        Task prefilling = Task.Run(() => Hammer(() => decoder.Prefill(prompt, [prompt.Length], 0)));
        Task stepping = Task.Run(() => Hammer(() => steps.Step([0], [5], [prompt.Length])));
        await Task.WhenAll(prefilling, stepping);
        Assert.True(refused > 0, "two threads calling one instance at once were never refused");
    }

    [Fact]
    public void DisposingTheLoaderKeepsTheWeightsOfALiveSession()
    {
        FortuneLlama owner = FortuneFiles.LoadLlama(maxBatch: 1);
        int[] prompt = Tokenizer.Encode(Texts[0]);
        float[] expected = owner.Prefill(prompt, [prompt.Length]).ToArray();
        FortuneLlama session = owner.CreateSession();
        owner.Dispose();
        Assert.Throws<ObjectDisposedException>(() => owner.Prefill(prompt, [prompt.Length]));
        Assert.Equal(expected, session.Prefill(prompt, [prompt.Length]).ToArray());
        session.Dispose();
    }

    [Fact]
    public async Task DisposingDuringACallOnAnotherThreadWaitsForIt()
    {
        FortuneLlama session = _model.CreateSession();
        int[] prompt = [.. Enumerable.Range(1, 250)];
        int calls = 0;
        using var running = new ManualResetEventSlim();
        Task worker = Task.Run(() =>
        {
            try
            {
                while (true)
                {
                    session.Prefill(prompt, [prompt.Length]);
                    Interlocked.Increment(ref calls);
                    running.Set();
                }
            }
            catch (ObjectDisposedException)
            {
                // the next call after the dispose: how the worker learns of it
            }
        });
        running.Wait();
        // Freed while the worker's kernels read the caches, this used to be an access violation that killed the process.
        session.Dispose();
        await worker.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(calls > 0);
    }
}
