namespace TransformerKernels.Onnx;

/// <summary>An ONNX model is malformed or is not a graph this converter understands; the message says which node or initializer.</summary>
public sealed class OnnxFormatException : FormatException
{
    /// <summary>Creates the exception.</summary>
    public OnnxFormatException(string message, Exception? inner = null) : base(message, inner)
    {
    }
}
