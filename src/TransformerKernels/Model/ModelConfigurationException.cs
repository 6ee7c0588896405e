namespace TransformerKernels;

/// <summary>A checkpoint's <c>config.json</c> disagrees with the declared shape; the message names the field and both values.</summary>
public sealed class ModelConfigurationException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ModelConfigurationException(string path, string field, string expected, string actual)
        : base($"{path}: {field} is {actual}, but the declared model has {expected}.")
    {
        Field = field;
        Expected = expected;
        Actual = actual;
    }

    /// <summary>The config.json field at fault, e.g. <c>num_key_value_heads</c>.</summary>
    public string Field { get; }

    /// <summary>What the declaration needs.</summary>
    public string Expected { get; }

    /// <summary>What config.json says.</summary>
    public string Actual { get; }
}
