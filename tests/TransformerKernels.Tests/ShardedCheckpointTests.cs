using System.Text.Json.Nodes;

namespace TransformerKernels.Tests;

/// <summary>
/// Hugging Face's sharded checkpoints (model.safetensors.index.json naming the shard of every tensor): the tiny GPT-2
/// fixture split in two loads to exactly the model the single file gives, from the index or from its directory, with the
/// config.json beside the index checked; an index that disagrees with its shards is refused, naming the tensor.
/// </summary>
public sealed class ShardedCheckpointTests : IDisposable
{
    private static string SingleFileDirectory => PyTorchParityTests.Fixture("gpt2_tiny_hf");
    private readonly string _directory = Directory.CreateTempSubdirectory("tk-shards").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private const string First = "model-00001-of-00002.safetensors", Second = "model-00002-of-00002.safetensors";

    /// <summary>Splits the single file: block 0 and the embeddings in the first shard, the rest in the second.</summary>
    private string Split(Action<Dictionary<string, string>>? changeMap = null, Action<List<(string, long[], float[])>>? changeSecond = null)
    {
        using SafeTensorsFile file = SafeTensorsFile.Open(Path.Combine(SingleFileDirectory, "model.safetensors"));
        var first = new List<(string, long[], float[])>();
        var second = new List<(string, long[], float[])>();
        var map = new Dictionary<string, string>();
        foreach (TensorInfo tensor in file.Tensors.Values)
        {
            bool early = tensor.Name.StartsWith("transformer.h.0.", StringComparison.Ordinal) || tensor.Name.StartsWith("transformer.w", StringComparison.Ordinal);
            (early ? first : second).Add((tensor.Name, tensor.Shape, file.ReadArray(tensor.Name)));
            map[tensor.Name] = early ? First : Second;
        }
        changeMap?.Invoke(map);
        changeSecond?.Invoke(second);
        SafeTensorsWriter.Write(Path.Combine(_directory, First), first);
        SafeTensorsWriter.Write(Path.Combine(_directory, Second), second);
        var weightMap = new JsonObject();
        foreach ((string name, string shard) in map)
        {
            weightMap[name] = shard;
        }
        File.WriteAllText(Path.Combine(_directory, "model.safetensors.index.json"), new JsonObject { ["metadata"] = new JsonObject(), ["weight_map"] = weightMap }.ToJsonString());
        File.Copy(Path.Combine(SingleFileDirectory, "config.json"), Path.Combine(_directory, "config.json"), overwrite: true);
        return Path.Combine(_directory, "model.safetensors.index.json");
    }

    /// <summary>The exception loading the checkpoint at <paramref name="path"/> must throw.</summary>
    private static T LoadFails<T>(string path) where T : Exception => Assert.Throws<T>(() => FixtureGpt2.Load(path, WeightNaming.Gpt2).Dispose());

    private static float[] Logits(FixtureGpt2 model) => model.Prefill([3, 14, 15, 9, 2], [5]).ToArray();

    [Fact]
    public void ShardsGiveTheModelTheSingleFileGives()
    {
        string index = Split();
        using var single = FixtureGpt2.Load(Path.Combine(SingleFileDirectory, "model.safetensors"), WeightNaming.Gpt2);
        using var fromIndex = FixtureGpt2.Load(index, WeightNaming.Gpt2);
        using var fromDirectory = FixtureGpt2.Load(_directory, WeightNaming.Gpt2);
        float[] expected = Logits(single);
        Assert.Equal(expected, Logits(fromIndex));
        Assert.Equal(expected, Logits(fromDirectory));
    }

    [Fact]
    public void ADirectoryWithOneFileIsThatFile()
    {
        using var single = FixtureGpt2.Load(Path.Combine(SingleFileDirectory, "model.safetensors"), WeightNaming.Gpt2);
        using var fromDirectory = FixtureGpt2.Load(SingleFileDirectory, WeightNaming.Gpt2);
        Assert.Equal(Logits(single), Logits(fromDirectory));
    }

    [Fact]
    public void TheConfigBesideTheIndexIsChecked()
    {
        string index = Split();
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(_directory, "config.json")))!.AsObject();
        config["n_layer"] = 3;
        File.WriteAllText(Path.Combine(_directory, "config.json"), config.ToJsonString());
        var e = LoadFails<ModelConfigurationException>(index);
        Assert.Equal("n_layer", e.Field);
    }

    [Fact]
    public void ATensorPlacedInTheWrongShardIsNamed()
    {
        string index = Split(map => map["transformer.ln_f.weight"] = First);
        var e = LoadFails<SafeTensorsFormatException>(index);
        Assert.Contains("transformer.ln_f.weight", e.Message);
    }

    [Fact]
    public void AShardHoldingAnUnlistedTensorIsNamed()
    {
        string index = Split(changeSecond: second => second.Add(("transformer.stray", [2], [1f, 2f])));
        var e = LoadFails<SafeTensorsFormatException>(index);
        Assert.Contains("transformer.stray", e.Message);
        Assert.Contains("does not list", e.Message);
    }

    [Fact]
    public void AListedTensorNoShardHoldsIsNamed()
    {
        string index = Split(map => map["transformer.ghost"] = Second);
        var e = LoadFails<SafeTensorsFormatException>(index);
        Assert.Contains("transformer.ghost", e.Message);
    }

    [Fact]
    public void AShardOutsideTheIndexDirectoryIsRefused()
    {
        string index = Split(map => map["transformer.ln_f.bias"] = "../elsewhere.safetensors");
        var e = LoadFails<SafeTensorsFormatException>(index);
        Assert.Contains("../elsewhere.safetensors", e.Message);
    }

    [Fact]
    public void AMissingShardIsNamed()
    {
        string index = Split();
        File.Delete(Path.Combine(_directory, Second));
        var e = LoadFails<FileNotFoundException>(index);
        Assert.Contains(Second, e.Message);
    }

    [Theory]
    [InlineData("not json", "not valid JSON")]
    [InlineData("{\"metadata\": {}}", "weight_map")]
    [InlineData("{\"weight_map\": {}}", "empty")]
    [InlineData("{\"weight_map\": {\"a\": 3}}", "'a'")]
    public void AMalformedIndexIsRefused(string json, string named)
    {
        string index = Split();
        File.WriteAllText(index, json);
        var e = LoadFails<SafeTensorsFormatException>(index);
        Assert.Contains(named, e.Message);
    }

    [Fact]
    public void ADirectoryWithoutACheckpointNamesWhatItLookedFor()
    {
        var e = LoadFails<FileNotFoundException>(_directory);
        Assert.Contains("model.safetensors.index.json", e.Message);
    }
}
