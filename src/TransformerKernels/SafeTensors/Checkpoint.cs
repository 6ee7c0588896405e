using System.Text.Json;

namespace TransformerKernels;

/// <summary>
/// The tensors of a checkpoint as a user has it: one safetensors file, or Hugging Face's sharded form — a
/// <c>model.safetensors.index.json</c> whose <c>weight_map</c> names the shard of every tensor — or a directory holding
/// either. The index is checked against the shards (every listed tensor is in its shard, no shard holds a tensor the
/// index does not list, no name twice), so a tensor is always read from the one file that has it. A <c>.gguf</c> file (llama.cpp's
/// format) is read as a Hugging Face Llama checkpoint through <see cref="GgufLlamaTensors"/>.
/// </summary>
internal sealed class Checkpoint : IDisposable
{
    /// <summary>The file Hugging Face's <c>save_pretrained</c> writes for an unsharded checkpoint.</summary>
    public const string SingleFileName = "model.safetensors";

    /// <summary>The index Hugging Face's <c>save_pretrained</c> writes beside the shards of a sharded checkpoint.</summary>
    public const string IndexFileName = "model.safetensors.index.json";

    private readonly ITensorStore[] _shards;
    private readonly Dictionary<string, ITensorStore> _shardOf;
    private readonly Dictionary<string, TensorInfo> _tensors;

    private Checkpoint(string path, ITensorStore[] shards, Dictionary<string, ITensorStore> shardOf)
    {
        FilePath = path;
        _shards = shards;
        _shardOf = shardOf;
        _tensors = shardOf.ToDictionary(pair => pair.Key, pair => pair.Value.Tensors[pair.Key], StringComparer.Ordinal);
    }

    /// <summary>The safetensors file or the index this checkpoint was opened from (its directory holds the config.json).</summary>
    public string FilePath { get; }

    /// <summary>The GGUF file this checkpoint was opened from, or null for safetensors.</summary>
    public GgufLlamaTensors? Gguf => _shards is [GgufLlamaTensors gguf] ? gguf : null;

    /// <summary>Every tensor of every shard, by name.</summary>
    public IReadOnlyDictionary<string, TensorInfo> Tensors => _tensors;

    /// <summary>The <c>__metadata__</c> of the first shard.</summary>
    public IReadOnlyDictionary<string, string> Metadata => _shards[0].Metadata;

    /// <summary>Opens a safetensors file, an index of shards, or a directory with <c>model.safetensors</c> or the index.</summary>
    /// <exception cref="SafeTensorsFormatException">A file is malformed, or the index disagrees with its shards.</exception>
    /// <exception cref="FileNotFoundException">No checkpoint at <paramref name="path"/>.</exception>
    public static Checkpoint Open(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        path = Resolve(path);
        if (!path.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
        {
            ITensorStore file = path.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase) ? GgufLlamaTensors.Open(path) : SafeTensorsFile.Open(path);
            return new Checkpoint(path, [file], file.Tensors.Keys.ToDictionary(name => name, _ => file, StringComparer.Ordinal));
        }
        Dictionary<string, string> weightMap = ReadWeightMap(path);
        string directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        var shards = new List<ITensorStore>();
        try
        {
            var shardOf = new Dictionary<string, ITensorStore>(StringComparer.Ordinal);
            foreach (string shardName in weightMap.Values.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
            {
                if (Path.GetFileName(shardName) != shardName)
                {
                    throw new SafeTensorsFormatException(path, $"weight_map names the shard '{shardName}'; shards are file names in the index's directory");
                }
                SafeTensorsFile shard = SafeTensorsFile.Open(Path.Combine(directory, shardName));
                shards.Add(shard);
                foreach (string name in shard.Tensors.Keys)
                {
                    if (!weightMap.TryGetValue(name, out string? listed) || listed != shardName)
                    {
                        throw new SafeTensorsFormatException(path, $"shard '{shardName}' holds tensor '{name}', which weight_map " +
                                                                   (listed is null ? "does not list" : $"places in '{listed}'"));
                    }
                    shardOf[name] = shard;
                }
            }
            if (weightMap.Keys.FirstOrDefault(name => !shardOf.ContainsKey(name)) is { } lost)
            {
                throw new SafeTensorsFormatException(path, $"weight_map places tensor '{lost}' in '{weightMap[lost]}', which does not hold it");
            }
            return new Checkpoint(path, [.. shards], shardOf);
        }
        catch
        {
            shards.ForEach(shard => shard.Dispose());
            throw;
        }
    }

    /// <summary>A directory stands for the checkpoint in it: <c>model.safetensors</c>, else the index of its shards.</summary>
    private static string Resolve(string path)
    {
        if (!Directory.Exists(path))
        {
            return path;
        }
        foreach (string name in (string[])[SingleFileName, IndexFileName])
        {
            string candidate = Path.Combine(path, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        // A directory of llama.cpp files: one .gguf stands for the model; several (precisions side by side) need a choice.
        string[] gguf = Directory.GetFiles(path, "*.gguf");
        return gguf.Length switch
        {
            1 => gguf[0],
            0 => throw new FileNotFoundException($"{path} is a directory holding neither {SingleFileName} nor {IndexFileName} (nor a .gguf file).", Path.Combine(path, SingleFileName)),
            _ => throw new FileNotFoundException($"{path} holds {gguf.Length} .gguf files ({string.Join(", ", gguf.Select(Path.GetFileName).Order(StringComparer.Ordinal))}); pass the path of the one to load.", gguf[0]),
        };
    }

    private static Dictionary<string, string> ReadWeightMap(string path)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(File.ReadAllBytes(path));
        }
        catch (JsonException e)
        {
            throw new SafeTensorsFormatException(path, $"is not valid JSON: {e.Message}", e);
        }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object ||
                !document.RootElement.TryGetProperty("weight_map", out JsonElement map) || map.ValueKind != JsonValueKind.Object)
            {
                throw new SafeTensorsFormatException(path, "has no 'weight_map' object (tensor name → shard file)");
            }
            var weightMap = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (JsonProperty entry in map.EnumerateObject())
            {
                if (entry.Value.ValueKind != JsonValueKind.String || string.IsNullOrEmpty(entry.Value.GetString()))
                {
                    throw new SafeTensorsFormatException(path, $"weight_map entry '{entry.Name}' is not a shard file name");
                }
                if (!weightMap.TryAdd(entry.Name, entry.Value.GetString()!))
                {
                    throw new SafeTensorsFormatException(path, $"weight_map lists tensor '{entry.Name}' twice");
                }
            }
            if (weightMap.Count == 0)
            {
                throw new SafeTensorsFormatException(path, "weight_map is empty");
            }
            return weightMap;
        }
    }

    /// <inheritdoc cref="SafeTensorsFile.Read"/>
    public void Read(string name, Span<float> destination) => Shard(name).Read(name, destination);

    /// <inheritdoc cref="SafeTensorsFile.ReadArray"/>
    public float[] ReadArray(string name) => Shard(name).ReadArray(name);

    private ITensorStore Shard(string name) =>
        _shardOf.TryGetValue(name, out ITensorStore? shard) ? shard : throw new KeyNotFoundException($"{Path.GetFileName(FilePath)} has no tensor '{name}'.");

    public void Dispose()
    {
        foreach (ITensorStore shard in _shards)
        {
            shard.Dispose();
        }
    }
}
