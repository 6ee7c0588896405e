using CsCheck;
using Google.Protobuf;
using Onnx;
using TransformerKernels.Onnx;
using TransformerKernels.Tests;
using Xunit.Abstractions;

namespace TransformerKernels.MiniLM.Tests;

/// <summary>
/// 10,000 mutations of a tiny valid BERT-like ONNX graph: the converter either converts or throws
/// <see cref="OnnxFormatException"/> — never another exception type, never a partial output file left behind, never a
/// hang. The seed changes every run and is logged (<see cref="FuzzCases"/>); every case is time-boxed.
/// </summary>
public sealed class OnnxFuzzTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("tk-onnx-fuzz").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    internal static byte[] TinyBert()
    {
        var graph = new GraphProto { Name = "tiny" };
        var weight = new TensorProto { Name = "w1", DataType = (int)TensorProto.Types.DataType.Float, Dims = { 3, 4 } };
        weight.RawData = ByteString.CopyFrom(Enumerable.Range(0, 12).SelectMany(i => BitConverter.GetBytes(i * 0.5f)).ToArray());
        graph.Initializer.Add(weight);
        graph.Initializer.Add(new TensorProto { Name = "encoder.layer.0.attention.self.query.bias", DataType = (int)TensorProto.Types.DataType.Float, Dims = { 4 }, FloatData = { 1, 2, 3, 4 } });
        graph.Initializer.Add(new TensorProto { Name = "embeddings.LayerNorm.weight", DataType = (int)TensorProto.Types.DataType.Float, Dims = { 3 }, FloatData = { 1, 1, 1 } });
        graph.Node.Add(new NodeProto { OpType = "MatMul", Name = "matmul", Input = { "x", "w1" }, Output = { "y" } });
        graph.Node.Add(new NodeProto { OpType = "Add", Name = "add", Input = { "encoder.layer.0.attention.self.query.bias", "y" }, Output = { "z" } });
        return new ModelProto { Graph = graph, ProducerName = "tk-test", IrVersion = 7 }.ToByteArray();
    }

    [Fact]
    public void TheTinyGraphConvertsWithTransposedWeights()
    {
        string path = Path.Combine(_directory, "tiny.safetensors");
        OnnxBertConverter.Convert(TinyBert(), path);
        using SafeTensorsFile file = SafeTensorsFile.Open(path);
        Assert.Equal([4L, 3L], file.Tensors["encoder.layer.0.attention.self.query.weight"].Shape);
        // ONNX stores [in, out]; row 1 of the PyTorch [out, in] weight is column 1 of the original: 0.5, 2.5, 4.5.
        Assert.Equal([0.5f, 2.5f, 4.5f], file.ReadArray("encoder.layer.0.attention.self.query.weight")[3..6]);
    }

    [Fact]
    public void MutatedGraphsFailOnlyWithOnnxFormatException()
    {
        byte[] valid = TinyBert();
        string path = Path.Combine(_directory, "case.safetensors");
        int converted = 0, rejected = 0;
        string seed = FuzzCases.Seed(output);
        Gen.Select(Gen.Int[0, 3], Gen.Int[0, int.MaxValue], Gen.Byte).Sample((kind, position, value) => FuzzCases.TimeBoxed(() =>
        {
            byte[] bytes = (byte[])valid.Clone();
            int at = position % bytes.Length;
            bytes = kind switch
            {
                0 => Flip(bytes, at, value),
                1 => bytes[..at],
                2 => [.. bytes[..at], value, .. bytes[at..]],
                _ => [.. bytes[..at], .. bytes[Math.Min(bytes.Length, at + 1 + value % 8)..]],
            };
            try
            {
                OnnxBertConverter.Convert(bytes, path);
                converted++;
            }
            catch (OnnxFormatException)
            {
                rejected++;
                Assert.False(File.Exists(path), "a rejected graph left an output file");
            }
            File.Delete(path);
        }, seed), iter: 10_000, threads: 1, seed: seed);
        Assert.True(rejected > 1000, $"{rejected} rejected, {converted} converted");
    }

    private static byte[] Flip(byte[] bytes, int at, byte value)
    {
        bytes[at] ^= (byte)(value | 1);
        return bytes;
    }
}
