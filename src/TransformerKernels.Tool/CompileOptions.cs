namespace TransformerKernels.Tool;

/// <summary>How a compile references the libraries and which instructions its binary may use.</summary>
/// <param name="RepositoryRoot">A TransformerKernels clone to reference as projects, or null to reference the packages.</param>
/// <param name="PackageVersion">The packages' version when <paramref name="RepositoryRoot"/> is null (the tool's own).</param>
/// <param name="InstructionSet">Native AOT's <c>IlcInstructionSet</c>.</param>
/// <param name="MaxSeqLen">Longest sequence the binary accepts (0 = what config.json implies).</param>
internal sealed record CompileOptions(string? RepositoryRoot, string PackageVersion, string InstructionSet, int MaxSeqLen);
