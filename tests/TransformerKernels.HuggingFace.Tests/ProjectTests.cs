namespace TransformerKernels.HuggingFace.Tests;

/// <summary>The test assembly loads and references the library it tests (replaced as real tests arrive).</summary>
public class ProjectTests
{
    [Fact]
    public void LibraryLoads() => Assert.Equal("TransformerKernels", typeof(TransformerModelAttribute).Assembly.GetName().Name);
}
