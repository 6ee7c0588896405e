using TransformerKernels.HuggingFace.Tests;

namespace TransformerKernels.Embeddings.Tests;

/// <summary>TinyBertFromConfig (st-cls/config.json) generates the model TinyBert declares by hand: constants, Shape, kernels.</summary>
public sealed class ShapeFromConfigTests
{
    [Fact]
    public void TheConfigDeclarationGeneratesTheExplicitModel() =>
        GeneratedDeclaration.AssertSameModel(typeof(TinyBert), typeof(TinyBertFromConfig));
}
