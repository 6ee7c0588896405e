namespace TransformerKernels;

/// <summary>
/// A checkpoint does not fit the declared model: a tensor is missing, extra, or of the wrong shape. The message names
/// the tensor, the expected and the actual shape.
/// </summary>
public sealed class ModelWeightsException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ModelWeightsException(string tensorName, string expected, string actual, string message) : base(message)
    {
        TensorName = tensorName;
        Expected = expected;
        Actual = actual;
    }

    /// <summary>The tensor at fault.</summary>
    public string TensorName { get; }

    /// <summary>What the declared shape needs, e.g. "[1536, 384]".</summary>
    public string Expected { get; }

    /// <summary>What the file has, e.g. "[1536, 512]" or "missing".</summary>
    public string Actual { get; }
}
