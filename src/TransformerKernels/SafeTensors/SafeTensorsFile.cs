using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace TransformerKernels;

/// <summary>
/// A memory-mapped safetensors file (Hugging Face format: 8-byte little-endian header length, a JSON header mapping
/// each name to dtype, shape and [begin, end) byte offsets, then the raw little-endian data). The whole header is
/// validated on open — offsets inside the data, byte counts matching the shapes, no overlaps, no duplicate names —
/// so reading a tensor never goes out of bounds. Malformed files throw <see cref="SafeTensorsFormatException"/>.
/// </summary>
public sealed unsafe class SafeTensorsFile : IDisposable, ITensorStore
{
    /// <summary>Headers above this size are refused rather than read into memory.</summary>
    public const long MaxHeaderBytes = 100L * 1024 * 1024;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly MemoryMappedFile? _map;
    private readonly MemoryMappedViewAccessor? _view;
    private readonly byte* _base;
    private readonly long _dataStart;
    private readonly Dictionary<string, TensorInfo> _tensors;
    private bool _disposed;

    private SafeTensorsFile(string path, MemoryMappedFile? map, MemoryMappedViewAccessor? view, byte* basePointer, long dataStart, Dictionary<string, TensorInfo> tensors, IReadOnlyDictionary<string, string> metadata)
    {
        FilePath = path;
        _map = map;
        _view = view;
        _base = basePointer;
        _dataStart = dataStart;
        _tensors = tensors;
        Metadata = metadata;
    }

    /// <summary>The file's path.</summary>
    public string FilePath { get; }

    /// <summary>The tensors in the header, by name.</summary>
    public IReadOnlyDictionary<string, TensorInfo> Tensors => _tensors;

    /// <summary>The optional <c>__metadata__</c> string map.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Opens and validates a file. The file stays mapped (not read) until disposed.</summary>
    /// <exception cref="SafeTensorsFormatException">The header or an entry is malformed.</exception>
    /// <exception cref="FileNotFoundException">No file at <paramref name="path"/>.</exception>
    public static SafeTensorsFile Open(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (Directory.Exists(path))
        {
            // On Linux opening a directory fails as "access denied", which sends users looking for a permissions problem.
            throw new SafeTensorsFormatException(path, "is a directory, not a safetensors file");
        }
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        long fileLength = stream.Length;
        if (fileLength < 8)
        {
            throw new SafeTensorsFormatException(path, $"file has {fileLength} bytes; a safetensors file starts with an 8-byte header length");
        }
        Span<byte> lengthBytes = stackalloc byte[8];
        stream.ReadExactly(lengthBytes);
        ulong headerLength = BitConverter.ToUInt64(lengthBytes);
        if (headerLength > (ulong)(fileLength - 8) || headerLength > MaxHeaderBytes)
        {
            throw new SafeTensorsFormatException(path, $"header length {headerLength} exceeds the {fileLength - 8} bytes after the length field" +
                                                       (headerLength > MaxHeaderBytes ? $" (limit {MaxHeaderBytes})" : ""));
        }
        var header = new byte[headerLength];
        stream.ReadExactly(header);
        long dataStart = 8 + (long)headerLength;
        long dataLength = fileLength - dataStart;
        (Dictionary<string, TensorInfo> tensors, Dictionary<string, string> metadata) = ParseHeader(path, header, dataLength);

        if (fileLength == 0 || dataLength == 0)
        {
            return new SafeTensorsFile(path, null, null, null, dataStart, tensors, metadata);
        }
        MemoryMappedFile? map = null;
        MemoryMappedViewAccessor? view = null;
        try
        {
            map = MemoryMappedFile.CreateFromFile(stream, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: false);
            view = map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
            byte* pointer = null;
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
            return new SafeTensorsFile(path, map, view, pointer + view.PointerOffset, dataStart, tensors, metadata);
        }
        catch
        {
            view?.Dispose();
            map?.Dispose();
            throw;
        }
    }

    private static (Dictionary<string, TensorInfo>, Dictionary<string, string>) ParseHeader(string path, byte[] header, long dataLength)
    {
        try
        {
            // JsonDocument validates UTF-8 lazily (a bad name would throw later, when read): check it up front.
            StrictUtf8.GetCharCount(header);
        }
        catch (DecoderFallbackException e)
        {
            throw new SafeTensorsFormatException(path, $"header is not valid UTF-8 (byte {e.Index} of the header)", e);
        }
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(header, new JsonDocumentOptions { MaxDepth = 16 });
        }
        catch (JsonException e)
        {
            throw new SafeTensorsFormatException(path, $"header is not valid JSON ({e.Message})", e);
        }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new SafeTensorsFormatException(path, $"header is a JSON {document.RootElement.ValueKind}, not an object of tensors");
            }
            var tensors = new Dictionary<string, TensorInfo>(StringComparer.Ordinal);
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (JsonProperty property in document.RootElement.EnumerateObject())
            {
                if (property.Name == "__metadata__")
                {
                    ParseMetadata(path, property.Value, metadata);
                    continue;
                }
                TensorInfo tensor = ParseTensor(path, property.Name, property.Value, dataLength);
                if (!tensors.TryAdd(tensor.Name, tensor))
                {
                    throw new SafeTensorsFormatException(path, $"tensor '{tensor.Name}' appears twice in the header");
                }
            }
            CheckNoOverlap(path, tensors.Values);
            return (tensors, metadata);
        }
    }

    private static void ParseMetadata(string path, JsonElement value, Dictionary<string, string> metadata)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            throw new SafeTensorsFormatException(path, "__metadata__ must be an object of strings");
        }
        foreach (JsonProperty entry in value.EnumerateObject())
        {
            if (entry.Value.ValueKind != JsonValueKind.String)
            {
                throw new SafeTensorsFormatException(path, $"__metadata__ entry '{entry.Name}' is not a string");
            }
            metadata[entry.Name] = entry.Value.GetString()!;
        }
    }

    private static TensorInfo ParseTensor(string path, string name, JsonElement value, long dataLength)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            throw new SafeTensorsFormatException(path, $"tensor '{name}': entry is not an object");
        }
        if (!value.TryGetProperty("dtype", out JsonElement dtypeElement) || dtypeElement.ValueKind != JsonValueKind.String)
        {
            throw new SafeTensorsFormatException(path, $"tensor '{name}': missing or non-string 'dtype'");
        }
        TensorDType dtype = dtypeElement.GetString() switch
        {
            "F32" => TensorDType.F32,
            "F16" => TensorDType.F16,
            "BF16" => TensorDType.BF16,
            "F64" => TensorDType.F64,
            "I64" => TensorDType.I64,
            "I32" => TensorDType.I32,
            "I16" => TensorDType.I16,
            "I8" => TensorDType.I8,
            "U8" => TensorDType.U8,
            "BOOL" => TensorDType.Bool,
            var other => throw new SafeTensorsFormatException(path, $"tensor '{name}': dtype '{other}' is not a safetensors dtype this loader knows (F32, F16, BF16, F64, I64, I32, I16, I8, U8, BOOL)"),
        };
        if (!value.TryGetProperty("shape", out JsonElement shapeElement) || shapeElement.ValueKind != JsonValueKind.Array)
        {
            throw new SafeTensorsFormatException(path, $"tensor '{name}': missing or non-array 'shape'");
        }
        var shape = new List<long>();
        long elements = 1;
        foreach (JsonElement dimension in shapeElement.EnumerateArray())
        {
            if (dimension.ValueKind != JsonValueKind.Number || !dimension.TryGetInt64(out long size) || size < 0)
            {
                throw new SafeTensorsFormatException(path, $"tensor '{name}': shape entry {dimension} is not a non-negative integer");
            }
            elements = size == 0 || elements == 0 ? 0 : elements > long.MaxValue / size ? throw new SafeTensorsFormatException(path, $"tensor '{name}': shape overflows") : elements * size;
            shape.Add(size);
        }
        if (!value.TryGetProperty("data_offsets", out JsonElement offsets) || offsets.ValueKind != JsonValueKind.Array || offsets.GetArrayLength() != 2
            || !offsets[0].TryGetInt64(out long begin) || !offsets[1].TryGetInt64(out long end))
        {
            throw new SafeTensorsFormatException(path, $"tensor '{name}': 'data_offsets' must be [begin, end] integers");
        }
        if (begin < 0 || end < begin || end > dataLength)
        {
            throw new SafeTensorsFormatException(path, $"tensor '{name}': data_offsets [{begin}, {end}] are outside the {dataLength}-byte data section");
        }
        long elementSize = TensorInfo.SizeOf(dtype);
        if (elements > long.MaxValue / elementSize || end - begin != elements * elementSize)
        {
            throw new SafeTensorsFormatException(path, $"tensor '{name}': shape [{string.Join(", ", shape)}] of {dtype} needs {elements * elementSize} bytes but data_offsets span {end - begin}");
        }
        return new TensorInfo(name, dtype, shape.ToArray(), begin, end);
    }

    private static void CheckNoOverlap(string path, IEnumerable<TensorInfo> tensors)
    {
        TensorInfo? previous = null;
        foreach (TensorInfo tensor in tensors.Where(t => t.End > t.Begin).OrderBy(t => t.Begin))
        {
            if (previous is not null && tensor.Begin < previous.End)
            {
                throw new SafeTensorsFormatException(path, $"tensors '{previous.Name}' and '{tensor.Name}' overlap in the data section");
            }
            previous = tensor;
        }
    }

    /// <summary>
    /// Copies a tensor into <paramref name="destination"/> as floats, widening F16/BF16.
    /// </summary>
    /// <exception cref="KeyNotFoundException">No tensor of that name.</exception>
    /// <exception cref="ArgumentException">The destination length is not the tensor's element count.</exception>
    public void Read(string name, Span<float> destination)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!_tensors.TryGetValue(name, out TensorInfo? tensor))
        {
            throw new KeyNotFoundException($"{Path.GetFileName(FilePath)} has no tensor '{name}'.");
        }
        if (destination.Length != tensor.ElementCount)
        {
            throw new ArgumentException($"Tensor '{name}' {tensor.ShapeText} has {tensor.ElementCount} elements; the destination has {destination.Length}.", nameof(destination));
        }
        if (tensor.ElementCount == 0)
        {
            return;
        }
        byte* source = _base + _dataStart + tensor.Begin;
        switch (tensor.DType)
        {
            case TensorDType.F32:
                new ReadOnlySpan<byte>(source, checked((int)(tensor.End - tensor.Begin))).CopyTo(MemoryMarshal.AsBytes(destination));
                break;
            case TensorDType.F16:
                var halves = new ReadOnlySpan<Half>(source, destination.Length);
                for (int i = 0; i < halves.Length; i++)
                {
                    destination[i] = (float)halves[i];
                }
                break;
            case TensorDType.BF16:
                var upper = new ReadOnlySpan<ushort>(source, destination.Length);
                for (int i = 0; i < upper.Length; i++)
                {
                    destination[i] = BitConverter.Int32BitsToSingle(upper[i] << 16);
                }
                break;
            default:
                throw new SafeTensorsFormatException(FilePath, $"tensor '{name}' is {tensor.DType}; only F32, F16 and BF16 tensors can be read as weights");
        }
    }

    /// <summary>The mapped data of an F32 tensor, valid until this file is disposed (for zero-copy prepacked weights).</summary>
    internal float* MappedFloats(string name, long expectedElements) => (float*)Mapped(name, TensorDType.F32, expectedElements);

    /// <summary>The mapped data of a tensor of <paramref name="dtype"/>, 4-byte aligned, valid until this file is disposed.</summary>
    internal byte* Mapped(string name, TensorDType dtype, long expectedElements)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!_tensors.TryGetValue(name, out TensorInfo? tensor) || tensor.DType != dtype || tensor.ElementCount != expectedElements)
        {
            throw new ModelWeightsException(name, $"{dtype} [{expectedElements}]", tensor is null ? "missing" : $"{tensor.DType} {tensor.ShapeText}",
                $"{Path.GetFileName(FilePath)}: prepacked tensor '{name}' is {(tensor is null ? "missing" : $"{tensor.DType} {tensor.ShapeText}")}; expected {expectedElements} {dtype} values.");
        }
        byte* data = _base + _dataStart + tensor.Begin;
        if ((nuint)data % 4 != 0)
        {
            throw new ModelWeightsException(name, "4-byte aligned data", "misaligned", $"{Path.GetFileName(FilePath)}: prepacked tensor '{name}' is not 4-byte aligned.");
        }
        return data;
    }

    /// <summary>A tensor as a new float array.</summary>
    public float[] ReadArray(string name)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!_tensors.TryGetValue(name, out TensorInfo? tensor))
        {
            throw new KeyNotFoundException($"{Path.GetFileName(FilePath)} has no tensor '{name}'.");
        }
        var result = new float[checked((int)tensor.ElementCount)];
        Read(name, result);
        return result;
    }

    /// <summary>Unmaps the file and releases its handle.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        if (_view is not null)
        {
            _view.SafeMemoryMappedViewHandle.ReleasePointer();
            _view.Dispose();
        }
        _map?.Dispose();
    }
}
