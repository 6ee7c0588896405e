using Google.Protobuf;
using Onnx;

namespace TransformerKernels.Onnx;

/// <summary>
/// Converts a Hugging Face BERT model exported to ONNX into safetensors with BERT names, the checkpoint
/// <see cref="WeightNaming.Bert"/> loads. Embedding, bias and LayerNorm initializers keep their names; the MatMul weights
/// are anonymous and stored [in, out], so each is named after the bias its MatMul's Add consumes
/// (<c>…query.bias</c> → <c>…query.weight</c>) and transposed to PyTorch's [out, in].
/// </summary>
public static class OnnxBertConverter
{
    /// <summary>Parses <paramref name="onnx"/> and writes the safetensors file; returns the tensors written.</summary>
    /// <exception cref="OnnxFormatException">The bytes are not an ONNX model, or the graph is not a BERT export.</exception>
    public static IReadOnlyList<string> Convert(ReadOnlySpan<byte> onnx, string safetensorsPath)
    {
        ModelProto model = Parse(onnx);
        if (model.Graph is null || model.Graph.Initializer.Count == 0)
        {
            throw new OnnxFormatException("the ONNX model has no graph initializers; expected a BERT export with inline weights");
        }
        var tensors = ConvertGraph(model.Graph);
        SafeTensorsWriter.Write(safetensorsPath, tensors, new Dictionary<string, string> { ["source"] = "onnx:" + model.ProducerName });
        return tensors.Select(t => t.Name).ToList();
    }

    private static List<(string Name, long[] Shape, float[] Data)> ConvertGraph(GraphProto graph)
    {
        var initializers = new Dictionary<string, TensorProto>(StringComparer.Ordinal);
        foreach (TensorProto initializer in graph.Initializer)
        {
            if (!initializers.TryAdd(initializer.Name, initializer))
            {
                throw new OnnxFormatException($"initializer '{initializer.Name}' appears twice");
            }
        }
        var consumers = new Dictionary<string, List<NodeProto>>(StringComparer.Ordinal);
        foreach (NodeProto node in graph.Node)
        {
            foreach (string input in node.Input)
            {
                if (!consumers.TryGetValue(input, out List<NodeProto>? list))
                {
                    consumers[input] = list = [];
                }
                list.Add(node);
            }
        }

        var result = new List<(string, long[], float[])>();
        var anonymous = new HashSet<string>(StringComparer.Ordinal);
        foreach (NodeProto node in graph.Node.Where(n => n.OpType == "MatMul"))
        {
            string? weightName = node.Input.Count == 2 && initializers.ContainsKey(node.Input[1]) ? node.Input[1] : null;
            if (weightName is null)
            {
                continue; // activations × activations (attention scores) carry no weights
            }
            TensorProto weight = initializers[weightName];
            if (weight.Dims.Count != 2)
            {
                throw new OnnxFormatException($"MatMul '{node.Name}': weight '{weightName}' has {weight.Dims.Count} dimensions; expected [in, out]");
            }
            string bias = FindBias(node, consumers, initializers)
                ?? throw new OnnxFormatException($"MatMul '{node.Name}' (weight '{weightName}' [{string.Join(", ", weight.Dims)}]) is not followed by an Add of a named '*.bias' initializer; this converter understands Hugging Face BERT exports");
            string name = bias[..^".bias".Length] + ".weight";
            float[] data = Floats(weight); // validates the dimensions before they are used
            int rows = (int)weight.Dims[0], columns = (int)weight.Dims[1];
            var transposed = new float[data.Length];
            for (int r = 0; r < rows; r++)
            {
                for (int c = 0; c < columns; c++)
                {
                    transposed[c * rows + r] = data[r * columns + c];
                }
            }
            result.Add((name, [columns, rows], transposed));
            anonymous.Add(weightName);
        }
        foreach ((string name, TensorProto tensor) in initializers)
        {
            if (anonymous.Contains(name) || tensor.DataType != (int)TensorProto.Types.DataType.Float)
            {
                continue; // converted above, or an integer buffer such as position_ids
            }
            if (!name.Contains('.'))
            {
                throw new OnnxFormatException($"initializer '{name}' [{string.Join(", ", tensor.Dims)}] has no Hugging Face name and feeds no MatMul this converter can name");
            }
            result.Add((name, tensor.Dims.ToArray(), Floats(tensor)));
        }
        if (!result.Any(t => t.Item1.EndsWith("attention.self.query.weight", StringComparison.Ordinal)))
        {
            throw new OnnxFormatException("no attention query projection found; expected a BERT encoder");
        }
        return result;
    }

    /// <summary>The named bias added to the MatMul's output, if the next node is such an Add.</summary>
    private static string? FindBias(NodeProto matMul, Dictionary<string, List<NodeProto>> consumers, Dictionary<string, TensorProto> initializers)
    {
        if (!consumers.TryGetValue(matMul.Output[0], out List<NodeProto>? next))
        {
            return null;
        }
        foreach (NodeProto add in next.Where(n => n.OpType == "Add"))
        {
            string? bias = add.Input.FirstOrDefault(i => i != matMul.Output[0] && initializers.ContainsKey(i) && i.EndsWith(".bias", StringComparison.Ordinal));
            if (bias is not null)
            {
                return bias;
            }
        }
        return null;
    }

    /// <summary>Parses ONNX bytes; anything that is not a model becomes an <see cref="OnnxFormatException"/>.</summary>
    internal static ModelProto Parse(ReadOnlySpan<byte> onnx)
    {
        try
        {
            return ModelProto.Parser.ParseFrom(onnx);
        }
        catch (Exception e) when (e is InvalidProtocolBufferException or InvalidOperationException)
        {
            throw new OnnxFormatException($"not an ONNX model: {e.Message}", e);
        }
    }

    internal static float[] Floats(TensorProto tensor)
    {
        if (tensor.DataType != (int)TensorProto.Types.DataType.Float)
        {
            throw new OnnxFormatException($"initializer '{tensor.Name}' has data type {tensor.DataType}; only float32 weights are converted");
        }
        if (tensor.Dims.Any(d => d < 0 || d > int.MaxValue))
        {
            throw new OnnxFormatException($"initializer '{tensor.Name}' has an invalid shape [{string.Join(", ", tensor.Dims)}]");
        }
        long count = tensor.Dims.Aggregate(1L, (a, b) => b == 0 || a <= int.MaxValue / b ? a * b : long.MaxValue);
        if (count > int.MaxValue)
        {
            throw new OnnxFormatException($"initializer '{tensor.Name}' has an invalid shape [{string.Join(", ", tensor.Dims)}]");
        }
        if (tensor.RawData.Length > 0)
        {
            if (tensor.RawData.Length != count * 4)
            {
                throw new OnnxFormatException($"initializer '{tensor.Name}' [{string.Join(", ", tensor.Dims)}] has {tensor.RawData.Length} bytes of raw data; expected {count * 4}");
            }
            return System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(tensor.RawData.Span).ToArray();
        }
        if (tensor.FloatData.Count != count)
        {
            throw new OnnxFormatException($"initializer '{tensor.Name}' [{string.Join(", ", tensor.Dims)}] has {tensor.FloatData.Count} floats; expected {count}");
        }
        return tensor.FloatData.ToArray();
    }
}
