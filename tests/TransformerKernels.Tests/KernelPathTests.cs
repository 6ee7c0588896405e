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
    public void Int8PathIsTheOneTheEnvironmentAsksFor()
    {
        string? expected = Environment.GetEnvironmentVariable("TK_EXPECTED_INT8_PATH") ?? Environment.GetEnvironmentVariable("TK_INT8_PATH");
        Int8KernelPath fastest = AssembledInt8Tiles.IsAvailable && KernelPaths.Active == KernelPath.Avx512 ? Int8KernelPath.Avx512Vnni
            : System.Runtime.Intrinsics.X86.AvxVnni.IsSupported && KernelPaths.Active != KernelPath.Scalar ? Int8KernelPath.AvxVnni
            : KernelPaths.Active == KernelPath.Avx512 ? Int8KernelPath.Avx512BW
            : KernelPaths.Active == KernelPath.Avx2 ? Int8KernelPath.Avx2
            : Int8KernelPath.Scalar;
        Assert.Equal(expected is null ? fastest : Enum.Parse<Int8KernelPath>(expected, ignoreCase: true), Int8Paths.Active);
        Assert.Equal(Int8Paths.Active is Int8KernelPath.Avx512BW or Int8KernelPath.Avx2 ? 63 : 127, Int8Paths.WeightLevels);
    }

    [Fact]
    public void UnknownOrUnsupportedInt8PathsAreRefusedByName()
    {
        var unknown = Assert.Throws<InvalidOperationException>(() => Int8Paths.Choose("Avx1024"));
        Assert.Contains("TK_INT8_PATH", unknown.Message);
        foreach (Int8KernelPath path in Enum.GetValues<Int8KernelPath>().Where(p => !Int8Paths.IsSupported(p)))
        {
            Assert.Contains(path.ToString(), Assert.Throws<InvalidOperationException>(() => Int8Paths.Choose(path.ToString())).Message);
        }
    }

    [Fact]
    public void DescriptionNamesThePath() =>
        Assert.StartsWith(KernelPaths.Active.ToString(), KernelPaths.Describe());
}

/// <summary>TK_THREADS is read strictly: a value that is not used as written says why.</summary>
public class ThreadSettingTests
{
    [Theory]
    [InlineData(null, 4, 4, null)]
    [InlineData("", 4, 4, null)]
    [InlineData("3", 4, 3, null)]
    [InlineData("4", 4, 4, null)]
    [InlineData("0", 4, 4, "not a whole number")]
    [InlineData("-1", 4, 4, "not a whole number")]
    [InlineData("abc", 4, 4, "not a whole number")]
    [InlineData("2.5", 4, 4, "not a whole number")]
    [InlineData("99999999", 4, 4, "more than the 4 processors")]
    [InlineData("99999999999999", 4, 4, "more than the 4 processors")]
    [InlineData("99999999999999999999999", 4, 4, "not a whole number")]
    public void ParsesValidatesAndCaps(string? value, int processors, int expectedThreads, string? expectedWarning)
    {
        (int threads, string? warning) = KernelThreads.ParseThreadSetting(value, processors);
        Assert.Equal(expectedThreads, threads);
        if (expectedWarning is null)
        {
            Assert.Null(warning);
        }
        else
        {
            Assert.Contains(expectedWarning, warning);
            Assert.Contains("TK_THREADS", warning);
        }
    }
}
