namespace TransformerKernels;

/// <summary>Command-line names of <see cref="WeightPrecision"/> and a description of the kernels each one runs on.</summary>
public static class Precisions
{
    /// <summary>Parses <c>fp32</c>, <c>bf16</c> or <c>int8</c> (any case).</summary>
    public static bool TryParse(string text, out WeightPrecision precision)
    {
        switch (text.ToLowerInvariant())
        {
            case "fp32":
                precision = WeightPrecision.Fp32;
                return true;
            case "bf16":
                precision = WeightPrecision.Bf16;
                return true;
            case "int8":
                precision = WeightPrecision.Int8;
                return true;
            default:
                precision = WeightPrecision.Fp32;
                return false;
        }
    }

    /// <summary>The precision and, for int8, the active int8 path (for <c>--verbose</c> and self-tests).</summary>
    public static string Describe(WeightPrecision precision) => precision switch
    {
        WeightPrecision.Int8 => $"int8, path {Int8Paths.Describe()}",
        WeightPrecision.Bf16 => "bf16 (widened to FP32 in the FP32 tiles)",
        _ => "fp32",
    };
}
