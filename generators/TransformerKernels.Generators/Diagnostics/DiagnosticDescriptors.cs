using Microsoft.CodeAnalysis;

namespace TransformerKernels.Generators.Diagnostics;

/// <summary>Every diagnostic the generator reports. IDs are stable; see AnalyzerReleases.*.md.</summary>
internal static class DiagnosticDescriptors
{
    private const string Category = "TransformerKernels";
    private const string HelpBase = "https://github.com/transformerkernels/transformerkernels/blob/main/docs/diagnostics.md#";

    private static DiagnosticDescriptor Error(string id, string title, string message) =>
        new(id, title, message, Category, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpBase + id.ToLowerInvariant());

    public static readonly DiagnosticDescriptor ClassNotPartial = Error(
        "TK0001", "Model class must be partial",
        "Class '{0}' carries [TransformerModel] but is not partial; declare it 'partial' so the generator can add the specialized kernels");

    public static readonly DiagnosticDescriptor ClassNestedOrGeneric = Error(
        "TK0002", "Model class must be a top-level, non-generic class",
        "Class '{0}' is {1}; declare the [TransformerModel] class at namespace level without type parameters");

    public static readonly DiagnosticDescriptor NonPositiveDimension = Error(
        "TK0003", "Dimension must be positive",
        "{0} is {1}; set {0} to a positive number");

    public static readonly DiagnosticDescriptor HeadsDoNotDivideModel = Error(
        "TK0004", "DModel must be a multiple of Heads",
        "DModel = {0} is not divisible by Heads = {1}; choose DModel as a multiple of Heads (e.g. DModel = {2}) so every head gets DModel / Heads columns");

    public static readonly DiagnosticDescriptor UnsupportedHeadDim = Error(
        "TK0005", "Head dimension not supported",
        "Head dimension DModel / Heads = {0} is outside the supported range 1..{1}: the attention kernel unrolls a head's row into vector accumulators (at 256, 16 of AVX-512's 32 registers); use more heads or a smaller DModel");

    public static readonly DiagnosticDescriptor SequenceTooLong = Error(
        "TK0006", "MaxSeqLen beyond the supported limit",
        "{0} = {1} exceeds the supported {2}; the scratch, the position table and every key/value cache are sized for it (they grow linearly with it), so lower it to at most {2}");

    public static readonly DiagnosticDescriptor VocabularyMismatch = Error(
        "TK0007", "Vocabulary does not fit the declared stack",
        "{0}");

    public static readonly DiagnosticDescriptor NoLayers = Error(
        "TK0008", "Model has no layers",
        "EncoderLayers and DecoderLayers are both 0; declare at least one encoder or decoder block");

    public static readonly DiagnosticDescriptor OddModelForSinusoidal = Error(
        "TK0009", "Sinusoidal positions need an even DModel",
        "Sinusoidal positions pair sin/cos columns, but DModel = {0} is odd; use an even DModel or Positions = PositionEncoding.Learned");

    public static readonly DiagnosticDescriptor BadEpsilon = Error(
        "TK0010", "LayerNormEpsilon must be positive and finite",
        "LayerNormEpsilon = {0} is not a positive finite number; PyTorch uses 1e-5 and BERT 1e-12");

    public static readonly DiagnosticDescriptor DimensionTooLarge = Error(
        "TK0011", "Dimension beyond the supported limit",
        "{0} = {1} exceeds the supported {2}; a larger value would overflow the generated buffer arithmetic");

    public static readonly DiagnosticDescriptor UnsafeNotEnabled = Error(
        "TK0012", "Unsafe code must be enabled",
        "The generated kernels for '{0}' use pointers over pinned weights; set <AllowUnsafeBlocks>true</AllowUnsafeBlocks> in the project file");

    public static readonly DiagnosticDescriptor BadRotary = Error(
        "TK0014", "Rotary positions do not fit the declaration",
        "Rotary positions: {0}");

    public static readonly DiagnosticDescriptor BadKvHeads = Error(
        "TK0015", "KvHeads does not fit the declaration",
        "Grouped-query attention: {0}");

    public static readonly DiagnosticDescriptor UnknownEnumValue = Error(
        "TK0013", "Unknown option value",
        "{0} = {1} is not a defined value; use one of {2}");

    public static readonly DiagnosticDescriptor ConfigNotFound = Error(
        "TK0016", "Config file not found",
        "Config = \"{0}\": {1}; add <TransformerModelConfig Include=\"{0}\" /> to the project file (or <AdditionalFiles Include=\"{0}\" />) so the compiler passes the file to the generator");

    public static readonly DiagnosticDescriptor ConfigMalformed = Error(
        "TK0017", "config.json is not valid JSON",
        "'{0}' is not valid JSON: {1} at line {2}, column {3}");

    public static readonly DiagnosticDescriptor ConfigFieldInvalid = Error(
        "TK0018", "config.json field is missing or of the wrong type",
        "'{0}': field '{1}' is {2}; expected {3}");

    public static readonly DiagnosticDescriptor UnsupportedModelType = Error(
        "TK0019", "config.json model_type not supported",
        "'{0}': {1}; supported model_type values: {2}");

    public static readonly DiagnosticDescriptor UnsupportedConfigFeature = Error(
        "TK0020", "config.json asks for something the kernels do not do",
        "'{0}': {1} = {2} is not supported: {3}");

    public static readonly DiagnosticDescriptor ConfigDisagreement = Error(
        "TK0021", "Attribute property disagrees with config.json",
        "{0} = {1} disagrees with '{4}', whose {2} gives {0} = {3}; {5}");

    public static readonly DiagnosticDescriptor BadPrecisions = Error(
        "TK0022", "Precisions names no generated precision",
        "Precisions = {0} is not a set of weight precisions: {1}; combine ModelPrecisions.Fp32, Bf16 and Int8 with |, or leave Precisions out for all three");
}
