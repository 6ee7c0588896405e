using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using TransformerKernels.Generators.Config;
using TransformerKernels.Generators.Diagnostics;
using TransformerKernels.Generators.Helpers;
using TransformerKernels.Generators.Model;

namespace TransformerKernels.Generators;

/// <summary>
/// Generates shape-specialized Transformer kernels for every class marked [TransformerModel].
/// Pipeline: attribute → <see cref="Declare"/> (the class and arguments as data) + the config.json its <c>Config</c> names →
/// <see cref="Parse"/> (equatable <see cref="ModelSpec"/> + diagnostics) → emitters (text).
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed partial class TransformerModelGenerator : IIncrementalGenerator
{
    internal const string AttributeName = "TransformerKernels.TransformerModelAttribute";

    /// <inheritdoc/>
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        IncrementalValuesProvider<ModelDeclaration> declarations = context.SyntaxProvider
            .ForAttributeWithMetadataName(AttributeName,
                static (node, _) => node is ClassDeclarationSyntax,
                static (ctx, ct) => Declare(ctx, ct))
            .WithTrackingName(TrackingNames.Declare);

        // Every additional file named config.json, read once per edit of that file.
        IncrementalValueProvider<ImmutableArray<ConfigFile>> configFiles = context.AdditionalTextsProvider
            .Where(static text => ConfigFiles.IsConfigFile(text.Path))
            .Select(static (text, ct) => new ConfigFile(ConfigFiles.Normalize(text.Path), text.GetText(ct)?.ToString()))
            .WithTrackingName(TrackingNames.ConfigFiles)
            .Collect();

        IncrementalValueProvider<string?> projectDirectory = context.AnalyzerConfigOptionsProvider
            .Select(static (options, _) => options.GlobalOptions.TryGetValue("build_property.ProjectDir", out string? directory) && directory.Length > 0 ? directory : null)
            .WithTrackingName(TrackingNames.ProjectDirectory);

        // Each model keeps only the one file its Config names: an edit to another model's config.json changes the collected
        // array (this step re-runs for every model) but leaves this model's ModelInput equal, so Parse and the outputs stay cached.
        IncrementalValuesProvider<ModelInput> inputs = declarations
            .Combine(configFiles.Combine(projectDirectory))
            .Select(static (pair, _) => new ModelInput(pair.Left,
                pair.Left.ConfigPath is { } path ? ConfigFiles.Find(path, pair.Right.Left, pair.Right.Right) : null))
            .WithTrackingName(TrackingNames.ConfigLookup);

        IncrementalValuesProvider<ParseResult> parsed = inputs
            .Select(static (input, ct) => Parse(input, ct))
            .WithTrackingName(TrackingNames.Parse);

        IncrementalValueProvider<bool> allowUnsafe = context.CompilationProvider
            .Select(static (compilation, _) => compilation.Options is CSharpCompilationOptions { AllowUnsafe: true })
            .WithTrackingName(TrackingNames.AllowUnsafe);

        IncrementalValuesProvider<ParseResult> checkedModels = parsed.Combine(allowUnsafe)
            .Select(static (pair, _) => RequireUnsafe(pair.Left, pair.Right))
            .WithTrackingName(TrackingNames.Checked);

        context.RegisterSourceOutput(
            checkedModels.SelectMany(static (result, _) => result.Diagnostics.AsImmutableArray()).WithTrackingName(TrackingNames.Diagnostics),
            static (spc, diagnostic) => spc.ReportDiagnostic(diagnostic.ToDiagnostic()));

        IncrementalValuesProvider<ModelSpec> models = checkedModels
            .Where(static result => result.Model is not null)
            .Select(static (result, _) => result.Model!)
            .WithTrackingName(TrackingNames.Models);

        // GEMM classes are emitted once per assembly, in a namespace of its own (two assemblies that see each other's internals
        // must not both define the same type), and each model's Kernels forwards to them.
        IncrementalValueProvider<string> gemmNamespace = context.CompilationProvider
            .Select(static (compilation, _) => SharedGemmNamespace(compilation.AssemblyName))
            .WithTrackingName(TrackingNames.GemmNamespace);

        context.RegisterSourceOutput(models.Combine(gemmNamespace), static (spc, pair) => Emit(spc, pair.Left, pair.Right));

        // Every distinct GEMM spec of the assembly's models, with the union of their precisions: an edit to one model re-runs
        // this step, but the outputs of GEMMs whose spec, precisions and users stay equal remain cached.
        IncrementalValuesProvider<SharedGemm> sharedGemms = models
            .Collect()
            .Select(static (all, _) => CollectSharedGemms(all))
            .WithTrackingName(TrackingNames.SharedGemms)
            .SelectMany(static (gemms, _) => gemms.AsImmutableArray());

        context.RegisterSourceOutput(sharedGemms.Combine(gemmNamespace).WithTrackingName(TrackingNames.SharedGemmOutputs),
            static (spc, pair) => spc.AddSource($"{pair.Right}.{pair.Left.Gemm.Name}.g.cs", EmitSharedGemm(pair.Left, pair.Right)));
    }

    /// <summary>The distinct GEMM specs of <paramref name="models"/>, each once, generated for every precision a model using it declares.</summary>
    internal static EquatableArray<SharedGemm> CollectSharedGemms(ImmutableArray<ModelSpec> models)
    {
        var byName = new SortedDictionary<string, (GemmSpec Gemm, ModelPrecisions Precisions, SortedSet<string> Users)>(System.StringComparer.Ordinal);
        foreach (ModelSpec model in models)
        {
            foreach (GemmSpec gemm in model.Gemms)
            {
                GemmSpec shared = gemm.Shared;
                string user = $"{FullName(model)}.Kernels.{gemm.Name}";
                if (byName.TryGetValue(shared.Name, out var entry))
                {
                    entry.Users.Add(user);
                    byName[shared.Name] = (entry.Gemm, entry.Precisions | model.Precisions, entry.Users);
                }
                else
                {
                    byName[shared.Name] = (shared, model.Precisions, new SortedSet<string>(System.StringComparer.Ordinal) { user });
                }
            }
        }
        return byName.Values.Select(e => new SharedGemm(e.Gemm, e.Precisions, e.Users.ToImmutableArrayCompat())).ToImmutableArrayCompat();
    }

    /// <summary>
    /// <c>TransformerKernels.Gemms.{Assembly}</c>: the assembly's name as one identifier (characters other than letters, digits
    /// and '_' become '_'), so the shared GEMMs of two assemblies never meet, even through InternalsVisibleTo.
    /// </summary>
    internal static string SharedGemmNamespace(string? assemblyName)
    {
        var name = new System.Text.StringBuilder();
        foreach (char c in assemblyName ?? "")
        {
            name.Append(char.IsLetterOrDigit(c) || c == '_' ? c : '_');
        }
        if (name.Length == 0 || char.IsDigit(name[0]))
        {
            name.Insert(0, '_');
        }
        return "TransformerKernels.Gemms." + name;
    }

    private static string FullName(ModelSpec model) => model.Namespace is null ? model.ClassName : model.Namespace + "." + model.ClassName;

    private static ParseResult RequireUnsafe(ParseResult result, bool allowUnsafe)
    {
        if (allowUnsafe || result.Model is null)
        {
            return result;
        }
        var diagnostic = new DiagnosticInfo(DiagnosticDescriptors.UnsafeNotEnabled, result.AttributeLocation, ImmutableArray.Create(result.Model.ClassName));
        return new ParseResult(null, ImmutableArray.Create(diagnostic), result.AttributeLocation);
    }

    private static void Emit(SourceProductionContext context, ModelSpec model, string gemmNamespace)
    {
        string prefix = FullName(model);
        context.AddSource($"{prefix}.Shape.g.cs", EmitShape(model));
        context.AddSource($"{prefix}.Gemms.g.cs", EmitModelGemms(model, gemmNamespace));
        context.AddSource($"{prefix}.Attention.g.cs", EmitAttention(model));
        context.AddSource($"{prefix}.AddNorm.g.cs", EmitLayerNorm(model));
        context.AddSource($"{prefix}.Blocks.g.cs", EmitBlocks(model));
        context.AddSource($"{prefix}.Model.g.cs", EmitModel(model));
    }
}

/// <summary>Names of the pipeline steps, for incremental-caching tests.</summary>
internal static class TrackingNames
{
    public const string Declare = nameof(Declare);
    public const string ConfigFiles = nameof(ConfigFiles);
    public const string ProjectDirectory = nameof(ProjectDirectory);
    public const string ConfigLookup = nameof(ConfigLookup);
    public const string Parse = nameof(Parse);
    public const string AllowUnsafe = nameof(AllowUnsafe);
    public const string Checked = nameof(Checked);
    public const string Diagnostics = nameof(Diagnostics);
    public const string Models = nameof(Models);
    public const string GemmNamespace = nameof(GemmNamespace);
    public const string SharedGemms = nameof(SharedGemms);
    public const string SharedGemmOutputs = nameof(SharedGemmOutputs);
}
