namespace TransformerKernels;

/// <summary>
/// A checkpoint's <c>config.json</c> is malformed or disagrees with the declared shape; the message names the field, both
/// values and, where one fits, the <see cref="TransformerModelAttribute"/> property to change.
/// </summary>
public sealed class ModelConfigurationException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ModelConfigurationException(string path, string field, string expected, string actual)
        : this(path, field, expected, actual, property: null)
    {
    }

    /// <summary>Creates the exception for a field that maps onto the attribute property <paramref name="property"/>.</summary>
    public ModelConfigurationException(string path, string field, string expected, string actual, string? property)
        : base($"{path}: {field} is {actual}, but the declared model has {expected}" +
               (property is null ? "." : $"; change {property} in [TransformerModel] to match config.json, or fix {field}."))
    {
        Field = field;
        Expected = expected;
        Actual = actual;
        Property = property;
    }

    /// <summary>The exception with a message of its own (a file that is no config.json, a kind of model or scaling not supported).</summary>
    internal ModelConfigurationException(string message, string field, string expected, string actual, string? property, Exception? inner)
        : base(message, inner)
    {
        Field = field;
        Expected = expected;
        Actual = actual;
        Property = property;
    }

    /// <summary>The config.json field at fault, e.g. <c>num_key_value_heads</c>.</summary>
    public string Field { get; }

    /// <summary>What the declaration needs.</summary>
    public string Expected { get; }

    /// <summary>What config.json says.</summary>
    public string Actual { get; }

    /// <summary>The <see cref="TransformerModelAttribute"/> property that declares this field (e.g. <c>KvHeads</c>), or null.</summary>
    public string? Property { get; }
}
