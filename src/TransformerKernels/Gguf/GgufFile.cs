using System.IO.MemoryMappedFiles;
using System.Text;

namespace TransformerKernels;

/// <summary>
/// A memory-mapped GGUF file (llama.cpp's format: a header, typed metadata key/value pairs, tensor descriptors, then the
/// aligned tensor data). Everything before the data is parsed and checked at open — every count against the bytes that are
/// left, every tensor's range inside the data and apart from the others — so reading a tensor never leaves the file, and a
/// hostile count is a <see cref="GgufFormatException"/> rather than an allocation.
/// </summary>
public sealed unsafe class GgufFile : IDisposable
{
    private const uint Magic = 0x46554747; // "GGUF" little-endian
    private const int MaxArrayDepth = 4;
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly MemoryMappedFile _map;
    private readonly MemoryMappedViewAccessor _view;
    private readonly byte* _base;
    private readonly long _dataStart;
    private bool _disposed;

    private GgufFile(string path, MemoryMappedFile map, MemoryMappedViewAccessor view, byte* basePointer, int version,
                     Dictionary<string, object> metadata, Dictionary<string, GgufTensor> tensors, long dataStart)
    {
        FilePath = path;
        _map = map;
        _view = view;
        _base = basePointer;
        Version = version;
        Metadata = metadata;
        Tensors = tensors;
        _dataStart = dataStart;
    }

    /// <summary>The file's path.</summary>
    public string FilePath { get; }

    /// <summary>The format version (2 or 3).</summary>
    public int Version { get; }

    /// <summary>
    /// Metadata by key: integers as <see cref="long"/> (or <see cref="ulong"/> for UINT64), reals as <see cref="double"/>,
    /// <see cref="bool"/>, <see cref="string"/>, arrays as <c>object[]</c> of those.
    /// </summary>
    public IReadOnlyDictionary<string, object> Metadata { get; }

    /// <summary>The tensors by name.</summary>
    public IReadOnlyDictionary<string, GgufTensor> Tensors { get; }

    /// <summary>Opens and validates a file; it stays mapped until disposed.</summary>
    /// <exception cref="GgufFormatException">The file is malformed, or holds a tensor type this loader does not read.</exception>
    /// <exception cref="FileNotFoundException">No file at <paramref name="path"/>.</exception>
    public static GgufFile Open(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (Directory.Exists(path))
        {
            throw new GgufFormatException(path, "is a directory, not a GGUF file");
        }
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        long length = stream.Length;
        if (length < 24)
        {
            throw new GgufFormatException(path, $"file has {length} bytes; a GGUF file starts with a 24-byte header (magic, version, tensor count, metadata count)");
        }
        MemoryMappedFile map = MemoryMappedFile.CreateFromFile(stream, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: false);
        MemoryMappedViewAccessor? view = null;
        bool acquired = false;
        try
        {
            view = map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
            byte* pointer = null;
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
            acquired = true;
            byte* basePointer = pointer + view.PointerOffset;
            var reader = new Reader(path, basePointer, length);
            (int version, Dictionary<string, object> metadata, Dictionary<string, GgufTensor> tensors, long dataStart) = Parse(ref reader);
            return new GgufFile(path, map, view, basePointer, version, metadata, tensors, dataStart);
        }
        catch
        {
            if (acquired)
            {
                view!.SafeMemoryMappedViewHandle.ReleasePointer();
            }
            view?.Dispose();
            map.Dispose();
            throw;
        }
    }

    private static (int, Dictionary<string, object>, Dictionary<string, GgufTensor>, long) Parse(ref Reader r)
    {
        uint magic = r.U32("magic");
        if (magic != Magic)
        {
            throw r.Error(magic == 0x47475546 ? "is a big-endian GGUF file; only little-endian files are read" : $"magic is 0x{magic:X8}, not \"GGUF\"");
        }
        uint version = r.U32("version");
        if (version is not (2 or 3))
        {
            throw r.Error($"version {version} is not supported (versions 2 and 3 are read; version 1 used 32-bit counts)");
        }
        ulong tensorCount = r.U64("tensor_count"), metadataCount = r.U64("metadata_kv_count");
        // Every metadata pair takes at least 13 bytes (empty key + type + one byte), every tensor descriptor at least 28.
        if (metadataCount > (ulong)(r.Remaining / 13))
        {
            throw r.Error($"metadata_kv_count {metadataCount} cannot fit in the {r.Remaining} bytes that follow the header");
        }
        if (tensorCount > (ulong)(r.Remaining / 28))
        {
            throw r.Error($"tensor_count {tensorCount} cannot fit in the {r.Remaining} bytes that follow the header");
        }
        var metadata = new Dictionary<string, object>(StringComparer.Ordinal);
        for (ulong i = 0; i < metadataCount; i++)
        {
            string key = r.String("metadata key");
            uint type = r.U32($"type of '{key}'");
            object value = r.Value(type, key, depth: 0);
            if (!metadata.TryAdd(key, value))
            {
                throw r.Error($"metadata key '{key}' appears twice");
            }
        }
        long alignment = 32;
        if (metadata.TryGetValue("general.alignment", out object? aligned))
        {
            alignment = aligned is long a and > 0 and <= 1 << 20 && (a & (a - 1)) == 0
                ? a
                : throw r.Error($"general.alignment {aligned} is not a power of two up to 1 MiB");
        }
        var descriptors = new List<(string Name, uint Type, long[] Dims, ulong Offset)>((int)tensorCount);
        for (ulong i = 0; i < tensorCount; i++)
        {
            string name = r.String("tensor name");
            uint dimensionCount = r.U32($"n_dimensions of tensor '{name}'");
            if (dimensionCount is 0 or > 4)
            {
                throw r.Error($"tensor '{name}' has {dimensionCount} dimensions; GGUF tensors have 1 to 4");
            }
            var dims = new long[dimensionCount];
            for (int d = 0; d < dims.Length; d++)
            {
                ulong size = r.U64($"dimension {d} of tensor '{name}'");
                dims[d] = size is > 0 and <= int.MaxValue ? (long)size : throw r.Error($"tensor '{name}' dimension {d} is {size}; dimensions are 1 to {int.MaxValue}");
            }
            descriptors.Add((name, r.U32($"type of tensor '{name}'"), dims, r.U64($"offset of tensor '{name}'")));
        }
        long dataStart = Align(r.Position, alignment);
        if (dataStart > r.Length)
        {
            throw r.Error($"the tensor data would start at byte {dataStart}, past the end of the {r.Length}-byte file");
        }
        long dataLength = r.Length - dataStart;
        var tensors = new Dictionary<string, GgufTensor>(StringComparer.Ordinal);
        foreach ((string name, uint rawType, long[] dims, ulong offset) in descriptors)
        {
            if (!GgufTypes.IsKnown(rawType))
            {
                throw r.Error($"tensor '{name}' has ggml type {rawType}, which this loader does not read (it reads F32, F16, BF16, Q8_0, Q4_0 and Q4_K)");
            }
            var type = (GgufTensorType)rawType;
            int blockElements = GgufTypes.BlockElements(type);
            if (dims[0] % blockElements != 0)
            {
                throw r.Error($"tensor '{name}' is {type} with a first dimension of {dims[0]}, not a multiple of its {blockElements}-element blocks");
            }
            long elements;
            try
            {
                elements = dims.Aggregate(1L, (a, b) => checked(a * b));
            }
            catch (OverflowException)
            {
                throw r.Error($"tensor '{name}' [{string.Join(", ", dims)}] has more elements than a 64-bit count holds");
            }
            long bytes = elements / blockElements * GgufTypes.BlockBytes(type);
            if (offset % (ulong)alignment != 0 || offset > (ulong)dataLength || (ulong)bytes > (ulong)dataLength - offset)
            {
                throw r.Error($"tensor '{name}' ({bytes} bytes at data offset {offset}) lies outside the {dataLength} data bytes or is not aligned to {alignment}");
            }
            if (!tensors.TryAdd(name, new GgufTensor(name, type, dims, (long)offset, bytes)))
            {
                throw r.Error($"tensor '{name}' is described twice");
            }
        }
        GgufTensor? previous = null;
        foreach (GgufTensor tensor in tensors.Values.OrderBy(t => t.Offset))
        {
            if (previous is not null && tensor.Offset < previous.Offset + previous.ByteLength)
            {
                throw r.Error($"tensors '{previous.Name}' and '{tensor.Name}' overlap in the data section");
            }
            previous = tensor;
        }
        return ((int)version, metadata, tensors, dataStart);
    }

    private static long Align(long position, long alignment) => (position + alignment - 1) / alignment * alignment;

    /// <summary>Copies a tensor into <paramref name="destination"/> as floats, dequantizing blocks.</summary>
    /// <exception cref="KeyNotFoundException">No tensor of that name.</exception>
    /// <exception cref="ArgumentException">The destination length is not the tensor's element count.</exception>
    public void Read(string name, Span<float> destination)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!Tensors.TryGetValue(name, out GgufTensor? tensor))
        {
            throw new KeyNotFoundException($"{Path.GetFileName(FilePath)} has no tensor '{name}'.");
        }
        if (destination.Length != tensor.ElementCount)
        {
            throw new ArgumentException($"Tensor '{name}' has {tensor.ElementCount} elements; the destination has {destination.Length}.", nameof(destination));
        }
        GgufDequantize.Run(tensor.Type, new ReadOnlySpan<byte>(_base + _dataStart + tensor.Offset, checked((int)tensor.ByteLength)), destination);
    }

    /// <summary>A whole-number metadata value, or null when the key is absent.</summary>
    /// <exception cref="GgufFormatException">The key holds something else.</exception>
    public long? Integer(string key) => !Metadata.TryGetValue(key, out object? value) ? null
        : value switch
        {
            long l => l,
            ulong u when u <= long.MaxValue => (long)u,
            _ => throw new GgufFormatException(FilePath, $"metadata '{key}' is {Describe(value)}, not a whole number"),
        };

    /// <summary>A real-valued metadata value, or null when the key is absent.</summary>
    /// <exception cref="GgufFormatException">The key holds something else.</exception>
    public double? Real(string key) => !Metadata.TryGetValue(key, out object? value) ? null
        : value switch
        {
            double d => d,
            long l => l,
            _ => throw new GgufFormatException(FilePath, $"metadata '{key}' is {Describe(value)}, not a number"),
        };

    /// <summary>A string metadata value, or null when the key is absent.</summary>
    /// <exception cref="GgufFormatException">The key holds something else.</exception>
    public string? Text(string key) => !Metadata.TryGetValue(key, out object? value) ? null
        : value as string ?? throw new GgufFormatException(FilePath, $"metadata '{key}' is {Describe(value)}, not a string");

    private static string Describe(object value) => value is object[] array ? $"an array of {array.Length}" : $"{value.GetType().Name} {value}";

    /// <summary>Unmaps the file.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _map.Dispose();
    }

    /// <summary>Reads the header region with a bounds check before every field.</summary>
    private ref struct Reader(string path, byte* data, long length)
    {
        public readonly long Length = length;
        public long Position;

        public readonly long Remaining => Length - Position;

        public readonly GgufFormatException Error(string problem) => new(path, problem);

        private readonly void Need(long bytes, string field)
        {
            if (bytes > Remaining)
            {
                throw Error($"ends inside {field} (at byte {Position}, {bytes} bytes needed, {Remaining} left)");
            }
        }

        public uint U32(string field)
        {
            Need(4, field);
            uint value = *(uint*)(data + Position);
            Position += 4;
            return value;
        }

        public ulong U64(string field)
        {
            Need(8, field);
            ulong value = *(ulong*)(data + Position);
            Position += 8;
            return value;
        }

        public string String(string field)
        {
            ulong length = U64(field + " length");
            if (length > (ulong)Remaining)
            {
                throw Error($"{field} claims {length} bytes; {Remaining} are left in the file");
            }
            if (length > 1 << 20)
            {
                throw Error($"{field} claims {length} bytes; strings are limited to 1 MiB here");
            }
            try
            {
                string text = StrictUtf8.GetString(data + Position, (int)length);
                Position += (long)length;
                return text;
            }
            catch (DecoderFallbackException e)
            {
                throw new GgufFormatException(path, $"{field} at byte {Position} is not valid UTF-8", e);
            }
        }

        public object Value(uint type, string key, int depth)
        {
            switch (type)
            {
                case 0: Need(1, key); return (long)data[Position++];
                case 1: Need(1, key); return (long)(sbyte)data[Position++];
                case 2: Need(2, key); { long v = *(ushort*)(data + Position); Position += 2; return v; }
                case 3: Need(2, key); { long v = *(short*)(data + Position); Position += 2; return v; }
                case 4: return (long)U32(key);
                case 5: return (long)(int)U32(key);
                case 6: { uint bits = U32(key); return (double)BitConverter.UInt32BitsToSingle(bits); }
                case 7:
                    Need(1, key);
                    byte b = data[Position++];
                    return b <= 1 ? b == 1 : throw Error($"metadata '{key}' is a bool of value {b}; bools are 0 or 1");
                case 8: return String($"metadata '{key}'");
                case 9:
                    if (depth >= MaxArrayDepth)
                    {
                        throw Error($"metadata '{key}' nests arrays deeper than {MaxArrayDepth}");
                    }
                    uint itemType = U32($"item type of '{key}'");
                    ulong count = U64($"count of '{key}'");
                    long smallest = itemType switch { 0 or 1 or 7 => 1, 2 or 3 => 2, 4 or 5 or 6 => 4, 8 or 10 or 11 or 12 => 8, 9 => 12, _ => 1 };
                    if (count > (ulong)(Remaining / smallest))
                    {
                        throw Error($"metadata '{key}' claims {count} items; at most {Remaining / smallest} fit in the {Remaining} bytes left");
                    }
                    var items = new object[count];
                    for (ulong i = 0; i < count; i++)
                    {
                        items[i] = Value(itemType, key, depth + 1);
                    }
                    return items;
                case 10: return U64(key);
                case 11: return (long)U64(key);
                case 12: { ulong bits = U64(key); return BitConverter.UInt64BitsToDouble(bits); }
                default: throw Error($"metadata '{key}' has value type {type}, which GGUF does not define");
            }
        }
    }
}
