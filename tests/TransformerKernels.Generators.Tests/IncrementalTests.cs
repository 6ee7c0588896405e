using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace TransformerKernels.Generators.Tests;

/// <summary>An edit elsewhere in the compilation leaves every step of the generator cached.</summary>
public class IncrementalTests
{
    private static readonly string[] TrackedSteps = ["Declare", "ConfigLookup", "Parse", "AllowUnsafe", "Checked", "Models", "GemmNamespace", "SharedGemms", "SharedGemmOutputs"];

    [Fact]
    public void UnrelatedEditKeepsEveryStepCached()
    {
        CSharpCompilation compilation = GeneratorHarness.Compile(GeneratorHarness.Model("DModel = 64, Heads = 4, EncoderLayers = 1, FfnDim = 128, MaxSeqLen = 16"));
        GeneratorDriver driver = GeneratorHarness.CreateDriver().RunGenerators(compilation);

        CSharpCompilation edited = compilation.AddSyntaxTrees(CSharpSyntaxTree.ParseText("namespace User; public class Unrelated { public int X => 42; }", path: "Other.cs"));
        driver = driver.RunGenerators(edited);

        GeneratorRunResult result = driver.GetRunResult().Results.Single();
        foreach (string step in TrackedSteps)
        {
            Assert.True(result.TrackedSteps.ContainsKey(step), $"step {step} was not tracked");
            var reasons = result.TrackedSteps[step].SelectMany(s => s.Outputs).Select(o => o.Reason).ToArray();
            Assert.All(reasons, reason => Assert.True(reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged,
                $"step {step} re-ran with {reason} after an unrelated edit"));
        }
        Assert.All(result.TrackedOutputSteps.SelectMany(s => s.Value).SelectMany(s => s.Outputs),
            output => Assert.Equal(IncrementalStepRunReason.Cached, output.Reason));
    }

    [Fact]
    public void ChangingTheShapeRegenerates()
    {
        CSharpCompilation compilation = GeneratorHarness.Compile(GeneratorHarness.Model("DModel = 64, Heads = 4, EncoderLayers = 1, FfnDim = 128, MaxSeqLen = 16"));
        GeneratorDriver driver = GeneratorHarness.CreateDriver().RunGenerators(compilation);
        SyntaxTree old = compilation.SyntaxTrees.Single();
        CSharpCompilation edited = compilation.ReplaceSyntaxTree(old,
            CSharpSyntaxTree.ParseText(GeneratorHarness.Model("DModel = 64, Heads = 8, EncoderLayers = 1, FfnDim = 128, MaxSeqLen = 16"), (CSharpParseOptions)old.Options, old.FilePath));
        driver = driver.RunGenerators(edited);
        GeneratorRunResult result = driver.GetRunResult().Results.Single();
        Assert.Contains(result.TrackedSteps["Models"].SelectMany(s => s.Outputs), o => o.Reason == IncrementalStepRunReason.Modified);
        Assert.Contains(result.GeneratedSources, s => s.SourceText.ToString().Contains("public const int HeadDim = 8;"));
    }

    [Fact]
    public void EditingOneModelsConfigLeavesTheOtherModelCached()
    {
        const string source = """
            using TransformerKernels;
            namespace User;
            [TransformerModel(Config = "models/a/config.json", MaxSeqLen = 16)]
            public partial class ModelA;
            [TransformerModel(Config = "models/b/config.json", MaxSeqLen = 16)]
            public partial class ModelB;
            """;
        static string Tiny(int layers) => $$"""{"model_type": "bert", "hidden_size": 64, "num_attention_heads": 4, "num_hidden_layers": {{layers}}, "intermediate_size": 128, "vocab_size": 100}""";
        var configA = new InMemoryAdditionalText("/project/models/a/config.json", Tiny(1));
        var configB = new InMemoryAdditionalText("/project/models/b/config.json", Tiny(1));
        var unrelated = new InMemoryAdditionalText("/project/other/config.json", Tiny(3));
        CSharpCompilation compilation = GeneratorHarness.Compile(source);
        GeneratorDriver driver = GeneratorHarness.CreateDriver([configA, configB, unrelated], "/project/").RunGenerators(compilation);
        Assert.Empty(driver.GetRunResult().Diagnostics);

        driver = driver.ReplaceAdditionalText(configB, new InMemoryAdditionalText(configB.Path, Tiny(2))).RunGenerators(compilation);
        GeneratorRunResult result = driver.GetRunResult().Results.Single();
        Assert.Equal(IncrementalStepRunReason.Cached, Reason(result, "Parse", "ModelA"));
        Assert.Equal(IncrementalStepRunReason.Modified, Reason(result, "Parse", "ModelB"));
        Assert.Equal(IncrementalStepRunReason.Cached, Reason(result, "Models", "ModelA"));
        Assert.Equal(IncrementalStepRunReason.Modified, Reason(result, "Models", "ModelB"));
        Assert.Contains(result.GeneratedSources, s => s.HintName == "User.ModelB.Shape.g.cs" && s.SourceText.ToString().Contains("public const int EncoderLayers = 2;", StringComparison.Ordinal));

        // A config.json no model names changes nothing downstream of the lookup.
        driver = driver.ReplaceAdditionalText(unrelated, new InMemoryAdditionalText(unrelated.Path, Tiny(4))).RunGenerators(compilation);
        result = driver.GetRunResult().Results.Single();
        Assert.All(result.TrackedSteps["Parse"].SelectMany(s => s.Outputs), o => Assert.Equal(IncrementalStepRunReason.Cached, o.Reason));
        Assert.All(result.TrackedOutputSteps.SelectMany(s => s.Value).SelectMany(s => s.Outputs),
            output => Assert.Equal(IncrementalStepRunReason.Cached, output.Reason));
    }

    /// <summary>The run reason of the step's output that belongs to <paramref name="className"/> (records print their class name).</summary>
    private static IncrementalStepRunReason Reason(GeneratorRunResult result, string step, string className) =>
        result.TrackedSteps[step].SelectMany(s => s.Outputs)
            .Single(o => o.Value.ToString()!.Contains($"ClassName = {className},", StringComparison.Ordinal)).Reason;
}
