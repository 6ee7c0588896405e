namespace TransformerKernels;

/// <summary>
/// A model (or one of its GEMMs) is asked to run weights of a precision it was not generated for: its
/// <see cref="TransformerModelAttribute.Precisions"/> leaves that precision out, so no kernel for it exists. The message names
/// the precision, what was generated and the attribute property to change.
/// </summary>
public sealed class PrecisionNotGeneratedException : NotSupportedException
{
    /// <summary>Creates the exception for <paramref name="target"/> (a model class or a GEMM), generated for <paramref name="generated"/>.</summary>
    public PrecisionNotGeneratedException(string target, WeightPrecision precision, ModelPrecisions generated)
        : base($"{target} was generated for {Describe(generated)} weights, not {precision}: add ModelPrecisions.{precision} to " +
               $"Precisions in its [TransformerModel] attribute (Precisions = {Spell(generated | Flag(precision))}), or load the weights as {Describe(generated)}.")
    {
        Target = target;
        Precision = precision;
        Generated = generated;
    }

    /// <summary>The model class or GEMM that has no kernels for <see cref="Precision"/>.</summary>
    public string Target { get; }

    /// <summary>The precision asked for.</summary>
    public WeightPrecision Precision { get; }

    /// <summary>The precisions the target was generated for.</summary>
    public ModelPrecisions Generated { get; }

    /// <summary>The flag of <paramref name="precision"/> in a <see cref="ModelPrecisions"/> set.</summary>
    public static ModelPrecisions Flag(WeightPrecision precision) => (ModelPrecisions)(1 << (int)precision);

    /// <summary>Throws unless <paramref name="generated"/> includes <paramref name="precision"/> (called when a model loads or is created).</summary>
    /// <exception cref="PrecisionNotGeneratedException"><paramref name="precision"/> is not among <paramref name="generated"/>.</exception>
    public static void ThrowIfNotGenerated(ModelPrecisions generated, WeightPrecision precision, string target)
    {
        if ((generated & Flag(precision)) == 0)
        {
            throw new PrecisionNotGeneratedException(target, precision, generated);
        }
    }

    private static readonly WeightPrecision[] All = [WeightPrecision.Fp32, WeightPrecision.Bf16, WeightPrecision.Int8];

    private static IEnumerable<WeightPrecision> Members(ModelPrecisions set) => All.Where(p => (set & Flag(p)) != 0);

    private static string Describe(ModelPrecisions set) => string.Join(" or ", Members(set));

    private static string Spell(ModelPrecisions set) => string.Join(" | ", Members(set).Select(p => "ModelPrecisions." + p));
}
