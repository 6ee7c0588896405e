using TransformerKernels.Generators.Helpers;

namespace TransformerKernels.Generators;

public sealed partial class TransformerModelGenerator
{
    /// <summary>
    /// The one place a kernel picks its path at run time: a switch over <c>KernelPaths.Active</c> (or <c>Int8Paths.Active</c>
    /// for int8 GEMMs), one statement per path, the last case (path null) as the default. GEMMs, attention and Add &amp; Norm
    /// all dispatch through it, so every kernel reads the same process-wide choice in the same way.
    /// </summary>
    private static void EmitPathSwitch(SourceWriter w, bool int8, params (string? Path, string Statement)[] cases)
    {
        string enumType = int8 ? "global::TransformerKernels.Int8KernelPath" : "global::TransformerKernels.KernelPath";
        using (w.Block($"switch ({(int8 ? "global::TransformerKernels.Int8Paths" : "global::TransformerKernels.KernelPaths")}.Active)"))
        {
            foreach (var (path, statement) in cases)
            {
                w.Line(path is null ? "default:" : $"case {enumType}.{path}:");
                w.Line("    " + statement);
                w.Line("    break;");
            }
        }
    }
}
