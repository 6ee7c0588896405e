using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using TransformerKernels.Generators.Diagnostics;
using TransformerKernels.Generators.Helpers;
using TransformerKernels.Generators.Model;

namespace TransformerKernels.Generators;

/// <summary>Result of parsing one attributed class: a model when it is valid, and the diagnostics found.</summary>
internal sealed record ParseResult(ModelSpec? Model, EquatableArray<DiagnosticInfo> Diagnostics, LocationInfo? AttributeLocation);

public sealed partial class TransformerModelGenerator
{
    // Limits of what the emitted kernels handle; the diagnostics name them.
    internal const int MaxHeadDim = 256;
    internal const int MaxSequence = 8192;
    internal const int MaxModelWidth = 8192;
    internal const int MaxFfnWidth = 32768;
    // 260,000 covers XLM-RoBERTa (250,002) while Vocab · DModel (padded to 32 columns) stays below 2³¹ at DModel 8192.
    internal const int MaxVocabulary = 260_000;

    // The runtime's own enums (Shapes/ShapeOptions.cs, compiled in): their names, in value order, for the diagnostics.
    private static readonly string[] NormNames = System.Enum.GetNames(typeof(NormPlacement));
    private static readonly string[] ActivationNames = System.Enum.GetNames(typeof(Activation));
    private static readonly string[] PositionNames = System.Enum.GetNames(typeof(PositionEncoding));
    private static readonly string[] RopeScalingNames = System.Enum.GetNames(typeof(RopeScaling));

    /// <summary>Reads the attributed class and the attribute's arguments as written (symbols → data; nothing of Roslyn kept).</summary>
    internal static ModelDeclaration Declare(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
    {
        var type = (INamedTypeSymbol)context.TargetSymbol;
        var declaration = (ClassDeclarationSyntax)context.TargetNode;
        AttributeData attribute = context.Attributes[0];
        Location location = attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken).GetLocation()
                            ?? declaration.Identifier.GetLocation();
        var diagnostics = new List<DiagnosticInfo>();

        if (!declaration.Modifiers.Any(SyntaxKind.PartialKeyword))
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ClassNotPartial, location, type.Name));
        }
        if (type.ContainingType is not null)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ClassNestedOrGeneric, location, type.Name, "nested in " + type.ContainingType.Name));
        }
        else if (type.IsGenericType)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ClassNestedOrGeneric, location, type.Name, "generic"));
        }

        string? ns = type.ContainingNamespace.IsGlobalNamespace ? null : type.ContainingNamespace.ToDisplayString();
        string accessibility = type.DeclaredAccessibility == Accessibility.Public ? "public" : "internal";
        var arguments = attribute.NamedArguments.Select(a => new NamedArgument(a.Key, a.Value.Kind == TypedConstantKind.Array ? null : a.Value.Value)).ToImmutableArrayCompat();
        string? config = arguments.FirstOrDefault(a => a.Name == "Config")?.Value as string;
        return new ModelDeclaration(ns, type.Name, accessibility, diagnostics.ToImmutableArrayCompat(), LocationInfo.From(location), arguments, config);
    }

    /// <summary>Turns a declaration and its config.json into a <see cref="ModelSpec"/>, or into the diagnostics that say what is wrong.</summary>
    internal static ParseResult Parse(ModelInput input, CancellationToken cancellationToken)
    {
        ModelDeclaration declaration = input.Declaration;
        LocationInfo? location = declaration.Location;
        var diagnostics = new List<DiagnosticInfo>(declaration.ClassDiagnostics);

        var args = new Dictionary<string, object?>();
        foreach (NamedArgument argument in declaration.Arguments)
        {
            args[argument.Name] = argument.Value;
        }
        if (input.Config is not null && !MergeConfig(input.Config, args, location, diagnostics))
        {
            // The shape checks below would only repeat, in the attribute's terms, what the config diagnostics already say.
            return new ParseResult(null, diagnostics.ToImmutableArrayCompat(), location);
        }
        int Int(string name) => args.TryGetValue(name, out object? v) && v is int i ? i : 0;

        int dModel = Int("DModel"), heads = Int("Heads"), ffn = Int("FfnDim"), maxSeq = Int("MaxSeqLen");
        int encoderLayers = Int("EncoderLayers"), decoderLayers = Int("DecoderLayers");
        int vocab = Int("Vocab"), sourceVocab = Int("SourceVocab"), targetVocab = Int("TargetVocab");
        int tokenTypes = Int("TokenTypes"), positionTable = Int("PositionTableSize");
        double epsilon = args.TryGetValue("LayerNormEpsilon", out object? e) && e is double d ? d : 1e-5;
        double rotaryTheta = args.TryGetValue("RotaryTheta", out object? t) && t is double theta ? theta : 10000;
        int rotaryDimensions = Int("RotaryDimensions");
        int kvHeads = Int("KvHeads");
        bool bias = !args.TryGetValue("Bias", out object? b) || b is not bool hasBias || hasBias;
        int norm = Int("Norm"), activation = Int("Activation"), positions = Int("Positions");
        bool qkvBias = args.TryGetValue("QkvBias", out object? qb) && qb is true;
        int ropeScaling = Int("RopeScaling");
        double Double(string name, double fallback) => args.TryGetValue(name, out object? v) && v is double value ? value : fallback;
        double ropeFactor = Double("RopeScalingFactor", 1), ropeLow = Double("RopeLowFrequencyFactor", 1), ropeHigh = Double("RopeHighFrequencyFactor", 4);
        int ropeOriginal = args.TryGetValue("RopeOriginalMaxPositions", out object? o) && o is int original ? original : 8192;
        int precisions = args.TryGetValue("Precisions", out object? pr) && pr is int set ? set : (int)ModelPrecisions.All;

        foreach ((string name, int value) in new[] { ("DModel", dModel), ("Heads", heads), ("FfnDim", ffn), ("MaxSeqLen", maxSeq) })
        {
            if (value <= 0)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NonPositiveDimension, location, name, value));
            }
        }
        foreach ((string name, int value) in new[]
                 {
                     ("EncoderLayers", encoderLayers), ("DecoderLayers", decoderLayers), ("Vocab", vocab), ("SourceVocab", sourceVocab),
                     ("TargetVocab", targetVocab), ("TokenTypes", tokenTypes), ("PositionTableSize", positionTable),
                 })
        {
            if (value < 0)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NonPositiveDimension, location, name, value));
            }
        }
        foreach ((string name, int value, int limit) in new[]
                 {
                     ("DModel", dModel, MaxModelWidth), ("FfnDim", ffn, MaxFfnWidth), ("Vocab", vocab, MaxVocabulary),
                     ("SourceVocab", sourceVocab, MaxVocabulary), ("TargetVocab", targetVocab, MaxVocabulary),
                     ("TokenTypes", tokenTypes, MaxVocabulary), ("EncoderLayers", encoderLayers, 1024), ("DecoderLayers", decoderLayers, 1024),
                 })
        {
            if (value > limit)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.DimensionTooLarge, location, name, value, limit));
            }
        }
        if (maxSeq > MaxSequence)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.SequenceTooLong, location, "MaxSeqLen", maxSeq, MaxSequence));
        }
        if (positionTable > MaxSequence)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.SequenceTooLong, location, "PositionTableSize", positionTable, MaxSequence));
        }
        if (encoderLayers == 0 && decoderLayers == 0)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NoLayers, location));
        }
        if (dModel > 0 && heads > 0)
        {
            if (dModel % heads != 0)
            {
                int suggestion = (dModel + heads - 1) / heads * heads;
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.HeadsDoNotDivideModel, location, dModel, heads, suggestion));
            }
            else if (dModel / heads > MaxHeadDim)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnsupportedHeadDim, location, dModel / heads, MaxHeadDim));
            }
        }
        if (double.IsNaN(epsilon) || double.IsInfinity(epsilon) || epsilon <= 0)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.BadEpsilon, location, epsilon));
        }
        CheckEnum("Norm", norm, NormNames);
        CheckEnum("Activation", activation, ActivationNames);
        CheckEnum("Positions", positions, PositionNames);
        CheckEnum("RopeScaling", ropeScaling, RopeScalingNames);
        if (precisions == 0 || (precisions & ~(int)ModelPrecisions.All) != 0)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.BadPrecisions, location, precisions,
                precisions == 0 ? "a model needs kernels for at least one precision" : $"only the bits of ModelPrecisions.Fp32 (1), Bf16 (2) and Int8 (4) are defined"));
        }
        string? scalingProblem = RopeScalingProblem(positions, ropeScaling, ropeFactor, ropeLow, ropeHigh, ropeOriginal, args.Keys);
        if (scalingProblem is not null)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.BadRotary, location, scalingProblem));
        }
        if (positions == 0 && dModel > 0 && dModel % 2 == 1)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.OddModelForSinusoidal, location, dModel));
        }
        if (kvHeads != 0 && heads > 0)
        {
            string? groupProblem = kvHeads < 0 || kvHeads > heads || heads % kvHeads != 0
                ? $"KvHeads = {kvHeads} must divide Heads = {heads} (each key/value head serves Heads / KvHeads query heads); e.g. {LargestDivisorUpTo(heads, System.Math.Max(1, kvHeads))}"
                : kvHeads != heads && encoderLayers > 0 ? "grouped-query attention is supported in decoder-only models (EncoderLayers = 0)"
                : null;
            if (groupProblem is not null)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.BadKvHeads, location, groupProblem));
            }
        }
        if (positions == 3 && dModel > 0 && heads > 0 && dModel % heads == 0)
        {
            int head = dModel / heads;
            string? rotaryProblem = encoderLayers > 0 ? "they are supported in decoder-only models (EncoderLayers = 0)"
                : rotaryDimensions < 0 || rotaryDimensions > head || rotaryDimensions % 2 == 1 ? $"RotaryDimensions = {rotaryDimensions} must be even and 0..{head} (the head width; 0 = all)"
                : double.IsNaN(rotaryTheta) || double.IsInfinity(rotaryTheta) || rotaryTheta <= 1 ? $"RotaryTheta = {rotaryTheta} must be a finite number above 1"
                : null;
            if (rotaryProblem is not null)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.BadRotary, location, rotaryProblem));
            }
        }
        string? vocabProblem = CheckVocabulary(encoderLayers, decoderLayers, vocab, sourceVocab, targetVocab, positions, tokenTypes, positionTable, maxSeq);
        if (vocabProblem is not null)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.VocabularyMismatch, location, vocabProblem));
        }

        cancellationToken.ThrowIfCancellationRequested();
        if (diagnostics.Count > 0)
        {
            return new ParseResult(null, diagnostics.ToImmutableArrayCompat(), location);
        }

        string? ns = declaration.Namespace;
        string accessibility = declaration.Accessibility;
        int headDim = ShapeMath.HeadDim(dModel, heads);
        var ffnActivation = (Activation)activation switch { Activation.Gelu => EpilogueActivation.Gelu, Activation.GeluTanh => EpilogueActivation.GeluTanh, Activation.SwiGlu => EpilogueActivation.None, _ => EpilogueActivation.Relu };
        int outputVocab = decoderLayers > 0 ? (encoderLayers > 0 ? targetVocab : vocab) : 0;
        (EquatableArray<GemmSpec> gemms, LayerGemms layers) = PlanGemms(dModel, ShapeMath.KvDModel(dModel, heads, kvHeads), ffn, ffnActivation, gated: (Activation)activation == Activation.SwiGlu, decoderLayers > 0, encoderLayers > 0 && decoderLayers > 0, outputVocab, bias, qkvBias);

        var model = new ModelSpec(
            ns, declaration.ClassName, accessibility,
            dModel, heads, headDim, encoderLayers, decoderLayers, ffn, maxSeq,
            MaxSeqPadded: ShapeMath.KeyBlocks(maxSeq),
            PositionTableSize: positionTable == 0 ? maxSeq : positionTable,
            vocab, sourceVocab, targetVocab, tokenTypes,
            (NormPlacement)norm, (Activation)activation, (PositionEncoding)positions, epsilon,
            new AttentionSpec(headDim, VectorTiling.For(headDim), (float)(1.0 / System.Math.Sqrt(headDim))),
            VectorTiling.For(dModel),
            gemms, layers,
            RotaryDimensions: (PositionEncoding)positions == PositionEncoding.Rotary ? (rotaryDimensions == 0 ? headDim : rotaryDimensions) : 0,
            RotaryTheta: rotaryTheta,
            KvHeads: kvHeads == 0 ? heads : kvHeads,
            Bias: bias,
            QkvBias: qkvBias && !bias,
            RopeScaling: (RopeScaling)ropeScaling,
            RopeScalingFactor: (RopeScaling)ropeScaling == RopeScaling.None ? 1 : ropeFactor,
            RopeLowFrequencyFactor: (RopeScaling)ropeScaling == RopeScaling.Llama3 ? ropeLow : 1,
            RopeHighFrequencyFactor: (RopeScaling)ropeScaling == RopeScaling.Llama3 ? ropeHigh : 4,
            RopeOriginalMaxPositions: (RopeScaling)ropeScaling == RopeScaling.Llama3 ? ropeOriginal : 8192,
            Precisions: (ModelPrecisions)precisions);
        return new ParseResult(model, ImmutableArray<DiagnosticInfo>.Empty, location);

        void CheckEnum(string name, int value, string[] names)
        {
            if (value < 0 || value >= names.Length)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnknownEnumValue, location, name, value, string.Join(", ", names)));
            }
        }
    }

    /// <summary>Says what is wrong with the rotary scaling settings (Hugging Face's rope_scaling), or null when they fit.</summary>
    private static string? RopeScalingProblem(int positions, int scaling, double factor, double low, double high, int original, IEnumerable<string> set)
    {
        string[] llama3Only = { "RopeLowFrequencyFactor", "RopeHighFrequencyFactor", "RopeOriginalMaxPositions" };
        if (scaling is < 0 or > 2)
        {
            return null; // reported as an unknown enum value
        }
        if (scaling == 0)
        {
            string? stray = set.FirstOrDefault(name => name == "RopeScalingFactor" || System.Array.IndexOf(llama3Only, name) >= 0);
            return stray is null ? null : $"{stray} is set but RopeScaling is None; set RopeScaling = RopeScaling.Linear or RopeScaling.Llama3, or remove {stray}";
        }
        if (positions != 3)
        {
            return $"RopeScaling = {RopeScalingNames[scaling]} scales rotary frequencies, but Positions is not Rotary; set Positions = PositionEncoding.Rotary or remove RopeScaling";
        }
        if (double.IsNaN(factor) || double.IsInfinity(factor) || factor < 1)
        {
            return $"RopeScalingFactor = {factor} must be a finite number of at least 1 (Hugging Face's rope_scaling.factor)";
        }
        if (scaling == 1)
        {
            string? stray = set.FirstOrDefault(name => System.Array.IndexOf(llama3Only, name) >= 0);
            return stray is null ? null : $"{stray} belongs to RopeScaling = Llama3; linear scaling only reads RopeScalingFactor";
        }
        if (double.IsNaN(low) || double.IsInfinity(low) || low <= 0 || double.IsNaN(high) || double.IsInfinity(high) || high <= low)
        {
            return $"RopeLowFrequencyFactor = {low} and RopeHighFrequencyFactor = {high} must be finite with 0 < low < high (Llama 3.1 uses 1 and 4)";
        }
        return original < 1 ? $"RopeOriginalMaxPositions = {original} must be positive (the context the model was trained on, Llama 3.1: 8192)" : null;
    }

    /// <summary>The largest divisor of <paramref name="heads"/> not above <paramref name="limit"/>, to suggest a KvHeads.</summary>
    private static int LargestDivisorUpTo(int heads, int limit)
    {
        for (int k = System.Math.Min(limit, heads); k > 1; k--)
        {
            if (heads % k == 0)
            {
                return k;
            }
        }
        return 1;
    }

    /// <summary>Says what is wrong with the vocabulary settings for the declared stack, or null when they fit.</summary>
    private static string? CheckVocabulary(int encoderLayers, int decoderLayers, int vocab, int sourceVocab, int targetVocab,
                                           int positions, int tokenTypes, int positionTable, int maxSeq)
    {
        bool encoderDecoder = encoderLayers > 0 && decoderLayers > 0;
        if (encoderDecoder)
        {
            if (vocab != 0)
            {
                return "An encoder–decoder model takes SourceVocab and TargetVocab, not Vocab; replace Vocab with SourceVocab and TargetVocab";
            }
            if ((sourceVocab == 0) != (targetVocab == 0))
            {
                return sourceVocab == 0
                    ? "TargetVocab is set but SourceVocab is missing; an encoder–decoder model with token input needs both"
                    : "SourceVocab is set but TargetVocab is missing; the decoder's final linear + softmax needs TargetVocab";
            }
        }
        else if (sourceVocab != 0 || targetVocab != 0)
        {
            return "SourceVocab/TargetVocab describe an encoder–decoder model, but this one has " +
                   (decoderLayers == 0 ? "no decoder" : "no encoder") + "; use Vocab instead";
        }
        bool hasVocabulary = vocab != 0 || sourceVocab != 0;
        if (positions == 1 && !hasVocabulary)
        {
            return "Learned positions belong to the embedding layer, which needs a vocabulary; set " + (encoderDecoder ? "SourceVocab and TargetVocab" : "Vocab") + " or use Sinusoidal positions";
        }
        if (tokenTypes != 0 && !hasVocabulary)
        {
            return "TokenTypes belong to the embedding layer, which needs a vocabulary; set Vocab or remove TokenTypes";
        }
        if (positionTable != 0 && positionTable < maxSeq)
        {
            return $"PositionTableSize = {positionTable} is smaller than MaxSeqLen = {maxSeq}; the position table must cover every position";
        }
        return null;
    }

    /// <summary>Lists the distinct weight shapes of the model; linear layers of the same shape and activation share a GEMM.</summary>
    private static (EquatableArray<GemmSpec>, LayerGemms) PlanGemms(int d, int kv, int ffn, EpilogueActivation ffnActivation, bool gated, bool hasDecoder, bool hasCross, int outputVocab, bool bias, bool qkvBias)
    {
        var byKey = new Dictionary<(int K, int N, EpilogueActivation Act, int Lda, int Ldc, bool Bias), List<string>>();
        var order = new List<(int K, int N, EpilogueActivation Act, int Lda, int Ldc, bool Bias)>();
        // Gated (SwiGLU): gate and up are one GEMM whose panels interleave them 8 and 8 (ModelSpec.FfnUpColumns); its epilogue
        // writes SiLU(gate)·up, so the hidden rows hold ffn (rounded up to 8) floats either way.
        int hiddenStride = ShapeMath.PaddedStride(gated ? ShapeMath.GatedHiddenWidth(ffn) : ffn);
        string Use(int k, int n, EpilogueActivation act, string role, int lda = 0, int ldc = 0, bool withBias = false)
        {
            var key = (k, n, act, lda == 0 ? k : lda, ldc == 0 ? n : ldc, bias || withBias);
            if (!byKey.TryGetValue(key, out List<string>? roles))
            {
                byKey[key] = roles = new List<string>();
                order.Add(key);
            }
            roles.Add(role);
            return GemmName(key, bias);
        }

        // QkvBias (Qwen2): only this GEMM adds a bias when the model is declared Bias = false.
        string qkv = Use(d, d + 2 * kv, EpilogueActivation.None, qkvBias && !bias ? "self-attention Q·K·V projection (+ q/k/v biases)" : "self-attention Q·K·V projection", withBias: qkvBias);
        string output = Use(d, d, EpilogueActivation.None, "attention output projection");
        string up = gated ? Use(d, ShapeMath.GatedColumns(ffn), EpilogueActivation.SwiGlu, "FFN gate and up projections, SiLU(gate)·up (SwiGLU)", ldc: hiddenStride)
                          : Use(d, ffn, ffnActivation, "FFN first linear + activation", ldc: hiddenStride);
        string down = Use(ffn, d, EpilogueActivation.None, "FFN second linear", lda: hiddenStride);
        string? crossQuery = hasCross ? Use(d, d, EpilogueActivation.None, "cross-attention query projection") : null;
        string? crossKeyValue = hasCross ? Use(d, 2 * d, EpilogueActivation.None, "cross-attention K·V projection of the encoder output") : null;
        string? projection = hasDecoder && outputVocab > 0 ? Use(d, outputVocab, EpilogueActivation.None, "final linear to the vocabulary") : null;

        var gemms = order.Select(key => new GemmSpec(GemmName(key, bias), key.K, key.N, key.Act, key.Lda, key.Ldc, string.Join("; ", byKey[key]), key.Bias)).ToImmutableArrayCompat();
        return (gemms, new LayerGemms(qkv, output, up, down, crossQuery, crossKeyValue, projection));
    }

    /// <summary>A GEMM's name from its key; "Bias" marks the one biased GEMM of a model declared Bias = false (QkvBias).</summary>
    private static string GemmName((int K, int N, EpilogueActivation Act, int Lda, int Ldc, bool Bias) key, bool modelBias) =>
        $"Gemm{key.K}x{key.N}" + (key.Act == EpilogueActivation.None ? "" : key.Act.ToString()) +
        (key.Lda != key.K ? $"Lda{key.Lda}" : "") + (key.Ldc != key.N ? $"Ldc{key.Ldc}" : "") + (key.Bias && !modelBias ? "Bias" : "");
}
