using TransformerKernels.Generators.Helpers;
using TransformerKernels.Generators.Model;

namespace TransformerKernels.Generators;

public sealed partial class TransformerModelGenerator
{
    /// <summary>Writes {Class}.Attention.g.cs: fused multi-head scaled dot-product attention and the key transpose.</summary>
    private static string EmitAttention(ModelSpec model)
    {
        var w = new SourceWriter();
        AttentionSpec spec = model.Attention;
        using (OpenModelClass(w, model, "using global::System.Runtime.Intrinsics;", "using global::System.Runtime.Intrinsics.X86;"))
        using (w.Block("partial class Kernels"))
        {
            w.Line($"/// <summary>Multi-head scaled dot-product attention, {model.Heads} heads of {spec.HeadDim}: O = softmax(Q·Kᵀ/√{spec.HeadDim} + mask)·V, heads concatenated.</summary>");
            w.Line("/// <remarks>");
            w.Line("/// Per head and query row: scores against keys stored transposed (16 keys per vector, no horizontal sums),");
            w.Line("/// masked keys set to −∞, a stable softmax (max subtracted before exp) and the weighted sum of values kept in");
            w.Line($"/// {spec.HeadRow.FullVectors512 + (spec.HeadRow.Tail512 > 0 ? 1 : 0)} Vector512 accumulators, written straight into the head's columns of the output.");
            w.Line("/// The score row of a head stays in L1. Heads are split over threads. Serves self-attention, cross-attention");
            w.Line("/// (query count ≠ key count) and single-row decode steps against a key/value cache alike.");
            w.Line("/// </remarks>");
            w.Line("/// <exception cref=\"global::System.ArgumentOutOfRangeException\">Counts or strides that do not fit.</exception>");
            using (w.Block("public static unsafe class Attention"))
            {
                w.Line($"/// <summary>Width of one head.</summary>");
                w.Line($"public const int HeadDim = {spec.HeadDim};");
                w.Line($"/// <summary>Heads.</summary>");
                w.Line($"public const int Heads = {model.Heads};");
                w.Line($"private const float Scale = {FloatLiteral(spec.Scale)}; // 1/√HeadDim");
                w.Line($"private const int KvGroup = {model.Heads / model.KvHeads}; // query heads per key/value head (1: multi-head attention)");
                w.Line();
                EmitAttentionRun(w, model);
                foreach (VectorPath path in VectorPath.All)
                {
                    EmitAttentionVector(w, spec, model.RotaryDimensions > 0, path);
                }
                EmitAttentionScalar(w, model.RotaryDimensions > 0);
                EmitHeadsPaths(w);
                if (model.EncoderLayers > 0)
                {
                    EmitSequencesRun(w, model);
                }
                if (model.DecoderLayers > 0)
                {
                    EmitSegmentsRun(w, model);
                }
                EmitTransposeKeys(w, model);
            }
            if (model.RotaryDimensions > 0)
            {
                w.Line();
                EmitRotary(w, model);
            }
        }
        return w.ToString();
    }

    private static void EmitAttentionRun(SourceWriter w, ModelSpec model)
    {
        w.Line("/// <summary>Runs attention for all heads as described by <paramref name=\"args\"/>.</summary>");
        using (w.Block("public static void Run(ref global::TransformerKernels.AttentionArguments args)"))
        {
            w.Line("if (args.QueryCount < 0) throw new global::System.ArgumentOutOfRangeException(nameof(args), args.QueryCount, \"QueryCount must not be negative.\");");
            w.Line("if (args.KeyCount < 1) throw new global::System.ArgumentOutOfRangeException(nameof(args), args.KeyCount, \"KeyCount must be at least 1: a query needs a key to attend to.\");");
            w.Line("int paddedKeys = (args.KeyCount + 15) & ~15;");
            w.Line("if (args.KeysTStride < paddedKeys) throw new global::System.ArgumentOutOfRangeException(nameof(args), args.KeysTStride, $\"KeysTStride must be at least the key count rounded up to 16 ({paddedKeys}).\");");
            w.Line("if (args.ScoresStride < paddedKeys) throw new global::System.ArgumentOutOfRangeException(nameof(args), args.ScoresStride, $\"ScoresStride must be at least the key count rounded up to 16 ({paddedKeys}).\");");
            if (model.RotaryDimensions > 0)
            {
                w.Line("// Rotary positions: query i is rotated by position CausalOffset + i (a decoder-only model's attention is always causal).");
                w.Line("if (args.CausalOffset < 0 || args.CausalOffset + args.QueryCount > MaxSeqLen) throw new global::System.ArgumentOutOfRangeException(nameof(args), args.CausalOffset, $\"Rotary attention rotates query i by position CausalOffset + i; positions [{args.CausalOffset}, {args.CausalOffset + args.QueryCount}) do not fit 0..{MaxSeqLen}.\");");
            }
            w.Line("if (args.QueryCount == 0) return;");
            w.Line($"long flops = 4L * args.QueryCount * args.KeyCount * {model.DModel};");
            using (w.Block("fixed (global::TransformerKernels.AttentionArguments* state = &args)"))
            {
                EmitFloatPathSwitch(w, isa => $"global::TransformerKernels.KernelThreads.Run(Heads, &Heads{isa}, state, flops);");
            }
        }
        w.Line();
    }

    /// <summary>
    /// Self-attention of an encoder batch (packed or padded) as one parallel job of (sequence, key/value head) pairs, so two
    /// threads share the work even when every sequence is short — attention per sequence would run each one's few heads
    /// below the parallel threshold, on one thread. Each pair transposes its own keys, then runs the heads of its group.
    /// </summary>
    private static void EmitSequencesRun(SourceWriter w, ModelSpec model)
    {
        const string args = "global::TransformerKernels.SequenceAttentionArguments";
        w.Line("/// <summary>");
        w.Line("/// Self-attention of many sequences whose Q·K·V rows stand in one buffer (an encoder's packed or padded batch), no");
        w.Line("/// causal mask. Threads share the work in (sequence, key/value head) pairs; each pair transposes its keys into its own");
        w.Line("/// columns of <see cref=\"global::TransformerKernels.SequenceAttentionArguments.KeysT\"/>, then attends with them.");
        w.Line("/// </summary>");
        w.Line("/// <remarks>The caller (the encoder block) has checked the sequences against MaxSeqLen, the scratch and each other.</remarks>");
        EmitPairJob(w, model, "RunSequences", args, $"4L * args.Sequences[3 * k + 1] * args.Sequences[3 * k + 2] * {model.DModel}", "KvHeads", "kvHead", "SequenceHeads", () =>
        {
            w.Line("int first = p->Sequences[3 * k], queries = p->Sequences[3 * k + 1], keys = p->Sequences[3 * k + 2];");
            w.Line("float* qkv = p->QueryKeyValue + (long)first * QkvWidth;");
            w.Line("float* keysT = p->KeysT + first; // this sequence's columns; its last block of 16 may read the next one's, masked");
            w.Line("TransposeKeys(qkv + DModel + kvHead * HeadDim, QkvWidth, keys, 1, keysT + (long)kvHead * HeadDim * p->KeysTStride, 0, p->KeysTStride, 0);");
            w.Line("var heads = new global::TransformerKernels.AttentionArguments { Query = qkv, QueryStride = QkvWidth, KeysT = keysT, KeysTHeadStride = HeadDim * p->KeysTStride, KeysTStride = p->KeysTStride, Values = qkv + DModel + KvDModel, ValueStride = QkvWidth, Output = p->Output + (long)first * DModel, OutputStride = DModel, QueryCount = queries, KeyCount = keys, CausalOffset = -1, Scores = scores, ScoresStride = 0 };");
            w.Line("TPath.Run(&heads, kvHead * KvGroup, (kvHead + 1) * KvGroup);");
        });
    }

    /// <summary>
    /// A public <paramref name="run"/>(ref args) that splits args.Count items × <paramref name="headCount"/> heads into
    /// (item, head) pairs over the threads, and its work function, generic over the kernel path: for each pair it declares
    /// <c>k</c> (the item) and <paramref name="headName"/>, with a stack score row <c>scores</c> at hand, and emits <paramref name="body"/>.
    /// </summary>
    private static void EmitPairJob(SourceWriter w, ModelSpec model, string run, string args, string flopsOfItem, string headCount, string headName, string work, System.Action body)
    {
        using (w.Block($"public static void {run}(ref {args} args)"))
        {
            w.Line("long flops = 0;");
            w.Line($"for (int k = 0; k < args.Count; k++) flops += {flopsOfItem};");
            using (w.Block($"fixed ({args}* state = &args)"))
            {
                EmitFloatPathSwitch(w, isa => $"global::TransformerKernels.KernelThreads.Run(args.Count * {headCount}, &{work}<{isa}Heads>, state, flops);");
            }
        }
        w.Line();
        w.Line($"/// <summary>Pairs [unitStart, unitEnd) of <see cref=\"{run}\"/>: unit u is item u / {headCount}, {headName} u % {headCount}.</summary>");
        using (w.Block($"private static void {work}<TPath>(void* state, int unitStart, int unitEnd) where TPath : struct, IHeadsPath"))
        {
            w.Line($"var p = ({args}*)state;");
            w.Line($"float* scores = stackalloc float[{ShapeMath.KeyBlocks(model.MaxSeqLen)}]; // one score row (MaxSeqLen keys), reused by every head this thread runs");
            using (w.Block("for (int unit = unitStart; unit < unitEnd; unit++)"))
            {
                w.Line($"int k = unit / {headCount}, {headName} = unit - k * {headCount};");
                body();
            }
        }
        w.Line();
    }

    /// <summary>The three kernel paths' heads loops as type arguments, so a generic work function is compiled once per path.</summary>
    private static void EmitHeadsPaths(SourceWriter w)
    {
        w.Line("/// <summary>One kernel path's heads loop, as a type argument: a generic work function is compiled once per path.</summary>");
        using (w.Block("private interface IHeadsPath"))
        {
            w.Line("static abstract void Run(global::TransformerKernels.AttentionArguments* args, int headStart, int headEnd);");
        }
        foreach (string isa in VectorPath.Names)
        {
            w.Line($"private struct {isa}Heads : IHeadsPath {{ public static void Run(global::TransformerKernels.AttentionArguments* args, int headStart, int headEnd) => Heads{isa}(args, headStart, headEnd); }}");
        }
        w.Line();
    }

    /// <summary>
    /// Self- and cross-attention of a decoder step over several segments (sequences or beams, one or more rows each) as one
    /// parallel job of (segment, head) pairs: a step of many single-row segments has too little work per segment to split
    /// its heads, but plenty across segments. A self-attention pair first appends its rows' keys (transposed, rotated with
    /// rotary positions) and values to its segment's cache, for its own key/value head only.
    /// </summary>
    private static void EmitSegmentsRun(SourceWriter w, ModelSpec model)
    {
        const string args = "global::TransformerKernels.SegmentAttentionArguments";
        w.Line("/// <summary>");
        w.Line("/// Masked self-attention of a decoder step's segments: each (segment, key/value head) pair appends its rows' keys and");
        w.Line("/// values to the segment's cache, then attends causally over positions [0, Start + i] for row i.");
        w.Line("/// </summary>");
        w.Line("/// <remarks>The caller (the decoder block) has checked the segments against MaxSeqLen, their caches and each other.</remarks>");
        EmitPairJob(w, model, "RunSelfSegments", args, $"4L * args.Segments[k].Length * (args.Segments[k].Start + args.Segments[k].Length) * {model.DModel}", "KvHeads", "kvHead", "SelfSegmentHeads", () =>
        {
            w.Line("global::TransformerKernels.AttentionSegment* g = p->Segments + k;");
            w.Line("float* qkv = p->Query + (long)g->First * QkvWidth;");
            w.Line(model.RotaryDimensions > 0
                ? "// This head's keys join the cache transposed and rotated by their positions (the kernel rotates the queries), its values as they are."
                : "// This head's keys join the cache transposed, its values as they are.");
            w.Line("TransposeKeys(qkv + DModel + kvHead * HeadDim, QkvWidth, g->Length, 1, g->KeysT + (long)kvHead * HeadDim * g->KeysTStride, 0, g->KeysTStride, g->Start);");
            w.Line("for (int i = 0; i < g->Length; i++) new global::System.Span<float>(qkv + (long)i * QkvWidth + DModel + KvDModel + kvHead * HeadDim, HeadDim).CopyTo(new global::System.Span<float>(g->Values + (long)(g->Start + i) * KvDModel + kvHead * HeadDim, HeadDim));");
            w.Line("// The causal mask: row i (position Start + i) sees keys 0 … Start + i.");
            w.Line("var heads = new global::TransformerKernels.AttentionArguments { Query = qkv, QueryStride = QkvWidth, KeysT = g->KeysT, KeysTHeadStride = HeadDim * g->KeysTStride, KeysTStride = g->KeysTStride, Values = g->Values, ValueStride = KvDModel, Output = p->Output + (long)g->First * DModel, OutputStride = DModel, QueryCount = g->Length, KeyCount = g->Start + g->Length, CausalOffset = g->Start, Scores = scores, ScoresStride = 0 };");
            w.Line("TPath.Run(&heads, kvHead * KvGroup, (kvHead + 1) * KvGroup);");
        });
        if (model.EncoderLayers == 0)
        {
            return;
        }
        w.Line("/// <summary>Encoder–decoder attention of a decoder step's segments, each over its own encoder output, in (segment, head) pairs.</summary>");
        w.Line("/// <remarks>The caller (the decoder block) has checked that every segment's cache holds an encoder output.</remarks>");
        EmitPairJob(w, model, "RunCrossSegments", args, $"4L * args.Segments[k].Length * args.Segments[k].MemoryLength * {model.DModel}", "Heads", "head", "CrossSegmentHeads", () =>
        {
            w.Line("global::TransformerKernels.AttentionSegment* g = p->Segments + k;");
            w.Line("var heads = new global::TransformerKernels.AttentionArguments { Query = p->Query + (long)g->First * DModel, QueryStride = DModel, KeysT = g->MemoryKeysT, KeysTHeadStride = HeadDim * g->KeysTStride, KeysTStride = g->KeysTStride, Values = g->MemoryValues, ValueStride = DModel, Output = p->Output + (long)g->First * DModel, OutputStride = DModel, QueryCount = g->Length, KeyCount = g->MemoryLength, CausalOffset = -1, Scores = scores, ScoresStride = 0, Probabilities = p->Probabilities };");
            w.Line("TPath.Run(&heads, head, head + 1);");
        });
    }

    /// <summary>With rotary positions, each query row of a head is rotated into a stack row (L1) before its scores.</summary>
    private static void EmitRotateQuery(SourceWriter w, bool rotary, string isa)
    {
        if (rotary)
        {
            w.Line($"Rotary.Head{isa}(query, rotatedQuery, p->CausalOffset + i); // rotary positions: this query at its position");
            w.Line("query = rotatedQuery;");
        }
    }

    private static void EmitAttentionVector(SourceWriter w, AttentionSpec spec, bool rotary, VectorPath path)
    {
        (string isa, string v, int lanes, string fma) = (path.Name, path.VectorType, path.Lanes, path.Fma);
        int fullVectors = path.FullVectors(spec.HeadRow), tail = path.Tail(spec.HeadRow);
        w.Line($"/// <summary>{isa} path for heads [headStart, headEnd).</summary>");
        w.Line("[global::System.Runtime.CompilerServices.MethodImpl(global::System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]");
        using (w.Block($"private static void Heads{isa}(void* state, int headStart, int headEnd)"))
        {
            w.Line("var p = (global::TransformerKernels.AttentionArguments*)state;");
            if (tail > 0)
            {
                w.Line($"float* tailSums = stackalloc float[{tail}];");
            }
            if (rotary)
            {
                w.Line("float* rotatedQuery = stackalloc float[HeadDim];");
            }
            using (w.Block("for (int head = headStart; head < headEnd; head++)"))
            {
                w.Line("float* keysT = p->KeysT + (long)(head / KvGroup) * p->KeysTHeadStride; // query heads share a key/value head in groups of KvGroup");
                w.Line("float* scores = p->Scores + (long)head * p->ScoresStride;");
                w.Line("int keysTStride = p->KeysTStride;");
                using (w.Block("for (int i = 0; i < p->QueryCount; i++)"))
                {
                    w.Line("float* query = p->Query + (long)i * p->QueryStride + head * HeadDim;");
                    EmitRotateQuery(w, rotary, isa);
                    w.Line("int visible = p->CausalOffset < 0 ? p->KeyCount : global::System.Math.Min(p->KeyCount, i + p->CausalOffset + 1);");
                    w.Line($"int blocks = (visible + {lanes - 1}) / {lanes};");
                    w.Line();
                    w.Line($"// Step 2: scores = q·Kᵀ/√HeadDim, {lanes} keys per vector, four vectors per pass over q.");
                    w.Line("int block = 0;");
                    using (w.Block("for (; block + 4 <= blocks; block += 4)"))
                    {
                        w.Line($"float* kt = keysT + block * {lanes};");
                        w.Line($"{v}<float> s0 = {v}<float>.Zero, s1 = {v}<float>.Zero, s2 = {v}<float>.Zero, s3 = {v}<float>.Zero;");
                        using (w.Block("for (int d = 0; d < HeadDim; d++, kt += keysTStride)"))
                        {
                            w.Line($"{v}<float> q = {v}.Create(query[d]);");
                            w.Line($"s0 = {fma}(q, {v}.Load(kt), s0); s1 = {fma}(q, {v}.Load(kt + {lanes}), s1);");
                            w.Line($"s2 = {fma}(q, {v}.Load(kt + {2 * lanes}), s2); s3 = {fma}(q, {v}.Load(kt + {3 * lanes}), s3);");
                        }
                        w.Line($"float* s = scores + block * {lanes};");
                        w.Line($"{v}.Store(s0 * Scale, s); {v}.Store(s1 * Scale, s + {lanes}); {v}.Store(s2 * Scale, s + {2 * lanes}); {v}.Store(s3 * Scale, s + {3 * lanes});");
                    }
                    using (w.Block("for (; block < blocks; block++)"))
                    {
                        w.Line($"float* kt = keysT + block * {lanes};");
                        w.Line($"{v}<float> s0 = {v}<float>.Zero;");
                        using (w.Block("for (int d = 0; d < HeadDim; d++, kt += keysTStride)"))
                        {
                            w.Line($"s0 = {fma}({v}.Create(query[d]), {v}.Load(kt), s0);");
                        }
                        w.Line($"{v}.Store(s0 * Scale, scores + block * {lanes});");
                    }
                    w.Line("// Masked keys (future positions, padding) get −∞ so softmax gives them weight 0.");
                    w.Line($"for (int j = visible; j < blocks * {lanes}; j++) scores[j] = float.NegativeInfinity;");
                    w.Line();
                    w.Line("// Step 3: softmax, numerically stable: subtract the row max before exp; normalize at the end.");
                    w.Line($"{v}<float> max = {v}.Create(float.NegativeInfinity);");
                    w.Line($"for (block = 0; block < blocks; block++) max = {v}.Max(max, {v}.Load(scores + block * {lanes}));");
                    w.Line($"{v}<float> rowMax = {v}.Create(global::TransformerKernels.HorizontalMath.Max(max));");
                    w.Line($"{v}<float> sum = {v}<float>.Zero;");
                    using (w.Block("for (block = 0; block < blocks; block++)"))
                    {
                        w.Line($"{v}<float> e = global::TransformerKernels.VectorMath.Exp({v}.Load(scores + block * {lanes}) - rowMax);");
                        w.Line($"{v}.Store(e, scores + block * {lanes});");
                        w.Line("sum += e;");
                    }
                    w.Line("float inverseSum = 1f / global::TransformerKernels.HorizontalMath.Sum(sum);");
                    w.Line();
                    // Independent accumulator sets break the FMA latency chain across keys (4 cycles each on Zen).
                    int sets = fullVectors == 0 ? 1 : fullVectors <= 4 ? 4 : fullVectors <= 8 ? 2 : 1;
                    w.Line($"// Step 4: output = weights·V over the visible keys; the head's {spec.HeadDim} outputs stay in registers" +
                           (sets > 1 ? $", {sets} keys at a time in separate accumulators so FMAs do not wait on each other." : "."));
                    for (int set = 0; set < sets; set++)
                    {
                        for (int j = 0; j < fullVectors; j++)
                        {
                            w.Line($"{v}<float> o{j}{(set == 0 ? "" : "_" + set)} = {v}<float>.Zero;");
                        }
                    }
                    if (tail > 0)
                    {
                        w.Line($"for (int t = 0; t < {tail}; t++) tailSums[t] = 0f;");
                    }
                    w.Line("float* value = p->Values + head / KvGroup * HeadDim;");
                    w.Line("int valueStride = p->ValueStride;");
                    w.Line("int key = 0;");
                    if (sets > 1 && fullVectors > 0)
                    {
                        using (w.Block($"for (; key + {sets} <= visible; key += {sets}, value += {sets} * valueStride)"))
                        {
                            for (int set = 0; set < sets; set++)
                            {
                                string suffix = set == 0 ? "" : "_" + set;
                                w.Line($"{v}<float> weight{set} = {v}.Create(scores[key + {set}]);");
                                for (int j = 0; j < fullVectors; j++)
                                {
                                    w.Line($"o{j}{suffix} = {fma}(weight{set}, {v}.Load(value + {set} * valueStride + {j * lanes}), o{j}{suffix});");
                                }
                                if (tail > 0)
                                {
                                    w.Line($"for (int t = 0; t < {tail}; t++) tailSums[t] += scores[key + {set}] * value[{set} * valueStride + {fullVectors * lanes} + t];");
                                }
                            }
                        }
                        for (int set = 1; set < sets; set++)
                        {
                            for (int j = 0; j < fullVectors; j++)
                            {
                                w.Line($"o{j} += o{j}_{set};");
                            }
                        }
                    }
                    using (w.Block("for (; key < visible; key++, value += valueStride)"))
                    {
                        w.Line($"{v}<float> weight = {v}.Create(scores[key]);");
                        for (int j = 0; j < fullVectors; j++)
                        {
                            w.Line($"o{j} = {fma}(weight, {v}.Load(value + {j * lanes}), o{j});");
                        }
                        if (tail > 0)
                        {
                            w.Line($"for (int t = 0; t < {tail}; t++) tailSums[t] += scores[key] * value[{fullVectors * lanes} + t];");
                        }
                    }
                    w.Line("float* output = p->Output + (long)i * p->OutputStride + head * HeadDim;");
                    w.Line($"{v}<float> normalize = {v}.Create(inverseSum);");
                    for (int j = 0; j < fullVectors; j++)
                    {
                        w.Line($"{v}.Store(o{j} * normalize, output + {j * lanes});");
                    }
                    if (tail > 0)
                    {
                        w.Line($"for (int t = 0; t < {tail}; t++) output[{fullVectors * lanes} + t] = tailSums[t] * inverseSum;");
                    }
                    EmitWriteProbabilities(w);
                }
            }
        }
        w.Line();
    }

    private static void EmitWriteProbabilities(SourceWriter w)
    {
        using (w.Block("if (p->Probabilities != null)"))
        {
            w.Line("float* row = p->Probabilities + ((long)head * p->QueryCount + i) * p->KeyCount;");
            w.Line("for (int j = 0; j < p->KeyCount; j++) row[j] = j < visible ? scores[j] * inverseSum : 0f;");
        }
    }

    private static void EmitAttentionScalar(SourceWriter w, bool rotary)
    {
        w.Line("/// <summary>Scalar path for heads [headStart, headEnd).</summary>");
        using (w.Block("private static void HeadsScalar(void* state, int headStart, int headEnd)"))
        {
            w.Line("var p = (global::TransformerKernels.AttentionArguments*)state;");
            w.Line("float* sums = stackalloc float[HeadDim];");
            if (rotary)
            {
                w.Line("float* rotatedQuery = stackalloc float[HeadDim];");
            }
            using (w.Block("for (int head = headStart; head < headEnd; head++)"))
            {
                w.Line("float* keysT = p->KeysT + (long)(head / KvGroup) * p->KeysTHeadStride; // query heads share a key/value head in groups of KvGroup");
                w.Line("float* scores = p->Scores + (long)head * p->ScoresStride;");
                using (w.Block("for (int i = 0; i < p->QueryCount; i++)"))
                {
                    w.Line("float* query = p->Query + (long)i * p->QueryStride + head * HeadDim;");
                    EmitRotateQuery(w, rotary, "Scalar");
                    w.Line("int visible = p->CausalOffset < 0 ? p->KeyCount : global::System.Math.Min(p->KeyCount, i + p->CausalOffset + 1);");
                    w.Line("// Step 2: scores = q·Kᵀ/√HeadDim.");
                    w.Line("float rowMax = float.NegativeInfinity;");
                    using (w.Block("for (int j = 0; j < visible; j++)"))
                    {
                        w.Line("float dot = 0f;");
                        w.Line("for (int d = 0; d < HeadDim; d++) dot += query[d] * keysT[(long)d * p->KeysTStride + j];");
                        w.Line("scores[j] = dot * Scale;");
                        w.Line("rowMax = global::System.MathF.Max(rowMax, scores[j]);");
                    }
                    w.Line("// Step 3: softmax with the row max subtracted.");
                    w.Line("float sum = 0f;");
                    w.Line("for (int j = 0; j < visible; j++) sum += scores[j] = global::TransformerKernels.VectorMath.Exp(scores[j] - rowMax);");
                    w.Line("float inverseSum = 1f / sum;");
                    w.Line("// Step 4: output = weights·V.");
                    w.Line("for (int d = 0; d < HeadDim; d++) sums[d] = 0f;");
                    w.Line("float* value = p->Values + head / KvGroup * HeadDim;");
                    using (w.Block("for (int j = 0; j < visible; j++, value += p->ValueStride)"))
                    {
                        w.Line("for (int d = 0; d < HeadDim; d++) sums[d] += scores[j] * value[d];");
                    }
                    w.Line("float* output = p->Output + (long)i * p->OutputStride + head * HeadDim;");
                    w.Line("for (int d = 0; d < HeadDim; d++) output[d] = sums[d] * inverseSum;");
                    EmitWriteProbabilities(w);
                }
            }
        }
        w.Line();
    }

    private static void EmitTransposeKeys(SourceWriter w, ModelSpec m)
    {
        int r = m.RotaryDimensions, half = r / 2;
        w.Line("/// <summary>");
        w.Line("/// Copies <paramref name=\"count\"/> key rows (heads concatenated, row stride <paramref name=\"keyStride\"/>) into the");
        w.Line("/// per-head transposed layout the attention kernel reads, starting at key position <paramref name=\"firstPosition\"/>");
        w.Line("/// (a decode step appends one key to its cache this way)" + (r > 0 ? ", each key rotated by its position (<see cref=\"Rotary\"/>)." : "."));
        w.Line("/// </summary>");
        using (w.Block("public static void TransposeKeys(float* keys, int keyStride, int count, int heads, float* keysT, int keysTHeadStride, int keysTStride, int firstPosition)"))
        {
            if (r > 0)
            {
                w.Line("if (firstPosition < 0 || firstPosition + count > MaxSeqLen) throw new global::System.ArgumentOutOfRangeException(nameof(firstPosition), firstPosition, $\"Key positions [{firstPosition}, {firstPosition + count}) do not fit 0..{MaxSeqLen}.\");");
            }
            w.Line("// Destination rows are written in order; the source rows (one cache line holds 16 dimensions) stay in L1 across d.");
            using (w.Block("for (int head = 0; head < heads; head++)"))
            {
                w.Line("float* source = keys + head * HeadDim;");
                w.Line("float* destinationHead = keysT + (long)head * keysTHeadStride + firstPosition;");
                // One destination row per dimension d in the range; key j's value there is the expression.
                void Dimensions(string range, string value)
                {
                    using (w.Block($"for (int d = {range}; d++)"))
                    {
                        w.Line("float* destination = destinationHead + (long)d * keysTStride;");
                        w.Line($"for (int j = 0; j < count; j++) {{ float* x = source + (long)j * keyStride; destination[j] = {value}; }}");
                    }
                }
                if (r > 0)
                {
                    w.Line("// Rotary positions: key j at position firstPosition + j; dimension d < Half is x[d]·cos − x[d + Half]·sin, its partner");
                    w.Line("// d + Half is x[d + Half]·cos + x[d]·sin — the operations Rotary.Head does on the queries, in the same order.");
                    w.Line("float* cos = Rotary.Cosines + (long)firstPosition * Rotary.Half, sin = Rotary.Sines + (long)firstPosition * Rotary.Half;");
                    Dimensions("0; d < Rotary.Half", "x[d] * cos[(long)j * Rotary.Half + d] - x[d + Rotary.Half] * sin[(long)j * Rotary.Half + d]");
                    Dimensions("Rotary.Half; d < Rotary.Dimensions", "x[d] * cos[(long)j * Rotary.Half + d - Rotary.Half] + x[d - Rotary.Half] * sin[(long)j * Rotary.Half + d - Rotary.Half]");
                }
                Dimensions(r > 0 ? "Rotary.Dimensions; d < HeadDim" : "0; d < HeadDim", "x[d]");
            }
        }
    }
}
