namespace TransformerKernels.Tests;

/// <summary>
/// The runtime's model classes on their own: a model class written by hand over <see cref="LanguageModel{TSelf}"/> whose
/// "kernels" record what the runtime asks of them, so the orchestration (chunking rows to the scratch, where each chunk's
/// logits land, the slot bookkeeping, the hooks a kind never wires) is checked without the generated kernels' arithmetic.
/// </summary>
public sealed class ModelRuntimeTests : IDisposable
{
    private const int Vocab = FixtureLanguageModel.DecoderVocab, D = FixtureLanguageModel.DModel;
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"tk-runtime-{Guid.NewGuid():N}.safetensors");

    public ModelRuntimeTests()
    {
        using SafeTensorsFile stack = SafeTensorsFile.Open(PyTorchParityTests.Fixture("decoder_only_pre_gelu.safetensors"));
        var tensors = stack.Tensors.Values.Select(t => (t.Name, t.Shape, stack.ReadArray(t.Name))).ToList();
        tensors.Add(("tgt_embedding.weight", [Vocab, D], TestData.Uniform(Vocab * D, 1, scale: 1f)));
        tensors.Add(("generator.weight", [Vocab, D], TestData.Uniform(Vocab * D, 2, scale: 1f)));
        tensors.Add(("generator.bias", [Vocab], TestData.Uniform(Vocab, 3, scale: 0.5f)));
        SafeTensorsWriter.Write(_path, tensors);
    }

    public void Dispose() => File.Delete(_path);

    [Fact]
    public void AStepOfMoreRowsThanTheScratchHoldsRunsInChunksAndEachRowsLogitsLandInItsRow()
    {
        // maxBatch 1 × MaxSeqLen 16: the scratch holds 16 rows, so 40 rows go through as 16 + 16 + 8, each chunk through both layers.
        using var model = RecordingLanguageModel.Load(_path, maxBatch: 1);
        RecordingLanguageModel.Reset();
        int[] slots = Enumerable.Range(0, 40).ToArray(), tokens = new int[40], positions = new int[40];
        float[] logits = model.Step(slots, tokens, positions).ToArray();

        Assert.Equal([16, 16, 16, 16, 8, 8], RecordingLanguageModel.Segments);
        Assert.Equal([16, 16, 8], RecordingLanguageModel.Projected);
        Assert.Equal(40 * Vocab, logits.Length);
        for (int row = 0; row < 40; row++)
        {
            // The recording projection numbers rows in the order it sees them: row i's logits must all be i.
            Assert.All(logits.AsSpan(row * Vocab, Vocab).ToArray(), v => Assert.Equal(row, v));
        }
    }

    [Fact]
    public void AStepExtendsEachSlotByOnePositionAndMayNotSkipOne()
    {
        using var model = RecordingLanguageModel.Load(_path);
        model.Step(3, token: 1, position: 0);
        model.Step(3, token: 1, position: 1);
        model.Step(3, token: 1, position: 1); // rewriting the last position is allowed
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => model.Step(3, token: 1, position: 3));
        Assert.Equal("positions", e.ParamName);
        Assert.Contains("slot 3's cache holds positions [0, 2)", e.Message);
        Assert.Equal("tokens", Assert.Throws<ArgumentOutOfRangeException>(() => model.Step(0, token: Vocab, position: 0)).ParamName);
    }

    [Fact]
    public void PrefillProjectsOnlyEachPromptsLastRowAndScoreProjectsEveryRow()
    {
        using var model = RecordingLanguageModel.Load(_path, maxBatch: 2);
        RecordingLanguageModel.Reset();
        model.Prefill([1, 2, 3, 4, 5], [3, 2], firstSlot: 5);
        Assert.Equal([2, 2], RecordingLanguageModel.Segments); // two prompts as two segments, in each of the two layers
        Assert.Equal([2], RecordingLanguageModel.Projected);
        model.Step([5, 6], [1, 1], [3, 2]); // the prefill left slot 5 at 3 positions and slot 6 at 2
        RecordingLanguageModel.Reset();
        model.Score([1, 2, 3, 4], new float[4 * Vocab]);
        Assert.Equal([4], RecordingLanguageModel.Projected);
    }

    [Fact]
    public void ADisposedModelRefusesCallsAndSessionsWhileItsSessionsKeepWorking()
    {
        var model = RecordingLanguageModel.Load(_path);
        using RecordingLanguageModel session = model.CreateSession();
        model.Dispose();
        model.Dispose(); // a second Dispose does nothing
        Assert.Throws<ObjectDisposedException>(() => model.Step(0, 1, 0));
        Assert.Throws<ObjectDisposedException>(() => model.CreateSession());
        // The session holds the weights: it still steps after the model that loaded them is gone.
        Assert.Equal(Vocab, session.Step(0, 1, 0).Length);
    }

    [Fact]
    public void AHookTheModelKindNeverWiresThrowsNamingTheClass()
    {
        var e = Assert.Throws<NotSupportedException>(CallEncoderBlock<RecordingLanguageModel>);
        Assert.Contains("RecordingLanguageModel has no encoder blocks", e.Message);

        static unsafe void CallEncoderBlock<T>() where T : TransformerModel<T>, IModelKernels<T> => T.EncoderBlockPacked(null, default, null!, null!);
    }

    [Fact]
    public void WeightsOfAnotherShapeAreRefusedBeforeAnythingIsAllocated()
    {
        using TransformerWeights weights = TransformerWeights.Load(PyTorchParityTests.Fixture("decoder_only_pre_gelu.safetensors"), FixtureDecoderOnlyPreGelu.Shape);
        var e = Assert.Throws<ArgumentException>(() => new RecordingLanguageModel(weights));
        Assert.Equal("weights", e.ParamName);
        Assert.Contains("not for this model's", e.Message);
    }
}

/// <summary>FixtureLanguageModel's shape over kernels that record their calls instead of computing.</summary>
internal sealed unsafe class RecordingLanguageModel : LanguageModel<RecordingLanguageModel>, IModelKernels<RecordingLanguageModel>
{
    [ThreadStatic] private static List<int>? s_segments, s_projected;
    [ThreadStatic] private static int s_rows;

    public RecordingLanguageModel(TransformerWeights weights, int maxBatch = 1) : base(weights, maxBatch, ownsWeights: true)
    {
    }

    private RecordingLanguageModel(TransformerWeights weights, int maxBatch, bool ownsWeights) : base(weights, maxBatch, ownsWeights)
    {
    }

    /// <summary>Segments of each decoder-block call, in order.</summary>
    public static List<int> Segments => s_segments ??= [];

    /// <summary>Rows of each projection call, in order.</summary>
    public static List<int> Projected => s_projected ??= [];

    public static void Reset()
    {
        Segments.Clear();
        Projected.Clear();
        s_rows = 0;
    }

    static ModelShape IModelKernels<RecordingLanguageModel>.DeclaredShape => FixtureLanguageModel.Shape;

    static ModelPrecisions IModelKernels<RecordingLanguageModel>.DeclaredPrecisions => ModelPrecisions.All;

    static RecordingLanguageModel IModelKernels<RecordingLanguageModel>.CreateModel(TransformerWeights weights, int maxBatch, bool ownsWeights) =>
        new(weights, maxBatch, ownsWeights);

    static void IModelKernels<RecordingLanguageModel>.Normalize(float* x, float* gamma, float* beta, int rows)
    {
    }

    static void IModelKernels<RecordingLanguageModel>.DecoderBlock(float* y, ReadOnlySpan<int> starts, ReadOnlySpan<int> lengths, ReadOnlySpan<DecoderLayerCache> caches,
        DecoderLayerWeights weights, BlockScratch scratch, float* crossAttentionWeights)
    {
        Assert.Equal(lengths.Length, starts.Length);
        Assert.Equal(lengths.Length, caches.Length);
        Segments.Add(lengths.Length);
    }

    static void IModelKernels<RecordingLanguageModel>.ProjectToVocabulary(float* rows, int count, PackedLinear generator, float* logits)
    {
        Projected.Add(count);
        for (int r = 0; r < count; r++, s_rows++)
        {
            new Span<float>(logits + (long)r * FixtureLanguageModel.DecoderVocab, FixtureLanguageModel.DecoderVocab).Fill(s_rows);
        }
    }
}
