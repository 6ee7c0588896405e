using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace TransformerKernels.Generators.Tests;

/// <summary>An edit elsewhere in the compilation leaves every step of the generator cached.</summary>
public class IncrementalTests
{
    private static readonly string[] TrackedSteps = ["Parse", "AllowUnsafe", "Checked", "Models"];

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
}
