using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace TransformerKernels;

/// <summary>Writes F32 tensors in the safetensors format (used by converters and tests).</summary>
public static class SafeTensorsWriter
{
    /// <summary>Writes the tensors, in order, to <paramref name="path"/>.</summary>
    public static void Write(string path, IEnumerable<(string Name, long[] Shape, float[] Data)> tensors, IReadOnlyDictionary<string, string>? metadata = null)
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
            foreach (var (name, shape, data) in list)
            {
                if (shape.Aggregate(1L, (a, b) => a * b) != data.Length)
                {
                    throw new ArgumentException($"Tensor '{name}' has {data.Length} floats but shape [{string.Join(", ", shape)}].", nameof(tensors));
                }
                json.WriteStartObject(name);
                json.WriteString("dtype", "F32");
                json.WriteStartArray("shape");
                foreach (long dimension in shape)
                {
                    json.WriteNumberValue(dimension);
                }
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset + 4L * data.Length);
                json.WriteEndArray();
                json.WriteEndObject();
                offset += 4L * data.Length;
            }
            json.WriteEndObject();
        }
        // Pad the header with spaces to a multiple of 8 so the data section is aligned.
        int padding = (int)((8 - header.Length % 8) % 8);
        using var file = new FileStream(path, FileMode.Create, FileAccess.Write);
        file.Write(BitConverter.GetBytes((ulong)(header.Length + padding)));
        file.Write(header.GetBuffer(), 0, (int)header.Length);
        file.Write(Encoding.ASCII.GetBytes(new string(' ', padding)));
        foreach (var (_, _, data) in list)
        {
            file.Write(MemoryMarshal.AsBytes(data.AsSpan()));
        }
    }
}
