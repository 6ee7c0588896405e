using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace TransformerKernels;

/// <summary>Writes tensors in the safetensors format (used by converters, prepacked caches and tests).</summary>
public static class SafeTensorsWriter
{
    /// <summary>Writes F32 tensors, in order, to <paramref name="path"/>.</summary>
    public static void Write(string path, IEnumerable<(string Name, long[] Shape, float[] Data)> tensors, IReadOnlyDictionary<string, string>? metadata = null) =>
        Write(path, tensors.Select(t => t.Shape.Aggregate(1L, (a, b) => a * b) == t.Data.Length
            ? new RawTensor(t.Name, TensorDType.F32, t.Shape, MemoryMarshal.AsBytes(t.Data.AsSpan()).ToArray())
            : throw new ArgumentException($"Tensor '{t.Name}' has {t.Data.Length} floats but shape [{string.Join(", ", t.Shape)}].", nameof(tensors))), metadata);

    /// <summary>Writes tensors of any dtype, given as little-endian bytes, in order, to <paramref name="path"/>.</summary>
    public static void Write(string path, IEnumerable<RawTensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var list = tensors.ToList();
        using var header = new MemoryStream();
        using (var json = new Utf8JsonWriter(header))
        {
            json.WriteStartObject();
            if (metadata is not null)
            {
                json.WriteStartObject("__metadata__");
                foreach (var (key, value) in metadata)
                {
                    json.WriteString(key, value);
                }
                json.WriteEndObject();
            }
            long offset = 0;
            foreach (RawTensor tensor in list)
            {
                long elements = tensor.Shape.Aggregate(1L, (a, b) => a * b);
                if (elements * TensorInfo.SizeOf(tensor.DType) != tensor.Data.Length)
                {
                    throw new ArgumentException($"Tensor '{tensor.Name}' has {tensor.Data.Length} bytes but is {tensor.DType} [{string.Join(", ", tensor.Shape)}].", nameof(tensors));
                }
                json.WriteStartObject(tensor.Name);
                json.WriteString("dtype", tensor.DType.ToString());
                json.WriteStartArray("shape");
                foreach (long dimension in tensor.Shape)
                {
                    json.WriteNumberValue(dimension);
                }
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset + tensor.Data.Length);
                json.WriteEndArray();
                json.WriteEndObject();
                // Offsets are contiguous, as safetensors requires: a tensor is as aligned as the bytes before it add up to (every
                // tensor PackedCheckpoint writes is a multiple of 4 bytes, so its mapped views stay 4-byte aligned).
                offset += tensor.Data.Length;
            }
            json.WriteEndObject();
        }
        // Pad the header with spaces to a multiple of 8 so the data section is aligned.
        int padding = (int)((8 - header.Length % 8) % 8);
        using var file = new FileStream(path, FileMode.Create, FileAccess.Write);
        file.Write(BitConverter.GetBytes((ulong)(header.Length + padding)));
        file.Write(header.GetBuffer(), 0, (int)header.Length);
        file.Write(Encoding.ASCII.GetBytes(new string(' ', padding)));
        foreach (RawTensor tensor in list)
        {
            file.Write(tensor.Data.Span);
        }
    }
}

/// <summary>A tensor to write: its dtype, shape and little-endian bytes.</summary>
public sealed record RawTensor(string Name, TensorDType DType, long[] Shape, ReadOnlyMemory<byte> Data);
