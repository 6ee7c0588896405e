namespace TransformerKernels.HuggingFace.Tests;

/// <summary>The tiny random Llama of tools/fixtures/llama_reference.py, as the GGUF fixtures (tools/fixtures/gguf_llama.py) declare it.</summary>
[TransformerModel(DModel = 64, Heads = 4, KvHeads = 2, DecoderLayers = 2, FfnDim = 96, MaxSeqLen = 24, Vocab = 61,
                  Norm = NormPlacement.RmsNorm, Activation = Activation.SwiGlu, Positions = PositionEncoding.Rotary,
                  RotaryTheta = 10000, Bias = false, LayerNormEpsilon = 1e-6)]
public partial class GgufTinyLlama;

/// <summary>
/// GGUF files as llama.cpp's converter writes them load as the Hugging Face model they came from: names mapped, dimensions
/// reversed, the query/key head interleaving undone, Q8_0 / Q4_0 / Q4_K blocks dequantized — checked against PyTorch run on
/// the weights the files hold (dequantized by the fixture script's numpy, not by this code).
/// </summary>
public class GgufTests
{
    private static string Data(string name) => Path.Combine(AppContext.BaseDirectory, "Data", "gguf", name);

    [Theory]
    [InlineData("f32")]
    [InlineData("q8_0")]
    [InlineData("q4_0")]
    public void LogitsAtEveryPositionAndGreedyTokensMatchPyTorch(string variant)
    {
        using var model = GgufTinyLlama.Load(Data($"llama_tiny.{variant}.gguf"), WeightNaming.Llama, maxBatch: 3);
        using var io = SafeTensorsFile.Open(Data($"llama_tiny.{variant}.io.safetensors"));
        // 1e-4: float32 kernels against float32 PyTorch over two layers (|logits| ≲ 5); a wrong head order or block layout
        // is off by whole units. The fixture has greedy_fixture.py's layout, which Reference reads for every family.
        Reference.PromptLogits(model, io, 1e-4);
        Reference.CachedGreedySteps(model, io, 1e-4);
    }

    [Fact]
    public void Q4KBlocksDequantizeToTheirValues()
    {
        using var file = GgufFile.Open(Data("q4_k.gguf"));
        GgufTensor tensor = file.Tensors["values"];
        Assert.Equal(GgufTensorType.Q4_K, tensor.Type);
        Assert.Equal([2L, 256L], tensor.RowMajorShape);
        var values = new float[512];
        file.Read("values", values);
        float[] expected = System.Text.Json.JsonSerializer.Deserialize<float[]>(File.ReadAllText(Data("q4_k.json")))!;
        Assert.Equal(expected, values); // bit for bit: the same products in the same order
    }

    [Fact]
    public void MetadataThatDisagreesWithTheDeclarationNamesTheKey()
    {
        // A model declared with 3 layers against a file of 2: the GGUF key and the property to change are named.
        var shape = GgufTinyLlama.Shape with { DecoderLayers = 3 };
        var e = Assert.Throws<ModelConfigurationException>(() => TransformerWeights.Load(Data("llama_tiny.f32.gguf"), shape, WeightNaming.Llama).Dispose());
        Assert.Equal("llama.block_count", e.Field);
        Assert.Contains("DecoderLayers", e.Message);
        var theta = Assert.Throws<ModelConfigurationException>(() => TransformerWeights.Load(Data("llama_tiny.f32.gguf"), GgufTinyLlama.Shape with { RotaryTheta = 500000 }, WeightNaming.Llama).Dispose());
        Assert.Equal("llama.rope.freq_base", theta.Field);
    }

    [Fact]
    public void OtherNamingsAreRefusedByName()
    {
        var e = Assert.Throws<ArgumentException>(() => GgufTinyLlama.Load(Data("llama_tiny.f32.gguf"), WeightNaming.Bert).Dispose());
        Assert.Contains("WeightNaming.Llama", e.Message);
    }

    [Fact]
    public void EveryTruncationIsAFormatError()
    {
        byte[] bytes = File.ReadAllBytes(Data("llama_tiny.q4_0.gguf"));
        string path = Path.Combine(Path.GetTempPath(), $"tk-gguf-{Environment.ProcessId}-truncated.gguf");
        try
        {
            // Every length through the header and descriptors, then a spread through the data.
            IEnumerable<int> lengths = Enumerable.Range(0, 2048).Concat(Enumerable.Range(0, 64).Select(i => 2048 + i * (bytes.Length - 2049) / 64));
            foreach (int length in lengths.Where(l => l < bytes.Length))
            {
                File.WriteAllBytes(path, bytes[..length]);
                Assert.Throws<GgufFormatException>(() => GgufFile.Open(path).Dispose());
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void CorruptedHeaderBytesAreFormatErrorsOrReadableFiles()
    {
        byte[] bytes = File.ReadAllBytes(Data("llama_tiny.q4_0.gguf"));
        string path = Path.Combine(Path.GetTempPath(), $"tk-gguf-{Environment.ProcessId}-corrupt.gguf");
        var random = new Random(17);
        try
        {
            for (int trial = 0; trial < 600; trial++)
            {
                byte[] copy = (byte[])bytes.Clone();
                int at = random.Next(0, 1600);
                copy[at] = trial % 3 == 0 ? (byte)0xFF : (byte)random.Next(256);
                File.WriteAllBytes(path, copy);
                try
                {
                    using GgufFile file = GgufFile.Open(path);
                    // What opened must read in bounds: every tensor, whatever its (possibly altered) type and size.
                    foreach (GgufTensor tensor in file.Tensors.Values.Where(t => t.ElementCount <= 1 << 20))
                    {
                        file.Read(tensor.Name, new float[tensor.ElementCount]);
                    }
                }
                catch (GgufFormatException)
                {
                }
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void HostileCountsAreRefusedBeforeAllocating()
    {
        string path = Path.Combine(Path.GetTempPath(), $"tk-gguf-{Environment.ProcessId}-hostile.gguf");
        try
        {
            foreach (byte[] file in new[]
            {
                Header(tensors: 0, metadata: ulong.MaxValue),
                Header(tensors: ulong.MaxValue, metadata: 0),
                // One metadata pair: key "a", an ARRAY of UINT8 claiming 2^62 items.
                [.. Header(tensors: 0, metadata: 1), .. BitConverter.GetBytes(1UL), (byte)'a', .. BitConverter.GetBytes(9u), .. BitConverter.GetBytes(0u), .. BitConverter.GetBytes(1UL << 62)],
                // One metadata pair whose key claims 2^40 bytes.
                [.. Header(tensors: 0, metadata: 1), .. BitConverter.GetBytes(1UL << 40), 0, 0, 0, 0],
            })
            {
                File.WriteAllBytes(path, [.. file, .. new byte[32]]);
                var e = Assert.Throws<GgufFormatException>(() => GgufFile.Open(path).Dispose());
                Assert.Matches("count|claims", e.Message);
            }
        }
        finally
        {
            File.Delete(path);
        }

        static byte[] Header(ulong tensors, ulong metadata) => [.. "GGUF"u8, .. BitConverter.GetBytes(3u), .. BitConverter.GetBytes(tensors), .. BitConverter.GetBytes(metadata)];
    }
}
