namespace TransformerKernels.Tool;

/// <summary>A refusal the command reports as one line (no stack trace) and exit code 2.</summary>
internal sealed class ToolException(string message) : Exception(message);
