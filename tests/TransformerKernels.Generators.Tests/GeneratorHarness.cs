using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using TransformerKernels.Generators;

namespace TransformerKernels.Generators.Tests;

/// <summary>Compiles a snippet against the runtime assembly and runs the generator over it.</summary>
internal static class GeneratorHarness
{
    private static readonly ImmutableArray<MetadataReference> References = LoadReferences();

    private static ImmutableArray<MetadataReference> LoadReferences()
    {
        string trusted = (string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!;
        return trusted.Split(Path.PathSeparator)
            .Where(path => Path.GetFileName(path) is var name && (name.StartsWith("System.", StringComparison.Ordinal) || name is "netstandard.dll" or "mscorlib.dll"))
            .Select(path => (MetadataReference)MetadataReference.CreateFromFile(path))
            .Append(MetadataReference.CreateFromFile(typeof(TransformerModelAttribute).Assembly.Location))
            .ToImmutableArray();
    }

    public static CSharpCompilation Compile(string source, bool allowUnsafe = true) =>
        CSharpCompilation.Create("UserModels",
            [CSharpSyntaxTree.ParseText(source, new CSharpParseOptions(LanguageVersion.Latest, DocumentationMode.Diagnose), path: "Models.cs")],
            References,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, allowUnsafe: allowUnsafe, nullableContextOptions: NullableContextOptions.Enable));

    public static GeneratorDriver CreateDriver() =>
        CSharpGeneratorDriver.Create([new TransformerModelGenerator().AsSourceGenerator()],
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

    /// <summary>Runs the generator; returns its diagnostics, the updated compilation's diagnostics and the generated files.</summary>
    public static (ImmutableArray<Diagnostic> Generator, ImmutableArray<Diagnostic> Compilation, GeneratorDriverRunResult Run) Run(string source, bool allowUnsafe = true)
    {
        CSharpCompilation compilation = Compile(source, allowUnsafe);
        GeneratorDriver driver = CreateDriver().RunGeneratorsAndUpdateCompilation(compilation, out Compilation output, out ImmutableArray<Diagnostic> generatorDiagnostics);
        return (generatorDiagnostics, output.GetDiagnostics(), driver.GetRunResult());
    }

    public static string Model(string arguments, string declaration = "public partial class Model;") =>
        $$"""
        using TransformerKernels;
        namespace User;
        [TransformerModel({{arguments}})]
        {{declaration}}
        """;
}
