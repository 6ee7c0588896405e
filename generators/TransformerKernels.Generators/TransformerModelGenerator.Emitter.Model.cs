using TransformerKernels.Generators.Helpers;
using TransformerKernels.Generators.Model;

namespace TransformerKernels.Generators;

public sealed partial class TransformerModelGenerator
{
    /// <summary>
    /// Writes {Class}.Model.g.cs: the thin type that plugs this shape's kernels into the runtime's model classes. Everything
    /// that does not depend on the shape — guards, argument checks, sessions, embeddings, chunking, greedy and beam-search
    /// orchestration — is compiled code in src/TransformerKernels/Model/ (<c>TransformerModel&lt;TSelf&gt;</c> and the kinds
    /// derived from it); this file picks the kind, writes the constructors and implements <c>IModelKernels&lt;TSelf&gt;</c>.
    /// </summary>
    private static string EmitModel(ModelSpec m)
    {
        var w = new SourceWriter();
        bool encoder = m.EncoderLayers > 0, decoder = m.DecoderLayers > 0;
        string self = m.ClassName, plug = $"{Runtime}IModelKernels<{self}>";
        using (OpenModelClassAs(w, m, null, $"unsafe partial class {self} : {Runtime}{ModelKind(m)}<{self}>, {plug}"))
        {
            w.Line("/// <summary>Creates the model over weights loaded for its shape; the model owns and disposes them.</summary>");
            w.Line("/// <param name=\"weights\">Weights whose <see cref=\"global::TransformerKernels.TransformerWeights.Shape\"/> is this model's <see cref=\"Shape\"/>.</param>");
            w.Line("/// <param name=\"maxBatch\">Largest batch the float- and token-level APIs will be given; scratch is sized for it.</param>");
            w.Line($"public {self}({Runtime}TransformerWeights weights, int maxBatch = 1) : base(weights, maxBatch, ownsWeights: true)");
            w.Line("{");
            w.Line("}");
            w.Line();
            w.Line($"private {self}({Runtime}TransformerWeights weights, int maxBatch, bool ownsWeights) : base(weights, maxBatch, ownsWeights)");
            w.Line("{");
            w.Line("}");
            w.Line();
            w.Line($"// The plug: the runtime's {ModelKind(m)} calls this shape's kernels through these members.");
            if (m.EncoderVocab > 0 || m.DecoderVocab > 0)
            {
                w.Line("// " + EmbeddingDescription(m));
            }
            w.Line($"static {Runtime}ModelShape {plug}.DeclaredShape => Shape;");
            w.Line();
            w.Line($"static {Runtime}ModelPrecisions {plug}.DeclaredPrecisions => Precisions;");
            w.Line();
            w.Line($"static {self} {plug}.CreateModel({Runtime}TransformerWeights weights, int maxBatch, bool ownsWeights) => new(weights, maxBatch, ownsWeights);");
            w.Line();
            w.Line($"static void {plug}.Normalize(float* x, float* gamma, float* beta, int rows) => Kernels.AddNorm.Run(x, null, gamma, beta, x, rows);");
            if (encoder)
            {
                w.Line();
                w.Line($"static void {plug}.EncoderBlock(float* x, int batch, int length, global::System.ReadOnlySpan<int> validLengths, {Runtime}EncoderLayerWeights weights, {Runtime}BlockScratch scratch) =>");
                w.Line("    Kernels.EncoderBlock(x, batch, length, validLengths, weights, scratch);");
                w.Line();
                w.Line($"static void {plug}.EncoderBlockPacked(float* x, global::System.ReadOnlySpan<int> lengths, {Runtime}EncoderLayerWeights weights, {Runtime}BlockScratch scratch) =>");
                w.Line("    Kernels.EncoderBlockPacked(x, lengths, weights, scratch);");
            }
            if (decoder)
            {
                w.Line();
                w.Line($"static void {plug}.DecoderBlock(float* y, global::System.ReadOnlySpan<int> starts, global::System.ReadOnlySpan<int> lengths, global::System.ReadOnlySpan<{Runtime}DecoderLayerCache> caches,");
                w.Line($"    {Runtime}DecoderLayerWeights weights, {Runtime}BlockScratch scratch, float* crossAttentionWeights) =>");
                w.Line(encoder ? "    Kernels.DecoderBlock(y, starts, lengths, caches, weights, scratch, crossAttentionWeights);"
                               : "    Kernels.DecoderBlock(y, starts, lengths, caches, weights, scratch); // no cross-attention in a decoder-only model");
            }
            if (encoder && decoder)
            {
                w.Line();
                w.Line($"static void {plug}.PrepareCrossAttention(float* memory, int memoryLength, int validLength, {Runtime}DecoderLayerWeights weights, {Runtime}DecoderLayerCache cache, {Runtime}BlockScratch scratch) =>");
                w.Line("    Kernels.PrepareCrossAttention(memory, memoryLength, validLength, weights, cache, scratch);");
            }
            if (m.Layers.OutputProjection is { } projection)
            {
                w.Line();
                w.Line($"static void {plug}.ProjectToVocabulary(float* rows, int count, {Runtime}PackedLinear generator, float* logits) =>");
                w.Line($"    Kernels.{projection}.Run(rows, count, generator, null, logits);");
            }
        }
        return w.ToString();
    }

    /// <summary>The runtime class the model derives from: the stack (encoder, decoder, both) and whether it has vocabularies.</summary>
    private static string ModelKind(ModelSpec m) => (m.EncoderLayers > 0, m.DecoderLayers > 0) switch
    {
        (true, true) => m.EncoderVocab > 0 && m.DecoderVocab > 0 ? "TranslationModel" : "EncoderDecoderModel",
        (true, false) => m.EncoderVocab > 0 ? "TokenEncoderModel" : "EncoderModel",
        _ => m.DecoderVocab > 0 ? "LanguageModel" : "DecoderModel",
    };

    /// <summary>What the runtime's embedding step adds up for this variant (the weights decide at run time; this names them).</summary>
    private static string EmbeddingDescription(ModelSpec m)
    {
        string position = m.Positions switch
        {
            PositionEncoding.Learned => " + the learned position row",
            PositionEncoding.Sinusoidal => " + the sinusoidal position row",
            _ => "", // rotary positions rotate queries and keys inside attention; None adds nothing
        };
        return "Input = token embedding × EmbeddingScale" + position + (m.TokenTypes > 0 ? " + token type" : "")
            + (m.Norm == NormPlacement.RmsNorm ? "." : "; LayerNorm'd when the checkpoint has an embedding norm (BERT).");
    }
}
