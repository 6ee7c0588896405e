using System.Runtime.Intrinsics;

namespace TransformerKernels.Tests;

/// <summary>Which code path runs. .ci/run repeats the kernel tests with the AVX2 and scalar paths forced.</summary>
public class KernelPathTests
{
    [Fact]
    public void ActivePathIsTheOneTheEnvironmentAsksFor()
    {
        string? expected = Environment.GetEnvironmentVariable("TK_EXPECTED_KERNEL_PATH");
        if (expected is not null)
        {
            Assert.Equal(Enum.Parse<KernelPath>(expected), KernelPaths.Active);
        }
        else if (Environment.GetEnvironmentVariable("DOTNET_EnableHWIntrinsic") == "0")
        {
            Assert.Equal(KernelPath.Scalar, KernelPaths.Active);
        }
        else if (Vector512.IsHardwareAccelerated)
        {
            Assert.Equal(KernelPath.Avx512, KernelPaths.Active);
        }
        else
        {
            Assert.NotEqual(KernelPath.Avx512, KernelPaths.Active);
        }
    }

    [Fact]
    public void DescriptionNamesThePath() =>
        Assert.StartsWith(KernelPaths.Active.ToString(), KernelPaths.Describe());
}
