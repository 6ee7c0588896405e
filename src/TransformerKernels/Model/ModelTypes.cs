using System.Text.Json;

namespace TransformerKernels;

/// <summary>
/// Which <see cref="WeightNaming"/> a Hugging Face <c>config.json</c>'s <c>model_type</c> calls for: the one place that lists
/// the families <see cref="WeightNaming.Auto"/> loads.
/// </summary>
internal static class ModelTypes
{
    /// <summary>Every supported model_type and its naming, in the order the messages list them.</summary>
    public static readonly IReadOnlyList<(string ModelType, WeightNaming Naming)> Supported =
    [
        ("bert", WeightNaming.Bert), ("roberta", WeightNaming.Roberta), ("xlm-roberta", WeightNaming.Roberta),
        ("llama", WeightNaming.Llama), ("mistral", WeightNaming.Llama), ("qwen2", WeightNaming.Llama), ("gpt2", WeightNaming.Gpt2),
    ];

    /// <summary>The supported model types as the messages list them: "bert", "roberta", ….</summary>
    public static string SupportedList => string.Join(", ", Supported.Select(s => $"\"{s.ModelType}\""));

    /// <summary>The naming for <paramref name="modelType"/>, or null when it is not supported.</summary>
    public static WeightNaming? NamingOf(string modelType) => Supported.FirstOrDefault(s => s.ModelType == modelType) is { ModelType: not null } found ? found.Naming : null;

    /// <summary>The model_type of the config.json beside <paramref name="weightsPath"/>; null when there is no config.json.</summary>
    /// <exception cref="ModelConfigurationException">The file is malformed or has no model_type.</exception>
    public static string? ReadBeside(string weightsPath) => ConfigJson.ReadBeside(weightsPath, (path, root) =>
        ConfigJson.String(path, root, "model_type")
        ?? throw new ModelConfigurationException(
            $"{path} has no model_type, so the naming of the weights cannot be chosen; add \"model_type\" (one of {SupportedList}) or load with an explicit WeightNaming.",
            "model_type", $"one of {SupportedList}", "missing", null, null));

    /// <summary>
    /// <see cref="WeightNaming.Auto"/>: the naming the config.json beside <paramref name="weightsPath"/> calls for, or
    /// <see cref="WeightNaming.PyTorch"/> when there is none.
    /// </summary>
    /// <exception cref="ModelConfigurationException">The config.json is malformed, has no model_type, or one not supported.</exception>
    public static WeightNaming Resolve(string weightsPath)
    {
        string? modelType = ReadBeside(weightsPath);
        if (modelType is null)
        {
            return WeightNaming.PyTorch;
        }
        return NamingOf(modelType) ?? throw new ModelConfigurationException(
            $"{ConfigJson.PathBeside(weightsPath)}: model_type \"{modelType}\" is not supported; the loader reads {SupportedList} " +
            "(or PyTorch nn.Transformer names with WeightNaming.PyTorch).", "model_type", $"one of {SupportedList}", $"\"{modelType}\"", null, null);
    }

    /// <summary>
    /// A hint for a checkpoint whose tensors <paramref name="naming"/> did not find: when the config.json beside it names a
    /// model_type of another naming, which one to load with; else null.
    /// </summary>
    public static string? HintFor(string weightsPath, WeightNaming naming)
    {
        try
        {
            string? modelType = ReadBeside(weightsPath);
            return modelType is not null && NamingOf(modelType) is { } expected && expected != naming
                ? $" config.json says model_type \"{modelType}\": load with WeightNaming.{expected} (or the default WeightNaming.Auto), not WeightNaming.{naming}."
                : null;
        }
        catch (Exception e) when (e is ModelConfigurationException or IOException or JsonException)
        {
            return null; // no hint to give; the original error stands
        }
    }
}
