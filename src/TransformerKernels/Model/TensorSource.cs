namespace TransformerKernels;

/// <summary>
/// Reads named tensors for the loader, checking each against the shape the declared model needs and remembering which
/// were used, so that tensors nobody asked for can be reported as extra.
/// </summary>
internal sealed class TensorSource(Checkpoint file)
{
    private readonly HashSet<string> _used = new(StringComparer.Ordinal);

    public bool Has(string name) => file.Tensors.ContainsKey(name);

    /// <summary>Reads a tensor that must exist with exactly <paramref name="shape"/>.</summary>
    public float[] Read(string name, params int[] shape)
    {
        Check(name, shape);
        return file.ReadArray(name);
    }

    /// <summary>Reads a tensor straight into native memory (embedding tables: no managed copy of tens of megabytes).</summary>
    public NativeBuffer ReadBuffer(string name, params int[] shape)
    {
        Check(name, shape);
        var buffer = new NativeBuffer(shape.Aggregate(1L, (a, b) => a * b), zeroed: false);
        try
        {
            file.Read(name, buffer.Span);
            return buffer;
        }
        catch
        {
            buffer.Dispose();
            throw;
        }
    }

    private void Check(string name, int[] shape)
    {
        string expected = "[" + string.Join(", ", shape) + "]";
        if (!file.Tensors.TryGetValue(name, out TensorInfo? tensor))
        {
            throw new ModelWeightsException(name, expected, "missing",
                $"{Path.GetFileName(file.FilePath)}: tensor '{name}' is missing; the declared model needs it with shape {expected}.");
        }
        if (!tensor.Shape.SequenceEqual(shape.Select(s => (long)s)))
        {
            throw new ModelWeightsException(name, expected, tensor.ShapeText,
                $"{Path.GetFileName(file.FilePath)}: tensor '{name}' has shape {tensor.ShapeText}; the declared model needs {expected}.");
        }
        _used.Add(name);
    }

    /// <summary>Counts a tensor as used without reading it (parts of a checkpoint the model deliberately ignores).</summary>
    public void MarkUsed(string name) => _used.Add(name);

    /// <summary>Throws for the first tensor in the file that the model did not use.</summary>
    public void RejectUnused()
    {
        foreach (TensorInfo tensor in file.Tensors.Values.OrderBy(t => t.Name, StringComparer.Ordinal))
        {
            if (!_used.Contains(tensor.Name))
            {
                throw new ModelWeightsException(tensor.Name, "absent", tensor.ShapeText,
                    $"{Path.GetFileName(file.FilePath)}: tensor '{tensor.Name}' {tensor.ShapeText} has no place in the declared model; " +
                    "check the declared shape, or load with allowUnusedTensors: true to ignore it.");
            }
        }
    }
}
