using System.Globalization;
using System.Reflection;

namespace TransformerKernels.HuggingFace.Tests;

/// <summary>
/// What a <c>[TransformerModel]</c> declaration generated, as comparable values: two declarations of one model (explicit
/// properties, or a config.json) must agree on all of it. Also compiled into TransformerKernels.Embeddings.Tests.
/// </summary>
internal static class GeneratedDeclaration
{
    /// <summary>The generated <c>const</c> fields (DModel, Heads, KvHeads, layers, vocabularies, ε, buffer sizes) as "name = value", in name order.</summary>
    public static string[] Constants(Type model) =>
        [.. model.GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral)
            .Select(f => string.Create(CultureInfo.InvariantCulture, $"{f.Name} = {f.GetRawConstantValue()}"))
            .Order(StringComparer.Ordinal)];

    /// <summary>The generated <c>Shape</c> value, which adds what has no constant: rotary θ and scaling, the bias layout.</summary>
    public static ModelShape Shape(Type model) => (ModelShape)model.GetField("Shape", BindingFlags.Public | BindingFlags.Static)!.GetValue(null)!;

    /// <summary>The nested kernel classes (GEMMs named by K, N, epilogue and stride; attention; norms; blocks), in name order.</summary>
    public static string[] KernelNames(Type model) =>
        [.. model.GetNestedType("Kernels")!.GetNestedTypes().Select(t => t.Name).Order(StringComparer.Ordinal)];

    /// <summary>Fails, naming the first difference, unless <paramref name="configModel"/> generated what <paramref name="explicitModel"/> did.</summary>
    public static void AssertSameModel(Type explicitModel, Type configModel)
    {
        Assert.Equal(Constants(explicitModel), Constants(configModel));
        Assert.Equal(Shape(explicitModel), Shape(configModel));
        Assert.Equal(KernelNames(explicitModel), KernelNames(configModel));
    }
}
