using TransformerKernels.Generators.Helpers;
using TransformerKernels.Generators.Model;

namespace TransformerKernels.Generators;

public sealed partial class TransformerModelGenerator
{
    /// <summary>
    /// Writes {Class}.Model.g.cs: the model as an object over loaded weights — the float-level API with PyTorch batch_first
    /// semantics, the token-level API where the model has vocabularies, and greedy and beam-search translation.
    /// </summary>
    private static string EmitModel(ModelSpec m)
    {
        var w = new SourceWriter();
        bool encoder = m.EncoderLayers > 0, decoder = m.DecoderLayers > 0, translates = encoder && decoder && m.EncoderVocab > 0 && m.DecoderVocab > 0;
        bool generates = !encoder && decoder && m.DecoderVocab > 0;
        bool encodesTokens = encoder && !decoder && m.EncoderVocab > 0;
        string interfaces = "global::System.IDisposable" + (translates ? ", global::TransformerKernels.ITokenDecoder" : generates ? $", global::TransformerKernels.IDecoderModel<{m.ClassName}>" : "")
            + (encodesTokens ? $", global::TransformerKernels.IEncoderModel<{m.ClassName}>" : "");
        using (OpenModelClassAs(w, m, null, $"unsafe partial class {m.ClassName} : {interfaces}"))
        {
            EmitModelLifetime(w, m);
            if (encoder)
            {
                EmitEncodeEmbeddings(w, m);
            }
            if (decoder)
            {
                EmitDecodeEmbeddings(w, m, encoder);
            }
            if (m.EncoderVocab > 0 || m.DecoderVocab > 0)
            {
                EmitEmbed(w, m);
            }
            if (encoder && m.EncoderVocab > 0)
            {
                EmitEncodeTokens(w, m);
            }
            if (encodesTokens)
            {
                EmitEncoderModelMembers(w, m);
            }
            if (translates)
            {
                EmitTranslate(w, m);
            }
            if (generates)
            {
                EmitPrefill(w, m);
                EmitDecodingSteps(w, m, cross: false);
            }
            EmitModelChecks(w);
        }
        return w.ToString();
    }

    private static void EmitModelLifetime(SourceWriter w, ModelSpec m)
    {
        w.Line($"private readonly {Runtime}TransformerWeights _weights;");
        w.Line($"private readonly {Runtime}ModelRunState _state;");
        w.Line("private readonly bool _ownsWeights;");
        w.Line($"private readonly {Runtime}ModelCallGuard _guard = new();");
        w.Line();
        w.Line("/// <summary>Creates the model over weights loaded for its shape; the model owns and disposes them.</summary>");
        w.Line("/// <param name=\"weights\">Weights whose <see cref=\"global::TransformerKernels.TransformerWeights.Shape\"/> is this model's <see cref=\"Shape\"/>.</param>");
        w.Line("/// <param name=\"maxBatch\">Largest batch the float- and token-level APIs will be given; scratch is sized for it.</param>");
        w.Line($"public {m.ClassName}({Runtime}TransformerWeights weights, int maxBatch = 1) : this(weights, maxBatch, ownsWeights: true)");
        w.Line("{");
        w.Line("}");
        w.Line();
        using (w.Block($"private {m.ClassName}({Runtime}TransformerWeights weights, int maxBatch, bool ownsWeights)"))
        {
            w.Line("global::System.ArgumentNullException.ThrowIfNull(weights);");
            w.Line("if (weights.Shape != Shape) throw new global::System.ArgumentException($\"The weights were loaded for {weights.Shape}, not for this model's {Shape}.\", nameof(weights));");
            w.Line($"{Runtime}PrecisionNotGeneratedException.ThrowIfNotGenerated(Precisions, weights.Precision, \"{m.ClassName}\");");
            w.Line("_weights = weights;");
            w.Line("_ownsWeights = ownsWeights;");
            w.Line($"_state = new {Runtime}ModelRunState(Shape, maxBatch);");
            w.Line("weights.Retain(); // every instance holds the weights: they outlive the loader's Dispose while a session uses them");
        }
        w.Line();
        w.Line("/// <summary>");
        w.Line("/// A second instance over the same packed weights with its own scratch and caches, for another thread or another");
        w.Line("/// generation: an instance runs one call at a time (a concurrent call throws <see cref=\"global::System.InvalidOperationException\"/>)");
        w.Line("/// and its decoder caches hold one set of sequences. The weights stay alive until the model and every session are disposed.");
        w.Line("/// </summary>");
        w.Line("/// <param name=\"maxBatch\">Largest batch for the session.</param>");
        using (w.Block($"public {m.ClassName} CreateSession(int maxBatch = 1)"))
        {
            w.Line("global::System.ObjectDisposedException.ThrowIf(_guard.IsDisposed, this);");
            w.Line($"return new {m.ClassName}(_weights, maxBatch, ownsWeights: false);");
        }
        w.Line();
        w.Line("/// <summary>Marks the instance busy for one call (see ModelCallGuard): a second thread entering meanwhile gets a clear error instead of corrupted scratch.</summary>");
        w.Line($"private void Enter() => _guard.Enter(\"{m.ClassName}\");");
        w.Line();
        w.Line("private void Exit() => _guard.Exit();");
        w.Line();
        w.Line("/// <summary>");
        w.Line("/// Loads a safetensors checkpoint, checking every tensor against the declared shape, and creates the model. Every GEMM is");
        w.Line("/// generated for the declared Precisions; <paramref name=\"precision\"/> picks how the linear layers are stored. By default");
        w.Line("/// (<c>WeightNaming.Auto</c>) the tensor names follow the <c>model_type</c> of a Hugging Face config.json beside the checkpoint.");
        w.Line("/// </summary>");
        w.Line("/// <exception cref=\"global::TransformerKernels.ModelConfigurationException\">The config.json is malformed, of an unsupported model_type, or disagrees with the declaration.</exception>");
        w.Line("/// <exception cref=\"global::TransformerKernels.ModelWeightsException\">A tensor is missing, extra or mis-shaped, or (below FP32) not finite.</exception>");
        w.Line("/// <exception cref=\"global::TransformerKernels.SafeTensorsFormatException\">The file is malformed.</exception>");
        w.Line("/// <exception cref=\"global::TransformerKernels.PrecisionNotGeneratedException\"><paramref name=\"precision\"/> is not among the declared Precisions.</exception>");
        using (w.Block($"public static {m.ClassName} Load(string path, {Runtime}WeightNaming naming = {Runtime}WeightNaming.Auto, int maxBatch = 1, bool allowUnusedTensors = false, {Runtime}WeightPrecision precision = {Runtime}WeightPrecision.Fp32)"))
        {
            w.Line($"{Runtime}PrecisionNotGeneratedException.ThrowIfNotGenerated(Precisions, precision, \"{m.ClassName}\");");
            w.Line($"return new {m.ClassName}({Runtime}TransformerWeights.Load(path, Shape, precision, naming, allowUnusedTensors), maxBatch);");
        }
        w.Line();
        w.Line("/// <summary>The loaded, prepacked weights.</summary>");
        w.Line($"public {Runtime}TransformerWeights Weights => _weights;");
        w.Line();
        w.Line("/// <summary>");
        w.Line("/// Frees the scratch and caches and lets go of the packed weights (freed once no session holds them). A call running");
        w.Line("/// on another thread finishes first: the memory is released when it ends.");
        w.Line("/// </summary>");
        w.Line("public void Dispose() => _guard.Dispose(Release);");
        w.Line();
        using (w.Block("private void Release()"))
        {
            w.Line("_state.Dispose();");
            w.Line("_weights.Release();");
            w.Line("if (_ownsWeights) _weights.Dispose();");
        }
        w.Line();
    }

    private static void EmitEncodeEmbeddings(SourceWriter w, ModelSpec m)
    {
        w.Line("/// <summary>");
        w.Line("/// The encoder on embeddings, with PyTorch <c>batch_first</c> semantics: <paramref name=\"source\"/> [batch, length, DModel]");
        w.Line("/// → <paramref name=\"memory\"/> [batch, length, DModel], through every encoder block and the final norm if the checkpoint has one.");
        w.Line("/// </summary>");
        w.Line("/// <param name=\"source\">Input rows [batch, length, DModel] (embeddings with positions already added).</param>");
        w.Line("/// <param name=\"batch\">Sequences (1..maxBatch).</param>");
        w.Line("/// <param name=\"length\">Positions per sequence (1..MaxSeqLen).</param>");
        w.Line("/// <param name=\"sourceLengths\">Real tokens per sequence (later positions are padding, as <c>src_key_padding_mask</c>); empty: all.</param>");
        w.Line("/// <param name=\"memory\">Receives [batch, length, DModel]; nothing is written when an argument is rejected.</param>");
        using (w.Block("public void EncodeEmbeddings(global::System.ReadOnlySpan<float> source, int batch, int length, global::System.ReadOnlySpan<int> sourceLengths, global::System.Span<float> memory)"))
        {
            w.Line("Enter();");
            using (w.TryFinally("Exit();"))
            {
                w.Line("CheckBatch(batch, length, sourceLengths, nameof(sourceLengths));");
                w.Line("CheckSpan(source.Length, (long)batch * length * DModel, nameof(source), exact: true);");
                w.Line("CheckSpan(memory.Length, (long)batch * length * DModel, nameof(memory), exact: false);");
                w.Line("// The encoder runs in place on the output: copy the input there first.");
                w.Line("source.CopyTo(memory);");
                using (w.Block("fixed (float* x = memory)"))
                {
                    w.Line("RunEncoder(x, batch, length, sourceLengths);");
                }
            }
        }
        w.Line();
        w.Line("/// <summary>Encoder blocks 1…N, then the encoder's final LayerNorm if any.</summary>");
        using (w.Block("private void RunEncoder(float* x, int batch, int length, global::System.ReadOnlySpan<int> sourceLengths)"))
        {
            using (w.Block("for (int layer = 0; layer < EncoderLayers; layer++)"))
            {
                w.Line("Kernels.EncoderBlock(x, batch, length, sourceLengths, _weights.Encoder[layer], _state.Scratch);");
            }
            w.Line("if (_weights.EncoderNorm is { } norm) Kernels.AddNorm.Run(x, null, norm.Gamma, norm.Beta, x, batch * length);");
        }
        w.Line();
    }

    private static void EmitDecodeEmbeddings(SourceWriter w, ModelSpec m, bool encoder)
    {
        w.Line("/// <summary>");
        w.Line("/// The decoder on embeddings, PyTorch <c>batch_first</c>: <paramref name=\"target\"/> [batch, targetLength, DModel] → <paramref name=\"output\"/>");
        w.Line("/// of the same shape, with the causal mask (each position sees itself and earlier ones)" + (encoder ? " and attention over" : "") + ",");
        w.Line(encoder ? "/// <paramref name=\"memory\"/> [batch, memoryLength, DModel], then the final norm if the checkpoint has one." : "/// then the final norm if the checkpoint has one.");
        w.Line("/// </summary>");
        w.Line("/// <param name=\"target\">Decoder input rows [batch, targetLength, DModel].</param>");
        w.Line("/// <param name=\"batch\">Sequences (1..maxBatch).</param>");
        w.Line("/// <param name=\"targetLength\">Positions per target sequence (1..MaxSeqLen).</param>");
        if (encoder)
        {
            w.Line("/// <param name=\"memory\">Encoder output [batch, memoryLength, DModel].</param>");
            w.Line("/// <param name=\"memoryLength\">Positions per encoder sequence.</param>");
            w.Line("/// <param name=\"memoryLengths\">Real encoder positions per sequence (<c>memory_key_padding_mask</c>); empty: all.</param>");
        }
        w.Line("/// <param name=\"output\">Receives [batch, targetLength, DModel].</param>");
        string memoryParameters = encoder ? ", global::System.ReadOnlySpan<float> memory, int memoryLength, global::System.ReadOnlySpan<int> memoryLengths" : "";
        using (w.Block($"public void DecodeEmbeddings(global::System.ReadOnlySpan<float> target, int batch, int targetLength{memoryParameters}, global::System.Span<float> output)"))
        {
            w.Line("Enter();");
            using (w.TryFinally("Exit();"))
            {
                w.Line("CheckBatch(batch, targetLength, default, \"lengths\");");
                w.Line("CheckSpan(target.Length, (long)batch * targetLength * DModel, nameof(target), exact: true);");
                w.Line("CheckSpan(output.Length, (long)batch * targetLength * DModel, nameof(output), exact: false);");
                if (encoder)
                {
                    w.Line("CheckBatch(batch, memoryLength, memoryLengths, nameof(memoryLengths));");
                    w.Line("CheckSpan(memory.Length, (long)batch * memoryLength * DModel, nameof(memory), exact: true);");
                }
                w.Line("target.CopyTo(output);");
                w.Line($"{Runtime}DecoderLayerCache[] caches = _state.Caches(0);");
                using (w.Block(encoder ? "fixed (float* y0 = output, m0 = memory)" : "fixed (float* y0 = output)"))
                using (w.Block("for (int b = 0; b < batch; b++)"))
                {
                    w.Line("float* y = y0 + (long)b * targetLength * DModel;");
                    if (encoder)
                    {
                        w.Line("// Keys and values of this sequence's encoder output, for every block's cross-attention.");
                        w.Line("int valid = memoryLengths.IsEmpty ? memoryLength : memoryLengths[b];");
                        w.Line("for (int layer = 0; layer < DecoderLayers; layer++) Kernels.PrepareCrossAttention(m0 + (long)b * memoryLength * DModel, memoryLength, valid, _weights.Decoder[layer], caches[layer], _state.Scratch);");
                    }
                    w.Line("for (int layer = 0; layer < DecoderLayers; layer++) Kernels.DecoderBlock(y, targetLength, 0, _weights.Decoder[layer], caches[layer], _state.Scratch);");
                    w.Line("if (_weights.DecoderNorm is { } norm) Kernels.AddNorm.Run(y, null, norm.Gamma, norm.Beta, y, targetLength);");
                }
            }
        }
        w.Line();
    }

    private static void EmitEmbed(SourceWriter w, ModelSpec m)
    {
        string position = m.Positions switch
        {
            PositionEncoding.Learned => " + the learned position row",
            PositionEncoding.Sinusoidal => " + the sinusoidal position row",
            _ => "", // rotary positions rotate queries and keys inside attention; None adds nothing
        };
        w.Line("/// <summary>Input = token embedding × EmbeddingScale" + position + (m.TokenTypes > 0 ? " + token type" : "") + (m.Norm == NormPlacement.RmsNorm ? "." : "; LayerNorm'd when the checkpoint has an embedding norm (BERT).") + "</summary>");
        using (w.Block("private void Embed(float* table, global::System.ReadOnlySpan<int> ids, int firstPosition, global::System.ReadOnlySpan<int> tokenTypes, float* rows)"))
        {
            w.Line("float scale = _weights.EmbeddingScale;");
            w.Line("float* positions = _weights.Positions is { } p ? p.Pointer : null;");
            w.Line("float* types = _weights.TokenTypeEmbedding is { } t ? t.Pointer : null;");
            using (w.Block("for (int i = 0; i < ids.Length; i++)"))
            {
                w.Line("float* row = rows + (long)i * DModel;");
                w.Line("float* token = table + (long)ids[i] * DModel;");
                w.Line("for (int j = 0; j < DModel; j++) row[j] = token[j] * scale;");
                w.Line("if (positions != null) { float* position = positions + (long)(firstPosition + i) * DModel; for (int j = 0; j < DModel; j++) row[j] += position[j]; }");
                w.Line("if (types != null) { float* type = types + (long)(tokenTypes.IsEmpty ? 0 : tokenTypes[i]) * DModel; for (int j = 0; j < DModel; j++) row[j] += type[j]; }");
            }
            w.Line("if (_weights.EmbeddingNorm is { } norm) Kernels.AddNorm.Run(rows, null, norm.Gamma, norm.Beta, rows, ids.Length);");
        }
        w.Line();
    }

    private static void EmitEncodeTokens(SourceWriter w, ModelSpec m)
    {
        w.Line("/// <summary>");
        w.Line("/// Token ids [batch, length] → hidden states [batch, length, DModel]: embeddings, positions, every encoder block, final norm.");
        w.Line("/// </summary>");
        w.Line("/// <param name=\"ids\">Token ids in [0, EncoderVocab); padded positions must hold a valid id too.</param>");
        w.Line("/// <param name=\"batch\">Sequences (1..maxBatch).</param>");
        w.Line("/// <param name=\"length\">Positions per sequence (1..MaxSeqLen).</param>");
        w.Line("/// <param name=\"lengths\">Real tokens per sequence (attention mask); empty: all.</param>");
        w.Line("/// <param name=\"hidden\">Receives [batch, length, DModel]; nothing is written when an argument is rejected.</param>");
        w.Line("/// <param name=\"tokenTypes\">Segment ids per token (BERT), or empty for all zeros.</param>");
        using (w.Block("public void Encode(global::System.ReadOnlySpan<int> ids, int batch, int length, global::System.ReadOnlySpan<int> lengths, global::System.Span<float> hidden, global::System.ReadOnlySpan<int> tokenTypes = default)"))
        {
            w.Line("Enter();");
            using (w.TryFinally("Exit();"))
            {
                w.Line("CheckBatch(batch, length, lengths, nameof(lengths));");
                w.Line("CheckSpan(ids.Length, (long)batch * length, nameof(ids), exact: true);");
                w.Line("CheckIds(ids, EncoderVocab, nameof(ids));");
                w.Line("if (!tokenTypes.IsEmpty) { CheckSpan(tokenTypes.Length, ids.Length, nameof(tokenTypes), exact: true); CheckIds(tokenTypes, global::System.Math.Max(1, TokenTypes), nameof(tokenTypes)); }");
                w.Line("CheckSpan(hidden.Length, (long)batch * length * DModel, nameof(hidden), exact: false);");
                using (w.Block("fixed (float* x = hidden)"))
                {
                    w.Line("for (int b = 0; b < batch; b++) Embed(_weights.SourceEmbedding!.Pointer, ids.Slice(b * length, length), 0, tokenTypes.IsEmpty ? default : tokenTypes.Slice(b * length, length), x + (long)b * length * DModel);");
                    w.Line("RunEncoder(x, batch, length, lengths);");
                }
            }
        }
        w.Line();
        w.Line("/// <summary>One sequence of token ids → hidden states [ids.Length, DModel].</summary>");
        w.Line("public void Encode(global::System.ReadOnlySpan<int> ids, global::System.Span<float> hidden, global::System.ReadOnlySpan<int> tokenTypes = default) => Encode(ids, 1, ids.Length, default, hidden, tokenTypes);");
        w.Line();
        w.Line("/// <summary>");
        w.Line("/// Packed sequences of token ids → hidden states, back to back: sequence b's rows follow sequence b − 1's, each with");
        w.Line("/// its own length and positions from 0. The GEMMs run once over all Σ lengths rows (one pass over the weights for the");
        w.Line("/// whole batch), attention per sequence over its own tokens: no arithmetic on padding. Each sequence's output equals");
        w.Line("/// what <see cref=\"Encode(global::System.ReadOnlySpan{int}, global::System.Span{float}, global::System.ReadOnlySpan{int})\"/> gives for it alone.");
        w.Line("/// </summary>");
        w.Line("/// <param name=\"ids\">Token ids of every sequence, back to back [Σ lengths].</param>");
        w.Line("/// <param name=\"lengths\">Tokens of each sequence (each 1..MaxSeqLen; in total at most maxBatch·MaxSeqLen).</param>");
        w.Line("/// <param name=\"hidden\">Receives [Σ lengths, DModel]; nothing is written when an argument is rejected.</param>");
        w.Line("/// <param name=\"tokenTypes\">Segment ids per token, back to back like <paramref name=\"ids\"/>, or empty for all zeros.</param>");
        using (w.Block("public void EncodePacked(global::System.ReadOnlySpan<int> ids, global::System.ReadOnlySpan<int> lengths, global::System.Span<float> hidden, global::System.ReadOnlySpan<int> tokenTypes = default)"))
        {
            w.Line("Enter();");
            using (w.TryFinally("Exit();"))
            {
                w.Line("global::System.ObjectDisposedException.ThrowIf(_guard.IsDisposed, this);");
                w.Line("if (lengths.IsEmpty) throw new global::System.ArgumentOutOfRangeException(nameof(lengths), 0, \"At least one sequence is needed.\");");
                w.Line("long rows = 0;");
                w.Line("foreach (int length in lengths) { if (length < 1 || length > MaxSeqLen) throw new global::System.ArgumentOutOfRangeException(nameof(lengths), length, $\"Each sequence length must be 1..{MaxSeqLen} (MaxSeqLen).\"); rows += length; }");
                w.Line("if (rows > (long)_state.MaxBatch * MaxSeqLen) throw new global::System.ArgumentOutOfRangeException(nameof(lengths), rows, $\"The sequences have {rows} tokens; this model holds {(long)_state.MaxBatch * MaxSeqLen} (maxBatch × MaxSeqLen).\");");
                w.Line("CheckSpan(ids.Length, rows, nameof(ids), exact: true);");
                w.Line("CheckIds(ids, EncoderVocab, nameof(ids));");
                w.Line("if (!tokenTypes.IsEmpty) { CheckSpan(tokenTypes.Length, ids.Length, nameof(tokenTypes), exact: true); CheckIds(tokenTypes, global::System.Math.Max(1, TokenTypes), nameof(tokenTypes)); }");
                w.Line("CheckSpan(hidden.Length, rows * DModel, nameof(hidden), exact: false);");
                using (w.Block("fixed (float* x = hidden)"))
                {
                    w.Line("for (int b = 0, first = 0; b < lengths.Length; first += lengths[b], b++) Embed(_weights.SourceEmbedding!.Pointer, ids.Slice(first, lengths[b]), 0, tokenTypes.IsEmpty ? default : tokenTypes.Slice(first, lengths[b]), x + (long)first * DModel);");
                    w.Line("for (int layer = 0; layer < EncoderLayers; layer++) Kernels.EncoderBlockPacked(x, lengths, _weights.Encoder[layer], _state.Scratch);");
                    w.Line("if (_weights.EncoderNorm is { } norm) Kernels.AddNorm.Run(x, null, norm.Gamma, norm.Beta, x, (int)rows);");
                }
            }
        }
        w.Line();
    }

    /// <summary>The static half of IEncoderModel (shape and loaders, for generic embedders) and ITokenEncoder's session.</summary>
    private static void EmitEncoderModelMembers(SourceWriter w, ModelSpec m)
    {
        EmitModelTypeMembers(w, m, $"global::TransformerKernels.IEncoderModel<{m.ClassName}>");
        w.Line("global::TransformerKernels.ITokenEncoder global::TransformerKernels.ITokenEncoder.CreateSession(int maxBatch) => CreateSession(maxBatch);");
        w.Line();
    }

    /// <summary>The static members IEncoderModel and IDecoderModel share: the shape and the loaders, as the interface <paramref name="self"/>.</summary>
    private static void EmitModelTypeMembers(SourceWriter w, ModelSpec m, string self)
    {
        w.Line($"static {Runtime}ModelShape {self}.Shape => Shape;");
        w.Line();
        w.Line($"static {m.ClassName} {self}.Load(string path, {Runtime}WeightNaming naming, int maxBatch, bool allowUnusedTensors, {Runtime}WeightPrecision precision) => Load(path, naming, maxBatch, allowUnusedTensors, precision);");
        w.Line();
        w.Line($"static {m.ClassName} {self}.Create({Runtime}TransformerWeights weights, int maxBatch) => new {m.ClassName}(weights, maxBatch);");
        w.Line();
    }

    private static void EmitTranslate(SourceWriter w, ModelSpec m)
    {
        w.Line("private readonly global::TransformerKernels.BeamSearch _beamSearch = new();");
        w.Line("private readonly global::TransformerKernels.GreedySearch _greedySearch = new();");
        w.Line("private float* _crossAttention;");
        w.Line();
        w.Line("/// <summary>");
        w.Line("/// Translates source ids into target ids, token by token: the encoder runs once, then each step feeds the tokens so far");
        w.Line("/// (one new row per beam, earlier ones cached) through the decoder, the final linear picks the next token, until");
        w.Line("/// <paramref name=\"endToken\"/> or <paramref name=\"maxLength\"/>. Greedy with <paramref name=\"beamWidth\"/> 1, beam search above.");
        w.Line("/// </summary>");
        w.Line("/// <param name=\"source\">Source token ids.</param>");
        w.Line("/// <param name=\"target\">Receives the target ids; its length also caps the translation.</param>");
        w.Line("/// <param name=\"startToken\">The target id that starts decoding.</param>");
        w.Line("/// <param name=\"endToken\">The target id that ends it.</param>");
        w.Line("/// <param name=\"beamWidth\">1: greedy; more: beam search with that many beams (at most <see cref=\"global::TransformerKernels.BeamSearch.MaxWidth\"/>: each beam keeps two decoder caches).</param>");
        w.Line("/// <param name=\"lengthPenalty\">Beam scores are divided by length^lengthPenalty.</param>");
        w.Line("/// <param name=\"maxLength\">Most target tokens (0: MaxSeqLen).</param>");
        w.Line("/// <returns>Tokens written to <paramref name=\"target\"/> (the end token is not written).</returns>");
        w.Line("/// <exception cref=\"global::System.ArgumentOutOfRangeException\">An id outside the vocabulary, an empty or too long source, bad options.</exception>");
        using (w.Block("public int Translate(global::System.ReadOnlySpan<int> source, global::System.Span<int> target, int startToken, int endToken, int beamWidth = 1, float lengthPenalty = 1f, int maxLength = 0)"))
        {
            w.Line("Enter();");
            using (w.TryFinally("Exit();"))
            {
                w.Line("CheckSource(source, nameof(source));");
                w.Line("int limit = CheckDecodingOptions(startToken, endToken, beamWidth, maxLength);");
                w.Line("limit = global::System.Math.Min(limit, target.Length);");
                w.Line("if (limit < 1) throw new global::System.ArgumentException(\"The target span is empty.\", nameof(target));");
                w.Line("int sourceLength = source.Length, length = 0;");
                w.Line("TranslateCore(source, new global::System.ReadOnlySpan<int>(in sourceLength), target, limit, new global::System.Span<int>(ref length), startToken, endToken, beamWidth, lengthPenalty);");
                w.Line("return length;");
            }
        }
        w.Line();
        w.Line("/// <summary>");
        w.Line("/// Translates many sentences at once, with the same results as <see cref=\"Translate\"/> one by one: the encoder runs over");
        w.Line("/// the sources packed back to back, then every decoding step feeds one row per live beam of every sentence still");
        w.Line("/// running through the decoder in one pass over the weights; finished sentences leave the batch. Sentences go in chunks");
        w.Line("/// of up to the model's maxBatch (and 256 decoder slots: one per sentence greedy, two per beam).");
        w.Line("/// </summary>");
        w.Line("/// <param name=\"sources\">Source ids of every sentence, back to back [Σ sourceLengths].</param>");
        w.Line("/// <param name=\"sourceLengths\">Tokens of each source (each 1..MaxSeqLen).</param>");
        w.Line("/// <param name=\"targets\">[sentences, limit] with limit = <paramref name=\"maxLength\"/> (MaxSeqLen when 0): row k receives sentence k's ids.</param>");
        w.Line("/// <param name=\"targetLengths\">Receives each sentence's target length [sentences] (the end token is not written).</param>");
        w.Line("/// <param name=\"startToken\">The target id that starts decoding.</param>");
        w.Line("/// <param name=\"endToken\">The target id that ends it.</param>");
        w.Line("/// <param name=\"beamWidth\">1: greedy; more: beam search with that many beams per sentence.</param>");
        w.Line("/// <param name=\"lengthPenalty\">Beam scores are divided by length^lengthPenalty.</param>");
        w.Line("/// <param name=\"maxLength\">Most target tokens (0: MaxSeqLen); also the row stride of <paramref name=\"targets\"/>.</param>");
        w.Line("/// <exception cref=\"global::System.ArgumentOutOfRangeException\">An id outside the vocabulary, an empty or too long source, bad options.</exception>");
        w.Line("/// <exception cref=\"global::System.ArgumentException\">Spans whose sizes do not match.</exception>");
        using (w.Block("public void TranslateBatch(global::System.ReadOnlySpan<int> sources, global::System.ReadOnlySpan<int> sourceLengths, global::System.Span<int> targets, global::System.Span<int> targetLengths, int startToken, int endToken, int beamWidth = 1, float lengthPenalty = 1f, int maxLength = 0)"))
        {
            w.Line("Enter();");
            using (w.TryFinally("Exit();"))
            {
                w.Line("global::System.ObjectDisposedException.ThrowIf(_guard.IsDisposed, this);");
                w.Line("int limit = CheckDecodingOptions(startToken, endToken, beamWidth, maxLength);");
                w.Line("if (sourceLengths.IsEmpty) return;");
                w.Line("long total = 0;");
                w.Line("foreach (int length in sourceLengths) { if (length < 1 || length > MaxSeqLen) throw new global::System.ArgumentOutOfRangeException(nameof(sourceLengths), length, $\"Each source must have 1..{MaxSeqLen} tokens.\"); total += length; }");
                w.Line("CheckSpan(sources.Length, total, nameof(sources), exact: true);");
                w.Line("CheckIds(sources, EncoderVocab, nameof(sources));");
                w.Line("CheckSpan(targets.Length, (long)sourceLengths.Length * limit, nameof(targets), exact: false);");
                w.Line("CheckSpan(targetLengths.Length, sourceLengths.Length, nameof(targetLengths), exact: false);");
                w.Line("TranslateCore(sources, sourceLengths, targets, limit, targetLengths, startToken, endToken, beamWidth, lengthPenalty);");
            }
        }
        w.Line();
        w.Line("/// <summary>Checks the decoding options; returns the target limit (maxLength, or MaxSeqLen for 0).</summary>");
        using (w.Block("private static int CheckDecodingOptions(int startToken, int endToken, int beamWidth, int maxLength)"))
        {
            w.Line("if ((uint)startToken >= DecoderVocab) throw new global::System.ArgumentOutOfRangeException(nameof(startToken), startToken, $\"Must be a target id in [0, {DecoderVocab}).\");");
            w.Line("if ((uint)endToken >= DecoderVocab) throw new global::System.ArgumentOutOfRangeException(nameof(endToken), endToken, $\"Must be a target id in [0, {DecoderVocab}).\");");
            w.Line("if (beamWidth < 1 || beamWidth > global::TransformerKernels.BeamSearch.MaxWidth) throw new global::System.ArgumentOutOfRangeException(nameof(beamWidth), beamWidth, $\"Must be 1 (greedy) to {(global::TransformerKernels.BeamSearch.MaxWidth)} beams.\");");
            w.Line("if (maxLength < 0 || maxLength > MaxSeqLen) throw new global::System.ArgumentOutOfRangeException(nameof(maxLength), maxLength, $\"0 (as long as fits) or 1..{MaxSeqLen}.\");");
            w.Line("return maxLength == 0 ? MaxSeqLen : maxLength;");
        }
        w.Line();
        w.Line("/// <summary>Checked sentences in chunks: encoder packed per chunk, then greedy or beam search over all of its sentences.</summary>");
        using (w.Block("private void TranslateCore(global::System.ReadOnlySpan<int> sources, global::System.ReadOnlySpan<int> sourceLengths, global::System.Span<int> targets, int stride, global::System.Span<int> targetLengths, int startToken, int endToken, int beamWidth, float lengthPenalty)"))
        {
            w.Line("int slotsPerSentence = beamWidth == 1 ? 1 : 2 * beamWidth;");
            w.Line("int chunk = global::System.Math.Max(1, global::System.Math.Min(_state.MaxBatch, global::TransformerKernels.ModelRunState.MaxSlots / slotsPerSentence));");
            using (w.Block("for (int first = 0, offset = 0; first < sourceLengths.Length;)"))
            {
                w.Line("int count = global::System.Math.Min(chunk, sourceLengths.Length - first), tokens = 0;");
                w.Line("global::System.ReadOnlySpan<int> lengths = sourceLengths.Slice(first, count);");
                w.Line("foreach (int length in lengths) tokens += length;");
                w.Line("PrepareSources(sources.Slice(offset, tokens), lengths, slotsPerSentence);");
                w.Line("global::System.Span<int> output = targets.Slice(first * stride), outputLengths = targetLengths.Slice(first, count);");
                w.Line("if (beamWidth == 1) _greedySearch.Run(this, count, startToken, endToken, stride, output, stride, outputLengths);");
                w.Line("else _beamSearch.RunBatch(this, count, startToken, endToken, beamWidth, lengthPenalty, stride, output, stride, outputLengths);");
                w.Line("first += count;");
                w.Line("offset += tokens;");
            }
        }
        w.Line();
        w.Line("/// <summary>");
        w.Line("/// Runs the encoder on <paramref name=\"source\"/> and prepares the cross-attention keys and values of every decoder block in");
        w.Line("/// slots [0, <paramref name=\"slots\"/>); <see cref=\"Step(int, int, int)\"/> then decodes token by token (Translate does both).");
        w.Line("/// </summary>");
        w.Line("/// <param name=\"source\">Source token ids.</param>");
        w.Line("/// <param name=\"slots\">Slots to prepare (1..256).</param>");
        using (w.Block("public void StartDecoding(global::System.ReadOnlySpan<int> source, int slots = 1)"))
        {
            w.Line("Enter();");
            using (w.TryFinally("Exit();"))
            {
                w.Line("CheckSource(source, nameof(source));");
                w.Line("if (slots < 1 || slots > global::TransformerKernels.ModelRunState.MaxSlots) throw new global::System.ArgumentOutOfRangeException(nameof(slots), slots, $\"Must be 1..{(global::TransformerKernels.ModelRunState.MaxSlots)} (two per beam).\");");
                w.Line("int length = source.Length;");
                w.Line("PrepareSources(source, new global::System.ReadOnlySpan<int>(in length), slots);");
            }
        }
        w.Line();
        w.Line("/// <summary>");
        w.Line("/// Encoder over the sources packed back to back (embeddings + positions → encoder blocks → memory), then each decoder");
        w.Line("/// block's cross-attention keys and values: projected once per source into its first slot, shared by its other slots.");
        w.Line("/// Source k owns slots [k·slotsPerSource, (k + 1)·slotsPerSource).");
        w.Line("/// </summary>");
        using (w.Block("private void PrepareSources(global::System.ReadOnlySpan<int> sources, global::System.ReadOnlySpan<int> lengths, int slotsPerSource)"))
        {
            w.Line("float* memory = _state.Rows.Pointer;");
            w.Line("int rows = 0;");
            w.Line("foreach (int length in lengths) { Embed(_weights.SourceEmbedding!.Pointer, sources.Slice(rows, length), 0, default, memory + (long)rows * DModel); rows += length; }");
            w.Line("for (int layer = 0; layer < EncoderLayers; layer++) Kernels.EncoderBlockPacked(memory, lengths, _weights.Encoder[layer], _state.Scratch);");
            w.Line("if (_weights.EncoderNorm is { } norm) Kernels.AddNorm.Run(memory, null, norm.Gamma, norm.Beta, memory, rows);");
            using (w.Block("for (int k = 0, first = 0; k < lengths.Length; first += lengths[k], k++)"))
            {
                w.Line($"{Runtime}DecoderLayerCache[] prepared = _state.Caches(k * slotsPerSource);");
                w.Line("for (int layer = 0; layer < DecoderLayers; layer++) Kernels.PrepareCrossAttention(memory + (long)first * DModel, lengths[k], lengths[k], _weights.Decoder[layer], prepared[layer], _state.Scratch);");
                using (w.Block("for (int slot = 1; slot < slotsPerSource; slot++)"))
                {
                    w.Line($"{Runtime}DecoderLayerCache[] sharing = _state.Caches(k * slotsPerSource + slot);");
                    w.Line("for (int layer = 0; layer < DecoderLayers; layer++) sharing[layer].ShareMemoryOf(prepared[layer]);");
                }
            }
        }
        w.Line();
        using (w.Block("private void CheckSource(global::System.ReadOnlySpan<int> source, string name)"))
        {
            w.Line("global::System.ObjectDisposedException.ThrowIf(_guard.IsDisposed, this);");
            w.Line("if (source.Length < 1 || source.Length > MaxSeqLen) throw new global::System.ArgumentOutOfRangeException(name, source.Length, $\"The source must have 1..{MaxSeqLen} tokens.\");");
            w.Line("CheckIds(source, EncoderVocab, name);");
        }
        w.Line();
        EmitDecodingSteps(w, m, cross: true);
    }

    /// <summary>The decoder-only prefill (IPromptDecoder): every prompt token through the blocks in one pass, the caches filled, the last positions' logits.</summary>
    private static void EmitPrefill(SourceWriter w, ModelSpec m)
    {
        w.Line("/// <summary>");
        w.Line("/// Runs prompts through the decoder in one pass — the GEMM rows are all prompt tokens, attention runs per prompt under");
        w.Line("/// the causal mask — and fills the key/value caches of slots [firstSlot, firstSlot + prompts): prompt k's keys and");
        w.Line("/// values for positions [0, length) go to slot firstSlot + k. Returns the logits of each prompt's last position");
        w.Line("/// [prompts, DecoderVocab], valid until the next call; <see cref=\"Step(global::System.ReadOnlySpan{int}, global::System.ReadOnlySpan{int}, global::System.ReadOnlySpan{int})\"/> continues from position length.");
        w.Line("/// </summary>");
        w.Line("/// <param name=\"prompts\">Token ids of every prompt, back to back [Σ promptLengths].</param>");
        w.Line("/// <param name=\"promptLengths\">Tokens of each prompt (each 1..MaxSeqLen; in total at most maxBatch·MaxSeqLen).</param>");
        w.Line("/// <param name=\"firstSlot\">Slot of the first prompt.</param>");
        w.Line("/// <exception cref=\"global::System.ArgumentOutOfRangeException\">An id outside the vocabulary, a prompt of 0 or more than MaxSeqLen tokens, too many tokens or slots.</exception>");
        using (w.Block("public global::System.Span<float> Prefill(scoped global::System.ReadOnlySpan<int> prompts, scoped global::System.ReadOnlySpan<int> promptLengths, int firstSlot = 0)"))
        {
            w.Line("Enter();");
            using (w.TryFinally("Exit();"))
            {
                w.Line("return PrefillCore(prompts, promptLengths, firstSlot);");
            }
        }
        w.Line();
        w.Line("int global::TransformerKernels.IPromptDecoder.MaxSequenceLength => MaxSeqLen;");
        w.Line();
        w.Line("global::System.Span<float> global::TransformerKernels.IPromptDecoder.Prefill(scoped global::System.ReadOnlySpan<int> prompts, scoped global::System.ReadOnlySpan<int> promptLengths, int firstSlot) => Prefill(prompts, promptLengths, firstSlot);");
        w.Line();
        w.Line("global::TransformerKernels.IPromptDecoder global::TransformerKernels.IPromptDecoder.CreateSession(int maxBatch) => CreateSession(maxBatch);");
        w.Line();
        EmitModelTypeMembers(w, m, $"global::TransformerKernels.IDecoderModel<{m.ClassName}>");
        w.Line("/// <summary>");
        w.Line("/// Scores one sequence in one pass: prefills <paramref name=\"tokens\"/> into slot 0 (as <see cref=\"Prefill\"/> would) and writes the");
        w.Line("/// logits of every position into <paramref name=\"logits\"/> [tokens.Length, DecoderVocab] — row i is the model's prediction of token i + 1.");
        w.Line("/// </summary>");
        w.Line("/// <param name=\"tokens\">The sequence (1..MaxSeqLen ids).</param>");
        w.Line("/// <param name=\"logits\">Receives tokens.Length × DecoderVocab floats (at least that many).</param>");
        w.Line("/// <exception cref=\"global::System.ArgumentOutOfRangeException\">An id outside the vocabulary, or 0 or more than MaxSeqLen tokens.</exception>");
        w.Line("/// <exception cref=\"global::System.ArgumentException\"><paramref name=\"logits\"/> is too short.</exception>");
        using (w.Block("public void Score(global::System.ReadOnlySpan<int> tokens, global::System.Span<float> logits)"))
        {
            w.Line("Enter();");
            using (w.TryFinally("Exit();"))
            {
                w.Line("global::System.ObjectDisposedException.ThrowIf(_guard.IsDisposed, this);");
                w.Line("if (tokens.Length < 1 || tokens.Length > MaxSeqLen) throw new global::System.ArgumentOutOfRangeException(nameof(tokens), tokens.Length, $\"A scored sequence must have 1..{MaxSeqLen} tokens (MaxSeqLen).\");");
                w.Line("CheckSpan(logits.Length, (long)tokens.Length * DecoderVocab, nameof(logits), exact: false);");
                w.Line("int length = tokens.Length;");
                w.Line("fixed (float* output = logits) PrefillCore(tokens, new global::System.ReadOnlySpan<int>(in length), 0, output);");
            }
        }
        w.Line();
        w.Line("void global::TransformerKernels.IPromptDecoder.Score(global::System.ReadOnlySpan<int> tokens, global::System.Span<float> logits) => Score(tokens, logits);");
        w.Line();
        w.Line("/// <summary>The prefill; with <paramref name=\"everyPosition\"/>, the logits of every row (not only each prompt's last) go there instead.</summary>");
        using (w.Block("private global::System.Span<float> PrefillCore(scoped global::System.ReadOnlySpan<int> prompts, scoped global::System.ReadOnlySpan<int> promptLengths, int firstSlot, float* everyPosition = null)"))
        {
            w.Line("global::System.ObjectDisposedException.ThrowIf(_guard.IsDisposed, this);");
            w.Line("int n = promptLengths.Length;");
            w.Line("if (n < 1 || n > global::System.Math.Min(_state.MaxStepRows, global::TransformerKernels.ModelRunState.MaxSlots)) throw new global::System.ArgumentOutOfRangeException(nameof(promptLengths), n, $\"1..{(global::System.Math.Min(_state.MaxStepRows, global::TransformerKernels.ModelRunState.MaxSlots))} prompts per call.\");");
            w.Line("if (firstSlot < 0 || firstSlot + n > global::TransformerKernels.ModelRunState.MaxSlots) throw new global::System.ArgumentOutOfRangeException(nameof(firstSlot), firstSlot, $\"Slots [{firstSlot}, {firstSlot + n}) do not fit 0..{(global::TransformerKernels.ModelRunState.MaxSlots)}.\");");
            w.Line("long total = 0;");
            w.Line("foreach (int length in promptLengths) { if (length < 1 || length > MaxSeqLen) throw new global::System.ArgumentOutOfRangeException(nameof(promptLengths), length, $\"Each prompt must have 1..{MaxSeqLen} tokens (MaxSeqLen).\"); total += length; }");
            w.Line("if (total > _state.Scratch.MaxRows) throw new global::System.ArgumentOutOfRangeException(nameof(promptLengths), total, $\"The prompts have {total} tokens; this model holds {_state.Scratch.MaxRows} per call (maxBatch × MaxSeqLen).\");");
            w.Line("CheckSpan(prompts.Length, total, nameof(prompts), exact: true);");
            w.Line("CheckIds(prompts, DecoderVocab, nameof(prompts));");
            w.Line("// Embeddings + positions of every prompt token, back to back.");
            w.Line("float* y = _state.Rows.Pointer;");
            w.Line("int rows = 0;");
            w.Line("foreach (int length in promptLengths) { Embed(_weights.TargetEmbedding!.Pointer, prompts.Slice(rows, length), 0, default, y + (long)rows * DModel); rows += length; }");
            w.Line("global::System.Span<int> starts = global::System.MemoryExtensions.AsSpan(_state.SegmentStarts, 0, n);");
            w.Line("starts.Clear();");
            w.Line($"global::System.Span<{Runtime}DecoderLayerCache> caches = global::System.MemoryExtensions.AsSpan(_state.SegmentCaches, 0, n);");
            using (w.Block("for (int layer = 0; layer < DecoderLayers; layer++)"))
            {
                w.Line("for (int k = 0; k < n; k++) caches[k] = _state.Caches(firstSlot + k)[layer];");
                w.Line("Kernels.DecoderBlock(y, starts, promptLengths, caches, _weights.Decoder[layer], _state.Scratch);");
            }
            using (w.Block("if (everyPosition != null)"))
            {
                w.Line("// Scoring: every row goes on to the final norm and the vocabulary, straight into the caller's buffer.");
                w.Line("if (_weights.DecoderNorm is { } allNorm) Kernels.AddNorm.Run(y, null, allNorm.Gamma, allNorm.Beta, y, rows);");
                w.Line("for (int k = 0; k < n; k++) _state.SlotLengths[firstSlot + k] = promptLengths[k];");
                w.Line($"Kernels.{m.Layers.OutputProjection}.Run(y, rows, _weights.Generator!, null, everyPosition);");
                w.Line("return new global::System.Span<float>(everyPosition, rows * DecoderVocab);");
            }
            w.Line("// Only each prompt's last row goes on to the final norm and the vocabulary.");
            w.Line("float* last = _state.DecoderRows.Pointer;");
            w.Line("rows = 0;");
            w.Line("for (int k = 0; k < n; k++) { rows += promptLengths[k]; new global::System.Span<float>(y + (long)(rows - 1) * DModel, DModel).CopyTo(new global::System.Span<float>(last + (long)k * DModel, DModel)); }");
            w.Line("if (_weights.DecoderNorm is { } norm) Kernels.AddNorm.Run(last, null, norm.Gamma, norm.Beta, last, n);");
            w.Line("for (int k = 0; k < n; k++) _state.SlotLengths[firstSlot + k] = promptLengths[k];");
            w.Line("float* logits = _state.Logits(n);");
            w.Line($"Kernels.{m.Layers.OutputProjection}.Run(last, n, _weights.Generator!, null, logits);");
            w.Line("return new global::System.Span<float>(logits, n * DecoderVocab);");
        }
        w.Line();
    }

    /// <summary>
    /// The batched decoding step (ITokenDecoder): Step over slots, CopySlot; with <paramref name="cross"/> the rows also attend
    /// to their slot's encoder output and a single-row step can report its cross-attention weights.
    /// </summary>
    private static void EmitDecodingSteps(SourceWriter w, ModelSpec m, bool cross)
    {
        w.Line("/// <summary>");
        w.Line("/// One decoding step in slot <paramref name=\"slot\"/>: embed <paramref name=\"token\"/> at <paramref name=\"position\"/>, run it");
        w.Line("/// through every decoder block against the cache, final norm, final linear. Returns the logits [DecoderVocab].");
        w.Line("/// </summary>");
        w.Line("/// <param name=\"slot\">Slot (0 for greedy decoding of one sentence).</param>");
        w.Line("/// <param name=\"token\">The previous target token.</param>");
        w.Line("/// <param name=\"position\">Its position; the slot's cache must hold positions [0, position).</param>");
        using (w.Block("public global::System.Span<float> Step(int slot, int token, int position)"))
        {
            w.Line("Enter();");
            using (w.TryFinally("Exit();"))
            {
                w.Line("return StepCore(new global::System.ReadOnlySpan<int>(in slot), new global::System.ReadOnlySpan<int>(in token), new global::System.ReadOnlySpan<int>(in position));");
            }
        }
        w.Line();
        w.Line("/// <summary>");
        w.Line("/// One decoding step of several sequences: row i feeds <paramref name=\"tokens\"/>[i] at <paramref name=\"positions\"/>[i] through");
        w.Line("/// the decoder of slot <paramref name=\"slots\"/>[i]. The linear layers run once over all rows; attention per row against");
        w.Line("/// its slot's cache. Returns the logits [rows, DecoderVocab], valid until the next call.");
        w.Line("/// </summary>");
        w.Line("/// <param name=\"slots\">Distinct slots (1..256 rows).</param>");
        w.Line("/// <param name=\"tokens\">The previous token of each row.</param>");
        w.Line("/// <param name=\"positions\">Each row's position; its slot's cache must hold positions [0, position).</param>");
        using (w.Block("public global::System.Span<float> Step(scoped global::System.ReadOnlySpan<int> slots, scoped global::System.ReadOnlySpan<int> tokens, scoped global::System.ReadOnlySpan<int> positions)"))
        {
            w.Line("Enter();");
            using (w.TryFinally("Exit();"))
            {
                w.Line("return StepCore(slots, tokens, positions);");
            }
        }
        w.Line();
        w.Line("int global::TransformerKernels.ITokenDecoder.Vocabulary => DecoderVocab;");
        w.Line();
        w.Line("global::System.Span<float> global::TransformerKernels.ITokenDecoder.Step(scoped global::System.ReadOnlySpan<int> slots, scoped global::System.ReadOnlySpan<int> tokens, scoped global::System.ReadOnlySpan<int> positions) => Step(slots, tokens, positions);");
        w.Line();
        using (w.Block("private global::System.Span<float> StepCore(scoped global::System.ReadOnlySpan<int> slots, scoped global::System.ReadOnlySpan<int> tokens, scoped global::System.ReadOnlySpan<int> positions)"))
        {
            w.Line("global::System.ObjectDisposedException.ThrowIf(_guard.IsDisposed, this);");
            w.Line("int n = slots.Length;");
            w.Line("if (n < 1 || n > global::TransformerKernels.ModelRunState.MaxSlots) throw new global::System.ArgumentOutOfRangeException(nameof(slots), n, $\"A step takes 1..{(global::TransformerKernels.ModelRunState.MaxSlots)} rows.\");");
            w.Line("if (tokens.Length != n || positions.Length != n) throw new global::System.ArgumentException($\"slots ({n}), tokens ({tokens.Length}) and positions ({positions.Length}) must have one entry per row.\", nameof(tokens));");
            using (w.Block("for (int i = 0; i < n; i++)"))
            {
                w.Line("if ((uint)tokens[i] >= DecoderVocab) throw new global::System.ArgumentOutOfRangeException(nameof(tokens), tokens[i], $\"Row {i}: must be a target id in [0, {DecoderVocab}).\");");
                w.Line("if ((uint)positions[i] >= MaxSeqLen) throw new global::System.ArgumentOutOfRangeException(nameof(positions), positions[i], $\"Row {i}: must be in [0, {MaxSeqLen}).\");");
                w.Line("// Attention reads the slot's cache at positions [0, position): a step may rewrite the last position or extend it, never skip.");
                w.Line("// (A slot out of range is named by the cache lookup below.)");
                w.Line("if ((uint)slots[i] < global::TransformerKernels.ModelRunState.MaxSlots && positions[i] > _state.SlotLengths[slots[i]]) throw new global::System.ArgumentOutOfRangeException(nameof(positions), positions[i], $\"Row {i}: slot {slots[i]}'s cache holds positions [0, {_state.SlotLengths[slots[i]]}); a step at position {positions[i]} needs [0, {positions[i]}) (prefill the slot, or step from {_state.SlotLengths[slots[i]]}).\");");
            }
            w.Line("float* logits = _state.Logits(n);");
            w.Line("// Rows go through in groups the scratch holds (all at once unless the model was created for a small batch).");
            using (w.Block("for (int first = 0; first < n; first += _state.MaxStepRows)"))
            {
                w.Line("int rows = global::System.Math.Min(_state.MaxStepRows, n - first);");
                w.Line("float* y = _state.DecoderRows.Pointer;");
                w.Line("for (int i = 0; i < rows; i++) Embed(_weights.TargetEmbedding!.Pointer, tokens.Slice(first + i, 1), positions[first + i], default, y + (long)i * DModel);");
                w.Line($"global::System.Span<{Runtime}DecoderLayerCache> caches = global::System.MemoryExtensions.AsSpan(_state.SegmentCaches, 0, rows);");
                using (w.Block("for (int layer = 0; layer < DecoderLayers; layer++)"))
                {
                    w.Line("for (int i = 0; i < rows; i++) caches[i] = _state.Caches(slots[first + i])[layer];");
                    if (cross)
                    {
                        w.Line("// The last block can report a single row's cross-attention weights (the seed's picture of what attends to what).");
                        w.Line("float* crossAttention = n == 1 && layer == DecoderLayers - 1 ? _crossAttention : null;");
                        w.Line("Kernels.DecoderBlock(y, positions.Slice(first, rows), global::System.MemoryExtensions.AsSpan(_state.SegmentLengths, 0, rows), caches, _weights.Decoder[layer], _state.Scratch, crossAttention);");
                    }
                    else
                    {
                        w.Line("Kernels.DecoderBlock(y, positions.Slice(first, rows), global::System.MemoryExtensions.AsSpan(_state.SegmentLengths, 0, rows), caches, _weights.Decoder[layer], _state.Scratch);");
                    }
                }
                w.Line("if (_weights.DecoderNorm is { } norm) Kernels.AddNorm.Run(y, null, norm.Gamma, norm.Beta, y, rows);");
                w.Line("// Final linear to the vocabulary.");
                w.Line($"Kernels.{m.Layers.OutputProjection}.Run(y, rows, _weights.Generator!, null, logits + (long)first * DecoderVocab);");
            }
            w.Line("for (int i = 0; i < n; i++) _state.SlotLengths[slots[i]] = positions[i] + 1;");
            w.Line("return new global::System.Span<float>(logits, n * DecoderVocab);");
        }
        w.Line();
        w.Line("/// <inheritdoc/>");
        using (w.Block("public void CopySlot(int from, int to, int positions)"))
        {
            w.Line("Enter();");
            using (w.TryFinally("Exit();"))
            {
                w.Line($"{Runtime}DecoderLayerCache[] source = _state.Caches(from), destination = _state.Caches(to);");
                w.Line("if (positions > _state.SlotLengths[from]) throw new global::System.ArgumentOutOfRangeException(nameof(positions), positions, $\"Slot {from}'s cache holds positions [0, {_state.SlotLengths[from]}); it cannot give {positions}.\");");
                w.Line("for (int layer = 0; layer < DecoderLayers; layer++) destination[layer].CopySelfAttentionFrom(source[layer], positions);");
                w.Line("_state.SlotLengths[to] = positions;");
            }
        }
        w.Line();
        if (!cross)
        {
            return;
        }
        w.Line("/// <summary>");
        w.Line("/// Where each single-row <see cref=\"Step(int, int, int)\"/> writes the last decoder block's cross-attention weights");
        w.Line("/// [Heads, memory length] (null: nowhere). The caller owns the memory and keeps it alive while set.");
        w.Line("/// </summary>");
        using (w.Block("public float* CrossAttentionOutput"))
        {
            w.Line("get => _crossAttention;");
            w.Line("set => _crossAttention = value;");
        }
        w.Line();
    }

    private static void EmitModelChecks(SourceWriter w)
    {
        using (w.Block("private void CheckBatch(int batch, int length, global::System.ReadOnlySpan<int> lengths, string lengthsName)"))
        {
            w.Line("global::System.ObjectDisposedException.ThrowIf(_guard.IsDisposed, this);");
            w.Line("if (batch < 1 || batch > _state.MaxBatch) throw new global::System.ArgumentOutOfRangeException(nameof(batch), batch, $\"Batch must be 1..{_state.MaxBatch} (the maxBatch this model was created with).\");");
            w.Line("if (length < 1 || length > MaxSeqLen) throw new global::System.ArgumentOutOfRangeException(nameof(length), length, $\"Sequence length must be 1..{MaxSeqLen} (MaxSeqLen).\");");
            w.Line("if (!lengths.IsEmpty && lengths.Length != batch) throw new global::System.ArgumentException($\"{lengthsName} has {lengths.Length} entries; expected {batch}.\", lengthsName);");
            w.Line("foreach (int valid in lengths) if (valid < 1 || valid > length) throw new global::System.ArgumentOutOfRangeException(lengthsName, valid, $\"Each length must be 1..{length}.\");");
        }
        w.Line();
        using (w.Block("private static void CheckSpan(int actual, long needed, string name, bool exact)"))
        {
            w.Line("if (exact ? actual != needed : actual < needed) throw new global::System.ArgumentException($\"{name} has {actual} elements; {(exact ? \"expected\" : \"needs at least\")} {needed}.\", name);");
        }
        w.Line();
        using (w.Block("private static void CheckIds(global::System.ReadOnlySpan<int> ids, int vocabulary, string name)"))
        {
            w.Line("for (int i = 0; i < ids.Length; i++) if ((uint)ids[i] >= (uint)vocabulary) throw new global::System.ArgumentOutOfRangeException(name, ids[i], $\"Id at index {i} is outside the vocabulary [0, {vocabulary}).\");");
        }
    }
}
