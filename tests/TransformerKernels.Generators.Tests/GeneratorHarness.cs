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

    /// <summary>A driver over <paramref name="additionalFiles"/>; <paramref name="projectDirectory"/> plays MSBuild's build_property.ProjectDir.</summary>
    public static GeneratorDriver CreateDriver(IEnumerable<AdditionalText>? additionalFiles = null, string? projectDirectory = null) =>
        CSharpGeneratorDriver.Create([new TransformerModelGenerator().AsSourceGenerator()],
            additionalTexts: additionalFiles ?? [],
            optionsProvider: new TestOptionsProvider(projectDirectory is null ? [] : new Dictionary<string, string> { ["build_property.ProjectDir"] = projectDirectory }),
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

    /// <summary>Runs the generator; returns its diagnostics, the updated compilation's diagnostics and the generated files.</summary>
    public static (ImmutableArray<Diagnostic> Generator, ImmutableArray<Diagnostic> Compilation, GeneratorDriverRunResult Run) Run(
        string source, bool allowUnsafe = true, IEnumerable<AdditionalText>? additionalFiles = null, string? projectDirectory = null)
    {
        CSharpCompilation compilation = Compile(source, allowUnsafe);
        GeneratorDriver driver = CreateDriver(additionalFiles, projectDirectory)
            .RunGeneratorsAndUpdateCompilation(compilation, out Compilation output, out ImmutableArray<Diagnostic> generatorDiagnostics);
        return (generatorDiagnostics, output.GetDiagnostics(), driver.GetRunResult());
    }

    /// <summary>The generated files by name.</summary>
    public static Dictionary<string, string> Files(GeneratorDriverRunResult run) =>
        run.GeneratedTrees.ToDictionary(t => Path.GetFileName(t.FilePath), t => t.GetText().ToString());

    /// <summary>The text of a committed test config (Configs/{model}/config.json).</summary>
    public static string ConfigText(string model) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Configs", model, "config.json"));

    public static string Model(string arguments, string declaration = "public partial class Model;") =>
        $$"""
        using TransformerKernels;
        namespace User;
        [TransformerModel({{arguments}})]
        {{declaration}}
        """;
}

/// <summary>An additional file held in memory, as MSBuild would pass it to the compiler.</summary>
internal sealed class InMemoryAdditionalText(string path, string? text) : AdditionalText
{
    public override string Path { get; } = path;

    public override Microsoft.CodeAnalysis.Text.SourceText? GetText(CancellationToken cancellationToken = default) =>
        text is null ? null : Microsoft.CodeAnalysis.Text.SourceText.From(text);
}

/// <summary>Global analyzer options (the build_property.* values MSBuild writes into the generated .editorconfig).</summary>
internal sealed class TestOptionsProvider(Dictionary<string, string> values) : Microsoft.CodeAnalysis.Diagnostics.AnalyzerConfigOptionsProvider
{
    public override Microsoft.CodeAnalysis.Diagnostics.AnalyzerConfigOptions GlobalOptions { get; } = new Options(values);

    public override Microsoft.CodeAnalysis.Diagnostics.AnalyzerConfigOptions GetOptions(SyntaxTree tree) => new Options([]);

    public override Microsoft.CodeAnalysis.Diagnostics.AnalyzerConfigOptions GetOptions(AdditionalText textFile) => new Options([]);

    private sealed class Options(Dictionary<string, string> values) : Microsoft.CodeAnalysis.Diagnostics.AnalyzerConfigOptions
    {
        public override bool TryGetValue(string key, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? value) => values.TryGetValue(key, out value);
    }
}
