namespace TransformerKernels.HuggingFace.Tests;

/// <summary>
/// Each config.json declaration (ConfigDeclaredModels.cs) generates the model its explicit declaration (Models.cs) does:
/// every generated constant, the <c>Shape</c> value (rotary θ and scaling constants, bias layout) and the same kernels.
/// </summary>
public sealed class ShapeFromConfigTests
{
    public static TheoryData<Type, Type> Declarations => new()
    {
        { typeof(TinyRoberta), typeof(TinyRobertaFromConfig) },
        { typeof(TinyQwen2), typeof(TinyQwen2FromConfig) },
        { typeof(TinyMistral), typeof(TinyMistralFromConfig) },
        { typeof(TinyLlama3), typeof(TinyLlama3FromConfig) },
    };

    [Theory]
    [MemberData(nameof(Declarations))]
    public void TheConfigDeclarationGeneratesTheExplicitModel(Type explicitModel, Type configModel) =>
        GeneratedDeclaration.AssertSameModel(explicitModel, configModel);

    [Fact]
    public void TheRotaryConstantsComeFromTheConfig()
    {
        // Spelled out once, so a mapping that lost them on both sides (the comparison above would pass) still fails here.
        ModelShape llama3 = TinyLlama3FromConfig.Shape;
        Assert.Equal((RopeScaling.Llama3, 8.0, 1.0, 4.0, 16, 10000.0), (llama3.RopeScaling, llama3.RopeScalingFactor, llama3.RopeLowFrequencyFactor, llama3.RopeHighFrequencyFactor, llama3.RopeOriginalMaxPositions, llama3.RotaryTheta));
        Assert.Equal((1000000.0, true, false), (TinyQwen2FromConfig.Shape.RotaryTheta, TinyQwen2FromConfig.Shape.QkvBias, TinyQwen2FromConfig.Shape.Bias));
        Assert.Equal(1, TinyMistralFromConfig.KvHeads);
    }
}
