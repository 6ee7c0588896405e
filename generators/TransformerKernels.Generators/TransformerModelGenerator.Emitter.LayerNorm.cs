using TransformerKernels.Generators.Helpers;
using TransformerKernels.Generators.Model;

namespace TransformerKernels.Generators;

public sealed partial class TransformerModelGenerator
{
    /// <summary>Writes {Class}.LayerNorm.g.cs: Add &amp; Norm over rows of DModel with the residual add fused.</summary>
    private static string EmitLayerNorm(ModelSpec model)
    {
        var w = new SourceWriter();
        VectorTiling row = model.ModelRow;
        using (OpenModelClass(w, model, "using global::System.Runtime.Intrinsics;", "using global::System.Runtime.Intrinsics.X86;"))
        using (w.Block("partial class Kernels"))
        {
            bool rms = model.Norm == NormPlacement.RmsNorm;
            string vectors = $"{row.FullVectors512} Vector512" + (row.Tail512 > 0 ? $" + {row.Tail512} scalar lanes" : "") + $" or {row.FullVectors256} Vector256" + (row.Tail256 > 0 ? $" + {row.Tail256} scalar lanes." : ".");
            if (rms)
            {
                w.Line($"/// <summary>Add &amp; Norm with RMSNorm: y = (x + residual)/√(mean((x + residual)²) + ε)·γ over rows of {model.DModel}, ε = {FloatLiteral((float)model.LayerNormEpsilon)}; β is ignored (RMSNorm has none).</summary>");
                w.Line("/// <remarks>");
                w.Line($"/// Two passes over a row that stays in L1: sum of squares (storing x + residual into y), then scale. A row is {vectors}");
                w.Line("/// </remarks>");
            }
            else
            {
                w.Line($"/// <summary>Add &amp; Norm: y = LayerNorm(x + residual)·γ + β over rows of {model.DModel}, ε = {FloatLiteral((float)model.LayerNormEpsilon)}.</summary>");
                w.Line("/// <remarks>");
                w.Line($"/// Three passes over a row that stays in L1: sum (storing x + residual into y), centered sum of squares (two-pass");
                w.Line($"/// variance: no cancellation on rows with a large mean), then normalize. A row is {vectors}");
                w.Line("/// </remarks>");
            }
            using (w.Block("public static unsafe class AddNorm"))
            {
                w.Line($"/// <summary>Row width.</summary>");
                w.Line($"public const int Width = {model.DModel};");
                w.Line($"private const float Epsilon = {FloatLiteral((float)model.LayerNormEpsilon)};");
                w.Line();
                w.Line("/// <summary>Normalizes <paramref name=\"rows\"/> rows. <paramref name=\"residual\"/> may be null; <paramref name=\"y\"/> may be the same memory as <paramref name=\"x\"/> or <paramref name=\"residual\"/>.</summary>");
                using (w.Block("public static void Run(float* x, float* residual, float* gamma, float* beta, float* y, int rows)"))
                {
                    w.Line("var job = new Job { X = x, Residual = residual, Gamma = gamma, Beta = beta, Y = y };");
                    w.Line("// Rows are independent: many rows (a prefill, a packed batch) are split over the kernel threads like the GEMMs");
                    w.Line("// around them; about eight operations per element over the three passes decide whether a second thread is worth waking.");
                    w.Line("long flops = 8L * rows * Width;");
                    EmitFloatPathSwitch(w, isa => $"global::TransformerKernels.KernelThreads.Run(rows, &Rows<{isa}Row>, &job, flops);");
                }
                w.Line();
                w.Line("/// <summary>What the rows need, passed by pointer to the kernel threads.</summary>");
                using (w.Block("private struct Job"))
                {
                    w.Line("public float* X, Residual, Gamma, Beta, Y;");
                }
                w.Line();
                w.Line("/// <summary>Rows [start, end) of the job on one kernel path.</summary>");
                using (w.Block("private static void Rows<TPath>(void* state, int start, int end) where TPath : struct, IRowPath"))
                {
                    w.Line("var job = (Job*)state;");
                    w.Line("for (long r = start; r < end; r++) TPath.Row(job->X + r * Width, job->Residual == null ? null : job->Residual + r * Width, job->Gamma, job->Beta, job->Y + r * Width);");
                }
                w.Line();
                w.Line("/// <summary>One kernel path's row, as a type argument: <see cref=\"Rows\"/> is compiled once per path.</summary>");
                using (w.Block("private interface IRowPath"))
                {
                    w.Line("static abstract void Row(float* x, float* residual, float* gamma, float* beta, float* y);");
                }
                foreach (string isa in VectorPath.Names)
                {
                    w.Line($"private struct {isa}Row : IRowPath {{ public static void Row(float* x, float* residual, float* gamma, float* beta, float* y) => Row{isa}(x, residual, gamma, beta, y); }}");
                }
                w.Line();
                foreach (VectorPath path in VectorPath.All)
                {
                    if (rms)
                    {
                        EmitRmsNormRow(w, path, row);
                    }
                    else
                    {
                        EmitNormRow(w, path, row);
                    }
                }
                if (rms)
                {
                    EmitRmsNormRowScalar(w);
                }
                else
                {
                    EmitNormRowScalar(w);
                }
            }
        }
        return w.ToString();
    }

    private static void EmitNormRow(SourceWriter w, VectorPath path, VectorTiling row)
    {
        (string isa, string v, int lanes, string fma) = (path.Name, path.VectorType, path.Lanes, path.Fma);
        int fullVectors = path.FullVectors(row);
        bool tail = path.Tail(row) > 0;
        int vectorEnd = fullVectors * lanes;
        w.Line("[global::System.Runtime.CompilerServices.MethodImpl(global::System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]");
        using (w.Block($"private static void Row{isa}(float* x, float* residual, float* gamma, float* beta, float* y)"))
        {
            w.Line("// Add: y = x + residual, summed for the mean.");
            w.Line($"{v}<float> sums = {v}<float>.Zero;");
            w.Line("float tailSum = 0f;");
            using (w.Block("if (residual == null)"))
            {
                w.Line($"for (int i = 0; i < {vectorEnd}; i += {lanes}) {{ {v}<float> s = {v}.Load(x + i); {v}.Store(s, y + i); sums += s; }}");
                if (tail) w.Line($"for (int i = {vectorEnd}; i < Width; i++) {{ y[i] = x[i]; tailSum += y[i]; }}");
            }
            using (w.Block("else"))
            {
                w.Line($"for (int i = 0; i < {vectorEnd}; i += {lanes}) {{ {v}<float> s = {v}.Load(x + i) + {v}.Load(residual + i); {v}.Store(s, y + i); sums += s; }}");
                if (tail) w.Line($"for (int i = {vectorEnd}; i < Width; i++) {{ y[i] = x[i] + residual[i]; tailSum += y[i]; }}");
            }
            w.Line("float mean = (global::TransformerKernels.HorizontalMath.Sum(sums) + tailSum) / Width;");
            w.Line($"{v}<float> meanVector = {v}.Create(mean);");
            w.Line("// Variance of the centered values.");
            w.Line($"{v}<float> squares = {v}<float>.Zero;");
            w.Line("float tailSquares = 0f;");
            w.Line($"for (int i = 0; i < {vectorEnd}; i += {lanes}) {{ {v}<float> c = {v}.Load(y + i) - meanVector; squares = {fma}(c, c, squares); }}");
            if (tail) w.Line($"for (int i = {vectorEnd}; i < Width; i++) {{ float c = y[i] - mean; tailSquares += c * c; }}");
            w.Line("float inverseStd = 1f / global::System.MathF.Sqrt((global::TransformerKernels.HorizontalMath.Sum(squares) + tailSquares) / Width + Epsilon);");
            w.Line($"{v}<float> scale = {v}.Create(inverseStd);");
            w.Line("// Norm: (y − mean)/σ·γ + β.");
            w.Line($"for (int i = 0; i < {vectorEnd}; i += {lanes}) {v}.Store({fma}(({v}.Load(y + i) - meanVector) * scale, {v}.Load(gamma + i), {v}.Load(beta + i)), y + i);");
            if (tail) w.Line($"for (int i = {vectorEnd}; i < Width; i++) y[i] = (y[i] - mean) * inverseStd * gamma[i] + beta[i];");
        }
        w.Line();
    }

    private static void EmitNormRowScalar(SourceWriter w)
    {
        using (w.Block("private static void RowScalar(float* x, float* residual, float* gamma, float* beta, float* y)"))
        {
            w.Line("float sum = 0f;");
            w.Line("for (int i = 0; i < Width; i++) { y[i] = residual == null ? x[i] : x[i] + residual[i]; sum += y[i]; }");
            w.Line("float mean = sum / Width;");
            w.Line("float squares = 0f;");
            w.Line("for (int i = 0; i < Width; i++) { float c = y[i] - mean; squares += c * c; }");
            w.Line("float inverseStd = 1f / global::System.MathF.Sqrt(squares / Width + Epsilon);");
            w.Line("for (int i = 0; i < Width; i++) y[i] = (y[i] - mean) * inverseStd * gamma[i] + beta[i];");
        }
    }

    private static void EmitRmsNormRow(SourceWriter w, VectorPath path, VectorTiling row)
    {
        (string isa, string v, int lanes, string fma) = (path.Name, path.VectorType, path.Lanes, path.Fma);
        int fullVectors = path.FullVectors(row);
        bool tail = path.Tail(row) > 0;
        int vectorEnd = fullVectors * lanes;
        w.Line("[global::System.Runtime.CompilerServices.MethodImpl(global::System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]");
        using (w.Block($"private static void Row{isa}(float* x, float* residual, float* gamma, float* beta, float* y)"))
        {
            w.Line("// Add: y = x + residual, its squares summed.");
            w.Line($"{v}<float> squares = {v}<float>.Zero;");
            w.Line("float tailSquares = 0f;");
            w.Line($"for (int i = 0; i < {vectorEnd}; i += {lanes}) {{ {v}<float> s = residual == null ? {v}.Load(x + i) : {v}.Load(x + i) + {v}.Load(residual + i); {v}.Store(s, y + i); squares = {fma}(s, s, squares); }}");
            if (tail) w.Line($"for (int i = {vectorEnd}; i < Width; i++) {{ float s = residual == null ? x[i] : x[i] + residual[i]; y[i] = s; tailSquares += s * s; }}");
            w.Line("float inverseRms = 1f / global::System.MathF.Sqrt((global::TransformerKernels.HorizontalMath.Sum(squares) + tailSquares) / Width + Epsilon);");
            w.Line($"{v}<float> scale = {v}.Create(inverseRms);");
            w.Line("// Norm: y/rms·γ.");
            w.Line($"for (int i = 0; i < {vectorEnd}; i += {lanes}) {v}.Store({v}.Load(y + i) * scale * {v}.Load(gamma + i), y + i);");
            if (tail) w.Line($"for (int i = {vectorEnd}; i < Width; i++) y[i] = y[i] * inverseRms * gamma[i];");
        }
        w.Line();
    }

    private static void EmitRmsNormRowScalar(SourceWriter w)
    {
        using (w.Block("private static void RowScalar(float* x, float* residual, float* gamma, float* beta, float* y)"))
        {
            w.Line("float squares = 0f;");
            w.Line("for (int i = 0; i < Width; i++) { y[i] = residual == null ? x[i] : x[i] + residual[i]; squares += y[i] * y[i]; }");
            w.Line("float inverseRms = 1f / global::System.MathF.Sqrt(squares / Width + Epsilon);");
            w.Line("for (int i = 0; i < Width; i++) y[i] = y[i] * inverseRms * gamma[i];");
        }
    }
}
