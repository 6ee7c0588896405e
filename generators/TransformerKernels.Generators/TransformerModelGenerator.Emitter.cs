using System.Globalization;
using System.Linq;
using TransformerKernels.Generators.Helpers;
using TransformerKernels.Generators.Model;

namespace TransformerKernels.Generators;

public sealed partial class TransformerModelGenerator
{
    /// <summary>Writes {Class}.Shape.g.cs: the declared shape as constants, derived sizes and the model's description.</summary>
    private static string EmitShape(ModelSpec m)
    {
        var w = new SourceWriter();
        bool encoderDecoder = m.EncoderLayers > 0 && m.DecoderLayers > 0;
        string stack = encoderDecoder ? $"encoder–decoder ({m.EncoderLayers} + {m.DecoderLayers} blocks)"
            : m.DecoderLayers == 0 ? $"encoder-only ({m.EncoderLayers} blocks)" : $"decoder-only ({m.DecoderLayers} blocks)";
        using (OpenModelClass(w, m, remarks: new[]
               {
                   $"{m.ClassName}: {stack}, d_model {m.DModel}, {m.Heads} heads of {m.HeadDim}, FFN {m.FfnDim} ({m.Activation}), {(m.Norm == NormPlacement.RmsNorm ? "RMSNorm pre" : m.Norm)}-norm, {m.Positions} positions, up to {m.MaxSeqLen} tokens.",
                   "Kernels (nested class <c>Kernels</c>), each with Avx512 / Avx2 / Scalar paths chosen once per process:",
                   $"  GEMMs for {DescribePrecisions(m.Precisions)} weights, each run by the assembly's one class of its shape (namespace TransformerKernels.Gemms):",
               }.Concat(m.Gemms.Select(g => $"  {g.Name}: [m×{g.K}]·[{g.K}×{g.N}] in {g.Panels} packed panels — {g.Roles}."))
                .Concat(new[]
               {
                   $"  Attention: {m.Heads} heads × {m.HeadDim}, fused scores → mask → softmax → ·V.",
                   m.Norm == NormPlacement.RmsNorm ? $"  AddNorm: residual add, then RMSNorm over {m.DModel} (ε = {FloatLiteral((float)m.LayerNormEpsilon)}) before the next sub-layer."
                   : m.Norm == NormPlacement.Pre ? $"  AddNorm: residual add, then LayerNorm over {m.DModel} (ε = {FloatLiteral((float)m.LayerNormEpsilon)}) before the next sub-layer."
                   : $"  AddNorm: LayerNorm(residual + sub-layer) over {m.DModel} (ε = {FloatLiteral((float)m.LayerNormEpsilon)}).",
               }).ToArray()))
        {
            w.Line("// ---- Shape, as declared by [TransformerModel] ----");
            Const(w, "int", "DModel", m.DModel, "Width of every token vector (d_model).");
            Const(w, "int", "Heads", m.Heads, "Attention heads.");
            Const(w, "int", "KvHeads", m.KvHeads, "Key/value heads (grouped-query attention when fewer than Heads).");
            Const(w, "int", "KvDModel", m.KvDModel, "Width of the keys (and values) of one position: KvHeads × HeadDim.");
            Const(w, "int", "QkvWidth", m.QkvWidth, "Outputs of the fused Q·K·V projection: DModel + 2 × KvDModel.");
            Const(w, "int", "HeadDim", m.HeadDim, "Width of one head: DModel / Heads.");
            Const(w, "int", "EncoderLayers", m.EncoderLayers, "Encoder blocks.");
            Const(w, "int", "DecoderLayers", m.DecoderLayers, "Decoder blocks.");
            Const(w, "int", "FfnDim", m.FfnDim, "Inner width of the position-wise feed-forward network.");
            Const(w, "int", "MaxSeqLen", m.MaxSeqLen, "Longest sequence accepted.");
            Const(w, "int", "PositionTableSize", m.PositionTableSize, "Rows of the position table.");
            Const(w, "int", "EncoderVocab", m.EncoderVocab, "Token embeddings of the encoder input (0: float-level input only).");
            Const(w, "int", "DecoderVocab", m.DecoderVocab, "Token embeddings of the decoder input and width of the final linear + softmax (0: none).");
            Const(w, "int", "TokenTypes", m.TokenTypes, "Token-type (segment) embeddings (0: none).");
            Const(w, "float", "LayerNormEpsilon", FloatLiteral((float)m.LayerNormEpsilon), m.Norm == NormPlacement.RmsNorm ? "ε of every RMSNorm (added to the mean square)." : "ε of every LayerNorm (added to the variance).");
            Const(w, "global::TransformerKernels.NormPlacement", "Norm", "global::TransformerKernels.NormPlacement." + m.Norm, "Where Add & Norm normalizes.");
            Const(w, "global::TransformerKernels.Activation", "Activation", "global::TransformerKernels.Activation." + m.Activation, "FFN activation.");
            Const(w, "global::TransformerKernels.PositionEncoding", "Positions", "global::TransformerKernels.PositionEncoding." + m.Positions, "How positions are encoded.");
            Const(w, "global::TransformerKernels.ModelPrecisions", "Precisions", SpellPrecisions(m.Precisions),
                $"Weight precisions the GEMMs are generated for ({DescribePrecisions(m.Precisions)}): loading or creating the model in another throws PrecisionNotGeneratedException.");
            w.Line();
            w.Line("// ---- Sizes derived at generation time (floats) ----");
            Const(w, "int", "MaxSeqPadded", m.MaxSeqPadded, "MaxSeqLen rounded up to 16: the row length of transposed keys and attention scores.");
            Const(w, "int", "ActivationSize", Mul(m.MaxSeqLen, m.DModel), "One activation matrix [MaxSeqLen, DModel].");
            Const(w, "int", "QkvSize", Mul(m.MaxSeqLen, m.QkvWidth), "Fused Q·K·V projection output [MaxSeqLen, QkvWidth].");
            Const(w, "int", "FfnHiddenStride", ShapeMath.PaddedStride(m.FfnHiddenWidth), "Floats between rows of the FFN hidden activations (FfnDim; when gated rounded up to 8; padded when rows would be a multiple of 4 KiB apart).");
            Const(w, "int", "FfnHiddenSize", Mul(m.MaxSeqLen, ShapeMath.PaddedStride(m.FfnHiddenWidth)), "FFN hidden activations [MaxSeqLen, FfnHiddenStride].");
            Const(w, "int", "LogitsSize", Mul(m.MaxSeqLen, m.DecoderVocab), "Output logits [MaxSeqLen, DecoderVocab].");
            Const(w, "long", "ParametersPerEncoderLayer", $"{ParametersPerEncoderLayer(m)}L", "Weights and biases of one encoder block.");
            Const(w, "long", "ParametersPerDecoderLayer", $"{ParametersPerDecoderLayer(m)}L", "Weights and biases of one decoder block.");
            w.Line();
            w.Line("/// <summary>The declared shape as a value, for loaders and tools.</summary>");
            w.Line("public static readonly global::TransformerKernels.ModelShape Shape = new(");
            w.Line($"    DModel, Heads, EncoderLayers, DecoderLayers, FfnDim, MaxSeqLen, PositionTableSize, EncoderVocab, DecoderVocab, TokenTypes,");
            w.Line($"    Norm, Activation, Positions, LayerNormEpsilon, KvHeads, {(m.RotaryDimensions > 0 ? m.RotaryTheta.ToString("R", CultureInfo.InvariantCulture) : "0")}, Bias: {(m.Bias ? "true" : "false")},");
            w.Line($"    RopeScaling: global::TransformerKernels.RopeScaling.{m.RopeScaling}, RopeScalingFactor: {Real(m.RopeScalingFactor)}, RopeLowFrequencyFactor: {Real(m.RopeLowFrequencyFactor)},");
            w.Line($"    RopeHighFrequencyFactor: {Real(m.RopeHighFrequencyFactor)}, RopeOriginalMaxPositions: {m.RopeOriginalMaxPositions}, QkvBias: {(m.QkvBias ? "true" : "false")});");
            w.Line();
            w.Line("/// <summary>Kernels generated for this shape; see the class remarks for the list.</summary>");
            using (w.Block("public static unsafe partial class Kernels"))
            {
            }
        }
        return w.ToString();
    }

    /// <summary>Self-attention (Q·K·V with KvHeads, output), the FFN (gate and up when gated) and two norms, as a checkpoint stores them.</summary>
    private static long ParametersPerEncoderLayer(ModelSpec m)
    {
        long d = m.DModel;
        long attention = d * m.QkvWidth + d * d + (m.Bias ? m.QkvWidth + d : m.QkvBias ? m.QkvWidth : 0);
        long feedForward = d * m.FfnUpWidth + (long)m.FfnDim * d + (m.Bias ? m.FfnUpWidth + d : 0);
        return attention + feedForward + 2 * NormParameters(m);
    }

    /// <summary>An encoder block's parameters plus, with an encoder, cross-attention (query, key·value, output) and its norm.</summary>
    private static long ParametersPerDecoderLayer(ModelSpec m)
    {
        long d = m.DModel;
        long cross = m.EncoderLayers > 0 ? 4 * d * d + (m.Bias ? 4 * d : 0) + NormParameters(m) : 0;
        return ParametersPerEncoderLayer(m) + cross;
    }

    /// <summary>LayerNorm has a scale and a shift per feature, RMSNorm a scale only.</summary>
    private static long NormParameters(ModelSpec m) => m.Norm == NormPlacement.RmsNorm ? m.DModel : 2L * m.DModel;

    private static string Mul(params int[] factors) =>
        factors.Aggregate(1L, (a, b) => a * b).ToString(CultureInfo.InvariantCulture);

    private static void Const(SourceWriter w, string type, string name, object value, string summary)
    {
        w.Line($"/// <summary>{Escape(summary)}</summary>");
        w.Line($"public const {type} {name} = {System.Convert.ToString(value, CultureInfo.InvariantCulture)};");
    }

    private static string Escape(string text) => text.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;");

    /// <summary>Round-trippable double literal (always with a decimal point or exponent, so it is a double).</summary>
    private static string Real(double value)
    {
        string text = value.ToString("R", CultureInfo.InvariantCulture);
        return text.IndexOfAny(new[] { '.', 'E', 'e' }) >= 0 ? text : text + ".0";
    }

    /// <summary>Round-trippable float literal with an f suffix.</summary>
    private static string FloatLiteral(float value) => value.ToString("R", CultureInfo.InvariantCulture) + "f";

    /// <summary>Writes the file header, namespace and the opening of the model's partial class; disposing closes it.</summary>
    private static SourceWriter.Scope OpenModelClass(SourceWriter w, ModelSpec m, params string[] usings) => OpenModelClass(w, m, null, usings);

    private static SourceWriter.Scope OpenModelClass(SourceWriter w, ModelSpec m, string[]? remarks, params string[] usings) =>
        OpenModelClassAs(w, m, remarks, $"partial class {m.ClassName}", usings);

    /// <summary>As above, with the class declaration line given (modifiers, base interfaces).</summary>
    private static SourceWriter.Scope OpenModelClassAs(SourceWriter w, ModelSpec m, string[]? remarks, string declaration, params string[] usings)
    {
        w.Line("// <auto-generated/>");
        w.Line($"// Generated by TransformerKernels.Generators for [TransformerModel] on {m.ClassName}. Do not edit: change the attribute.");
        w.Line("#nullable enable");
        foreach (string u in usings)
        {
            w.Line(u);
        }
        w.Line();
        if (m.Namespace is not null)
        {
            w.Line($"namespace {m.Namespace};");
            w.Line();
        }
        if (remarks is not null)
        {
            w.Line("/// <remarks>");
            foreach (string line in remarks)
            {
                w.Line("/// " + Escape(line) + "<br/>");
            }
            w.Line("/// </remarks>");
        }
        return w.Block(declaration);
    }
}
