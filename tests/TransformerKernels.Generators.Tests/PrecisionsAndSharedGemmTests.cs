using System.Reflection;
using System.Runtime.Loader;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace TransformerKernels.Generators.Tests;

/// <summary>
/// Generated code only for what is used: a model's <c>Precisions</c> decide which GEMM workers and tiles exist, and models of
/// one assembly whose GEMMs have equal specs share one class per spec.
/// </summary>
public class PrecisionsAndSharedGemmTests
{
    private const string Shape = "DModel = 64, Heads = 4, EncoderLayers = 1, FfnDim = 128, MaxSeqLen = 16";

    /// <summary>The shared GEMM classes' hint names start with their namespace (the test compilation's assembly is UserModels).</summary>
    private const string SharedPrefix = "TransformerKernels.Gemms.UserModels.";

    private static readonly string[] Bf16Members = ["RunBf16(", "Bf16Avx512Units", "Bf16Avx2Units", "Bf16ScalarUnits", "Bf16Avx512Tile", "ushort* weights"];

    private static readonly string[] Int8Members = ["RunInt8(", "Int8Avx512VnniUnits", "Int8Avx512BWUnits", "Int8AvxVnniUnits", "Int8Avx2Units", "Int8ScalarUnits", "sbyte* weights"];

    private static readonly string[] Fp32Members = ["void Avx512Units(", "void Avx2Units(", "void ScalarUnits(", "float* weights = g->Weights"];

    private static string Everything(GeneratorDriverRunResult run) => string.Concat(run.GeneratedTrees.Select(t => t.GetText().ToString()));

    [Fact]
    public void AModelDeclaringFp32EmitsNoBf16OrInt8Kernels()
    {
        string all = Everything(GeneratorHarness.Run(GeneratorHarness.Model(Shape)).Run);
        var (generator, compilation, run) = GeneratorHarness.Run(GeneratorHarness.Model(Shape + ", Precisions = ModelPrecisions.Fp32"));
        Assert.Empty(generator);
        Assert.Empty(compilation.Where(d => d.Severity >= DiagnosticSeverity.Warning && d.Location.SourceTree?.FilePath != "Models.cs"));
        string fp32 = Everything(run);
        foreach (string member in Bf16Members.Concat(Int8Members))
        {
            Assert.Contains(member, all, StringComparison.Ordinal); // the marker is real: the default model has it
            Assert.DoesNotContain(member, fp32, StringComparison.Ordinal);
        }
        Assert.All(Fp32Members, member => Assert.Contains(member, fp32, StringComparison.Ordinal));
        Assert.Contains("public const global::TransformerKernels.ModelPrecisions Precisions = global::TransformerKernels.ModelPrecisions.Fp32;",
            GeneratorHarness.Files(run)["User.Model.Shape.g.cs"], StringComparison.Ordinal);
        static int GemmCharacters(GeneratorDriverRunResult r) =>
            r.GeneratedTrees.Where(t => Path.GetFileName(t.FilePath).StartsWith(SharedPrefix, StringComparison.Ordinal)).Sum(t => t.GetText().Length);
        int allGemms = GemmCharacters(GeneratorHarness.Run(GeneratorHarness.Model(Shape)).Run), fp32Gemms = GemmCharacters(run);
        Assert.True(fp32Gemms * 2 < allGemms, $"FP32 GEMMs alone are {fp32Gemms} characters of {allGemms}");
    }

    [Fact]
    public void AnInt8OnlyModelHasNoFp32OrBf16Workers()
    {
        var (generator, compilation, run) = GeneratorHarness.Run(GeneratorHarness.Model(Shape + ", Precisions = ModelPrecisions.Int8"));
        Assert.Empty(generator);
        Assert.Empty(compilation.Where(d => d.Severity >= DiagnosticSeverity.Warning && d.Location.SourceTree?.FilePath != "Models.cs"));
        string int8 = Everything(run);
        Assert.All(Int8Members, member => Assert.Contains(member, int8, StringComparison.Ordinal));
        Assert.All(Bf16Members.Concat(Fp32Members), member => Assert.DoesNotContain(member, int8, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("ModelPrecisions.Fp32", "Int8")]
    [InlineData("ModelPrecisions.Fp32", "Bf16")]
    [InlineData("ModelPrecisions.Int8 | ModelPrecisions.Bf16", "Fp32")]
    public void LoadingInAnUndeclaredPrecisionThrowsTheTypedException(string precisions, string asked)
    {
        CSharpCompilation compilation = GeneratorHarness.Compile(GeneratorHarness.Model(Shape + ", Precisions = " + precisions));
        GeneratorHarness.CreateDriver().RunGeneratorsAndUpdateCompilation(compilation, out Compilation output, out _);
        using var image = new MemoryStream();
        var emitted = output.Emit(image);
        Assert.True(emitted.Success, string.Join("\n", emitted.Diagnostics));

        var context = new AssemblyLoadContext("precisions", isCollectible: true);
        try
        {
            image.Position = 0;
            Type model = context.LoadFromStream(image).GetType("User.Model", throwOnError: true)!;
            // Load is the runtime base class's (TransformerModel<TSelf>), inherited by the generated class.
            MethodInfo load = model.GetMethod("Load", BindingFlags.Public | BindingFlags.Static | BindingFlags.FlattenHierarchy, [typeof(string), typeof(WeightNaming), typeof(int), typeof(bool), typeof(WeightPrecision)])!;
            var precision = Enum.Parse<WeightPrecision>(asked);
            // No such file: the check comes before a byte is read, so the precision is what fails.
            var thrown = Assert.Throws<TargetInvocationException>(() => load.Invoke(null, ["/no/such/model.safetensors", WeightNaming.Auto, 1, false, precision]));
            var e = Assert.IsType<PrecisionNotGeneratedException>(thrown.InnerException);
            Assert.Equal(precision, e.Precision);
            Assert.Equal("Model", e.Target);
            Assert.Contains("Precisions", e.Message, StringComparison.Ordinal);
            Assert.Contains($"ModelPrecisions.{asked}", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            context.Unload();
        }
    }

    [Fact]
    public void TwoModelsOfEqualGemmSpecsShareOneGemmClass()
    {
        string one = GeneratorHarness.Model(Shape, "public partial class A;");
        string two = one + "\n" + $"[TransformerModel({Shape}, Precisions = ModelPrecisions.Fp32)]\npublic partial class B;";
        var (_, _, alone) = GeneratorHarness.Run(one);
        var (generator, compilation, run) = GeneratorHarness.Run(two);
        Assert.Empty(generator);
        Assert.Empty(compilation.Where(d => d.Severity >= DiagnosticSeverity.Warning && d.Location.SourceTree?.FilePath != "Models.cs"));

        static string[] SharedFiles(GeneratorDriverRunResult r) =>
            r.GeneratedTrees.Select(t => Path.GetFileName(t.FilePath)).Where(f => f.StartsWith(SharedPrefix, StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(
            [SharedPrefix + "Gemm128x64.g.cs", SharedPrefix + "Gemm64x128Relu.g.cs", SharedPrefix + "Gemm64x192.g.cs", SharedPrefix + "Gemm64x64.g.cs"],
            SharedFiles(alone));
        Assert.Equal(SharedFiles(alone), SharedFiles(run));
        string all = Everything(run);
        Assert.Equal(4, CountOf(all, "internal static unsafe class Gemm"));

        // Each model keeps its Kernels.Gemm… names, forwarding to the one class; the class lists both users and keeps A's precisions.
        Dictionary<string, string> files = GeneratorHarness.Files(run);
        foreach (string model in new[] { "A", "B" })
        {
            Assert.Contains("public static void Run(float* a, int m, global::TransformerKernels.PackedLinear weights, float* residual, float* c) => global::TransformerKernels.Gemms.UserModels.Gemm64x192.Run(a, m, weights, residual, c);",
                files[$"User.{model}.Gemms.g.cs"], StringComparison.Ordinal);
        }
        string qkv = files[SharedPrefix + "Gemm64x192.g.cs"];
        Assert.Contains("global::User.A.Kernels.Gemm64x192", qkv, StringComparison.Ordinal);
        Assert.Contains("global::User.B.Kernels.Gemm64x192", qkv, StringComparison.Ordinal);
        Assert.Contains("RunInt8(", qkv, StringComparison.Ordinal);
    }

    [Fact]
    public void ASharedGemmHoldsTheUnionOfItsModelsPrecisions()
    {
        string source = GeneratorHarness.Model(Shape + ", Precisions = ModelPrecisions.Fp32", "public partial class A;") + "\n" +
                        $"[TransformerModel({Shape}, Precisions = ModelPrecisions.Int8)]\npublic partial class B;";
        var (generator, compilation, run) = GeneratorHarness.Run(source);
        Assert.Empty(generator);
        Assert.Empty(compilation.Where(d => d.Severity >= DiagnosticSeverity.Warning && d.Location.SourceTree?.FilePath != "Models.cs"));
        string qkv = GeneratorHarness.Files(run)[SharedPrefix + "Gemm64x192.g.cs"];
        Assert.All(Fp32Members.Concat(Int8Members), member => Assert.Contains(member, qkv, StringComparison.Ordinal));
        Assert.All(Bf16Members, member => Assert.DoesNotContain(member, qkv, StringComparison.Ordinal));
        Assert.Contains("Precisions = global::TransformerKernels.ModelPrecisions.Fp32 | global::TransformerKernels.ModelPrecisions.Int8;", qkv, StringComparison.Ordinal);
    }

    [Fact]
    public void GemmsThatDifferOnlyInBiasAreTwoClasses()
    {
        string source = GeneratorHarness.Model(Shape, "public partial class A;") + "\n" + $"[TransformerModel({Shape}, Bias = false)]\npublic partial class B;";
        var (generator, _, run) = GeneratorHarness.Run(source);
        Assert.Empty(generator);
        Dictionary<string, string> files = GeneratorHarness.Files(run);
        Assert.Contains("g->Bias", files[SharedPrefix + "Gemm64x192.g.cs"], StringComparison.Ordinal);
        Assert.DoesNotContain("g->Bias", files[SharedPrefix + "Gemm64x192NoBias.g.cs"], StringComparison.Ordinal);
        Assert.Contains("Gemms.UserModels.Gemm64x192NoBias.Run(", files["User.B.Gemms.g.cs"], StringComparison.Ordinal);
    }

    [Fact]
    public void AConfigDeclaredModelAcceptsPrecisions()
    {
        const string path = "models/m/config.json";
        string source = GeneratorHarness.Model($"Config = \"{path}\", MaxSeqLen = 16, Precisions = ModelPrecisions.Fp32 | ModelPrecisions.Int8");
        var (generator, compilation, run) = GeneratorHarness.Run(source,
            additionalFiles: [new InMemoryAdditionalText("/project/" + path, GeneratorHarness.ConfigText("all-MiniLM-L6-v2"))], projectDirectory: "/project/");
        Assert.Empty(generator);
        Assert.Empty(compilation.Where(d => d.Severity >= DiagnosticSeverity.Warning && d.Location.SourceTree?.FilePath != "Models.cs"));
        string all = Everything(run);
        Assert.All(Bf16Members, member => Assert.DoesNotContain(member, all, StringComparison.Ordinal));
        Assert.Contains("RunInt8(", all, StringComparison.Ordinal);
        Assert.Contains("Precisions = global::TransformerKernels.ModelPrecisions.Fp32 | global::TransformerKernels.ModelPrecisions.Int8;", GeneratorHarness.Files(run)["User.Model.Shape.g.cs"], StringComparison.Ordinal);
    }

    [Fact]
    public void EditingOneModelLeavesTheGemmsItDoesNotChangeCached()
    {
        static string Source(int heads) => GeneratorHarness.Model(Shape, "public partial class A;") + "\n" +
            $"[TransformerModel(DModel = 64, Heads = {heads}, EncoderLayers = 1, FfnDim = 96, MaxSeqLen = 16)]\npublic partial class B;";
        CSharpCompilation compilation = GeneratorHarness.Compile(Source(4));
        GeneratorDriver driver = GeneratorHarness.CreateDriver().RunGenerators(compilation);
        SyntaxTree old = compilation.SyntaxTrees.Single();
        // B's head count changes no GEMM: its model outputs re-run, the shared GEMM classes stay as they were.
        driver = driver.RunGenerators(compilation.ReplaceSyntaxTree(old, CSharpSyntaxTree.ParseText(Source(8), (CSharpParseOptions)old.Options, old.FilePath)));
        GeneratorRunResult result = driver.GetRunResult().Results.Single();
        Assert.Contains(result.TrackedSteps["Models"].SelectMany(s => s.Outputs), o => o.Reason == IncrementalStepRunReason.Modified);
        var shared = result.TrackedSteps["SharedGemms"].SelectMany(s => s.Outputs).ToArray();
        Assert.All(shared, o => Assert.Equal(IncrementalStepRunReason.Unchanged, o.Reason));
        var gemmOutputs = result.TrackedSteps["SharedGemmOutputs"].SelectMany(s => s.Outputs).ToArray();
        Assert.Equal(6, gemmOutputs.Length); // 64x192 and 64x64 (both), 64x128Relu and 128x64 (A), 64x96Relu and 96x64 (B)
        Assert.All(gemmOutputs, o => Assert.Equal(IncrementalStepRunReason.Cached, o.Reason));
    }

    private static int CountOf(string text, string part)
    {
        int count = 0;
        for (int at = text.IndexOf(part, StringComparison.Ordinal); at >= 0; at = text.IndexOf(part, at + part.Length, StringComparison.Ordinal))
        {
            count++;
        }
        return count;
    }
}
