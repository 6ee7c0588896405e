using System.Globalization;
using System.Linq;
using TransformerKernels.Generators.Helpers;
using TransformerKernels.Generators.Model;

namespace TransformerKernels.Generators;

public sealed partial class TransformerModelGenerator
{
    /// <summary>
    /// The rotary-position tables and the per-head rotation the attention kernel applies to each query row as it reads it
    /// (keys are rotated by <c>TransposeKeys</c> on their way into the cache): no pass over the Q·K·V rows of its own.
    /// </summary>
    private static void EmitRotary(SourceWriter w, ModelSpec m)
    {
        int r = m.RotaryDimensions, half = r / 2;
        w.Line("/// <summary>");
        w.Line($"/// Rotary positions (RoPE, Hugging Face's rotate-half): in each head's query and key, dimension i &lt; {half} pairs with i + {half};");
        w.Line($"/// at position p both rotate by p·θ^(−2i/{r}), θ = {m.RotaryTheta.ToString(CultureInfo.InvariantCulture)}" + (r < m.HeadDim ? $"; dimensions {r}…{m.HeadDim - 1} stay as they are." : "."));
        if (m.RopeScaling != RopeScaling.None)
        {
            w.Line(m.RopeScaling == RopeScaling.Linear
                ? $"/// Linear scaling (rope_scaling \"linear\"): every frequency divided by {Real(m.RopeScalingFactor)}."
                : $"/// Llama 3 scaling (rope_scaling \"llama3\"): factor {Real(m.RopeScalingFactor)}, low/high frequency factors {Real(m.RopeLowFrequencyFactor)}/{Real(m.RopeHighFrequencyFactor)}, trained on {m.RopeOriginalMaxPositions} positions.");
        }
        w.Line("/// </summary>");
        w.Line("/// <remarks>");
        w.Line("/// Applied inside attention, not as a pass of its own: <see cref=\"Attention.TransposeKeys\"/> rotates each key as it copies it");
        w.Line("/// into the cache, and the attention kernel rotates each query row of a head into L1 just before its scores. Every path");
        w.Line("/// does the same three operations per element (x1·cos − x2·sin, x2·cos + x1·sin; no FMA), so keys and queries, scalar");
        w.Line("/// and vector, agree bit for bit. The angles are tabulated once per process in double precision.");
        w.Line("/// </remarks>");
        using (w.Block("public static unsafe class Rotary"))
        {
            w.Line("/// <summary>Rotated dimensions of each head.</summary>");
            w.Line($"public const int Dimensions = {r};");
            w.Line("/// <summary>Pairs per head: dimension i rotates with i + Half.</summary>");
            w.Line($"public const int Half = {half};");
            w.Line("/// <summary>cos and sin of position p's angle i at [p·Half + i], p &lt; MaxSeqLen; native and never freed, so kernels index them without pinning.</summary>");
            w.Line("internal static readonly float* Cosines = Table(global::System.Math.Cos), Sines = Table(global::System.Math.Sin);");
            w.Line();
            using (w.Block("private static float* Table(global::System.Func<double, double> function)"))
            {
                w.Line("float* table = (float*)global::System.Runtime.InteropServices.NativeMemory.AlignedAlloc((nuint)((long)MaxSeqLen * Half * sizeof(float)), 64);");
                w.Line("// The frequencies (θ^(−2i/r), rescaled as Shape.RopeScaling says) come from the runtime, where the formula lives once.");
                w.Line("double[] frequencies = global::TransformerKernels.RotaryFrequencies.Compute(Shape.RotaryTheta, Dimensions, Shape.RopeScaling, Shape.RopeScalingFactor,");
                w.Line("    Shape.RopeLowFrequencyFactor, Shape.RopeHighFrequencyFactor, Shape.RopeOriginalMaxPositions);");
                using (w.Block("for (int i = 0; i < Half; i++)"))
                {
                    w.Line("for (int p = 0; p < MaxSeqLen; p++) table[(long)p * Half + i] = (float)function(p * frequencies[i]);");
                }
                w.Line("return table;");
            }
            w.Line();
            const string scalar = "{ float x1 = x[j], x2 = x[j + Half]; destination[j] = x1 * cos[j] - x2 * sin[j]; destination[j + Half] = x2 * cos[j] + x1 * sin[j]; }";
            foreach ((string isa, string v, int lanes) in VectorPath.All.Select(p => (p.Name, p.VectorType, p.Lanes)).Append(("Scalar", "", 1)))
            {
                int vectorEnd = lanes == 1 ? 0 : half / lanes * lanes;
                w.Line($"/// <summary>One head of <paramref name=\"x\"/> at <paramref name=\"position\"/>, rotated into <paramref name=\"destination\"/> ({isa}).</summary>");
                w.Line("[global::System.Runtime.CompilerServices.MethodImpl(global::System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]");
                using (w.Block($"public static void Head{isa}(float* x, float* destination, int position)"))
                {
                    w.Line("float* cos = Cosines + (long)position * Half, sin = Sines + (long)position * Half;");
                    if (vectorEnd > 0)
                    {
                        w.Line($"for (int j = 0; j < {vectorEnd}; j += {lanes}) {{ var x1 = {v}.Load(x + j); var x2 = {v}.Load(x + j + Half); var c = {v}.Load(cos + j); var s = {v}.Load(sin + j); {v}.Store(x1 * c - x2 * s, destination + j); {v}.Store(x2 * c + x1 * s, destination + j + Half); }}");
                    }
                    if (vectorEnd < half)
                    {
                        w.Line($"for (int j = {vectorEnd}; j < Half; j++) {scalar}");
                    }
                    if (r < m.HeadDim)
                    {
                        w.Line("for (int j = Dimensions; j < HeadDim; j++) destination[j] = x[j];");
                    }
                }
                w.Line();
            }
        }
    }
}
