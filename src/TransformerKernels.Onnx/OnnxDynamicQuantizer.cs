using Google.Protobuf;
using Onnx;

namespace TransformerKernels.Onnx;

/// <summary>
/// Makes ONNX Runtime's own int8 version of a model, the way <c>onnxruntime.quantization.quantize_dynamic</c> does for
/// MatMuls (per_channel=True, weight_type=QInt8): every MatMul whose weight is a float initializer [K, N] becomes a
/// <c>com.microsoft.DynamicQuantizeMatMul</c> with int8 weights quantized symmetrically per output column (scale =
/// max|w| / 127, zero point 0), activations quantized dynamically by ONNX Runtime at run time. The peer for our int8 kernels.
/// </summary>
public static class OnnxDynamicQuantizer
{
    /// <summary>Returns the quantized model and how many MatMuls were replaced.</summary>
    /// <exception cref="OnnxFormatException">The bytes are not an ONNX model.</exception>
    public static (byte[] Model, int QuantizedMatMuls) Quantize(ReadOnlySpan<byte> onnx)
    {
        ModelProto model = OnnxBertConverter.Parse(onnx);
        GraphProto graph = model.Graph ?? throw new OnnxFormatException("the ONNX model has no graph");
        var initializers = graph.Initializer.ToDictionary(t => t.Name, StringComparer.Ordinal);
        var replaced = new HashSet<string>(StringComparer.Ordinal);
        int count = 0;
        for (int i = 0; i < graph.Node.Count; i++)
        {
            NodeProto node = graph.Node[i];
            if (node.OpType != "MatMul" || node.Domain.Length > 0 || node.Input.Count != 2
                || !initializers.TryGetValue(node.Input[1], out TensorProto? weight)
                || weight.Dims.Count != 2 || weight.DataType != (int)TensorProto.Types.DataType.Float)
            {
                continue;
            }
            string name = weight.Name;
            if (replaced.Add(name))
            {
                (TensorProto quantized, TensorProto scales, TensorProto zeroPoints) = QuantizePerColumn(weight);
                graph.Initializer.Add(quantized);
                graph.Initializer.Add(scales);
                graph.Initializer.Add(zeroPoints);
            }
            var dynamic = new NodeProto { Name = node.Name + "_int8", OpType = "DynamicQuantizeMatMul", Domain = "com.microsoft" };
            dynamic.Input.Add(node.Input[0]);
            dynamic.Input.Add(name + "_quantized");
            dynamic.Input.Add(name + "_scale");
            dynamic.Input.Add(name + "_zero_point");
            dynamic.Output.Add(node.Output);
            graph.Node[i] = dynamic;
            count++;
        }
        // Float weights no node reads any more are dropped, so the file shrinks like quantize_dynamic's.
        var stillRead = graph.Node.SelectMany(n => n.Input).ToHashSet(StringComparer.Ordinal);
        foreach (TensorProto unused in graph.Initializer.Where(t => replaced.Contains(t.Name) && !stillRead.Contains(t.Name)).ToList())
        {
            graph.Initializer.Remove(unused);
        }
        if (!model.OpsetImport.Any(o => o.Domain == "com.microsoft"))
        {
            model.OpsetImport.Add(new OperatorSetIdProto { Domain = "com.microsoft", Version = 1 });
        }
        return (model.ToByteArray(), count);
    }

    private static (TensorProto Quantized, TensorProto Scales, TensorProto ZeroPoints) QuantizePerColumn(TensorProto weight)
    {
        int k = checked((int)weight.Dims[0]), n = checked((int)weight.Dims[1]);
        float[] values = OnnxBertConverter.Floats(weight);
        var scales = new float[n];
        for (int row = 0; row < k; row++)
        {
            for (int column = 0; column < n; column++)
            {
                scales[column] = Math.Max(scales[column], Math.Abs(values[row * n + column]));
            }
        }
        for (int column = 0; column < n; column++)
        {
            scales[column] /= 127f;
        }
        var quantized = new byte[k * n];
        for (int i = 0; i < quantized.Length; i++)
        {
            float scale = scales[i % n];
            quantized[i] = (byte)(sbyte)(scale == 0f ? 0 : Math.Clamp(MathF.Round(values[i] / scale), -127f, 127f));
        }
        var q = new TensorProto { Name = weight.Name + "_quantized", DataType = (int)TensorProto.Types.DataType.Int8, RawData = ByteString.CopyFrom(quantized) };
        q.Dims.Add(k);
        q.Dims.Add(n);
        var s = new TensorProto { Name = weight.Name + "_scale", DataType = (int)TensorProto.Types.DataType.Float };
        s.Dims.Add(n);
        s.FloatData.Add(scales);
        var z = new TensorProto { Name = weight.Name + "_zero_point", DataType = (int)TensorProto.Types.DataType.Int8, RawData = ByteString.CopyFrom(new byte[n]) };
        z.Dims.Add(n);
        return (q, s, z);
    }
}
