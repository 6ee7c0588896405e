using System.Diagnostics;

namespace TransformerKernels.MiniLM.Tests;

/// <summary>
/// The cache heals and refuses clearly: damaged files are rebuilt from the package, a cache that cannot be written still
/// serves what it holds, abandoned temporaries are swept, and a cache path that cannot be a directory is named.
/// Runs in the MiniLM collection (one test at a time), since TK_CACHE is process-wide.
/// </summary>
[Collection(nameof(MiniLmCollection))]
public sealed class CacheDirectoryTests(MiniLmFixture fixture)
{
    private const string Sentence = "A truncated vocabulary must not change this embedding.";

    [Fact]
    public void ATruncatedVocabularyIsRebuiltNotRead()
    {
        string vocabulary = MiniLmFiles.VocabularyPath;
        Assert.StartsWith(fixture.CacheDirectory, vocabulary);
        long size = new FileInfo(vocabulary).Length;
        ReplaceWith(vocabulary, File.ReadAllBytes(vocabulary)[..(int)(size / 2)]);
        using (var embedder = new SentenceEmbedder(maxBatch: 1))
        {
            Assert.Equal(fixture.Embedder.Embed([Sentence])[0], embedder.Embed([Sentence])[0]);
        }
        Assert.Equal(size, new FileInfo(vocabulary).Length);
    }

    [Fact]
    public void AFileChangedInPlaceAtTheSameSizeIsRebuilt()
    {
        string vocabulary = MiniLmFiles.VocabularyPath;
        byte[] bytes = File.ReadAllBytes(vocabulary);
        byte[] damaged = (byte[])bytes.Clone();
        damaged[bytes.Length / 2] ^= 0x20; // one letter's case: the same size, another token
        ReplaceWith(vocabulary, damaged);
        Assert.False(MiniLmFiles.IsCached(), "a same-size change must break the seal");
        using (var embedder = new SentenceEmbedder(maxBatch: 1))
        {
            Assert.Equal(fixture.Embedder.Embed([Sentence])[0], embedder.Embed([Sentence])[0]);
        }
        Assert.Equal(bytes, File.ReadAllBytes(vocabulary));
    }

    [Fact]
    public void ACacheThatCannotBeWrittenServesTheWeightsAndVocabularyItHolds()
    {
        string directory = Directory.CreateTempSubdirectory("tk-readonly-cache").FullName;
        try
        {
            foreach (string file in new[] { MiniLmFiles.WeightsPath, MiniLmFiles.VocabularyPath })
            {
                File.Copy(file, Path.Combine(directory, Path.GetFileName(file)));
                File.Copy(file + ".seal", Path.Combine(directory, Path.GetFileName(file) + ".seal"));
            }
            using (new CacheDirectory(directory))
            {
                BlockWrites(directory);
                Assert.True(MiniLmFiles.IsCached(), "weights and vocabulary are enough");
                using var embedder = new SentenceEmbedder(maxBatch: 1);
                Assert.Equal(fixture.Embedder.Embed([Sentence])[0], embedder.Embed([Sentence])[0]);
                Assert.False(File.Exists(MiniLmFiles.PackedWeightsPath), "packed in memory, not written");
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void AnEmptyCacheThatCannotBeWrittenIsNamedInTheError()
    {
        string directory = Directory.CreateTempSubdirectory("tk-unwritable-cache").FullName;
        try
        {
            using (new CacheDirectory(directory))
            {
                BlockWrites(directory);
                var error = Assert.Throws<CacheDirectoryException>(() => MiniLmFiles.EnsureCached());
                Assert.Equal(directory, error.Directory);
                Assert.Contains("cannot be written", error.Message);
                Assert.Contains("TK_CACHE", error.Message);
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void ACachePathThatIsAFileOrBelowOneIsRefusedByName()
    {
        string file = Path.GetTempFileName();
        try
        {
            foreach ((string path, string expected) in new[] { (file, "is a file"), (Path.Combine(file, "below"), "lies below the file") })
            {
                using (new CacheDirectory(path))
                {
                    var error = Assert.Throws<CacheDirectoryException>(() => MiniLmFiles.EnsureCached());
                    Assert.Equal(path, error.Directory);
                    Assert.Contains(expected, error.Message);
                    Assert.Contains("TK_CACHE", error.Message);
                }
            }
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void TemporariesOfDeadOrLongGoneConversionsAreSwept()
    {
        using var exited = Process.Start(new ProcessStartInfo("true") { UseShellExecute = false })!;
        exited.WaitForExit();
        string Temporary(int pid) => Path.Combine(fixture.CacheDirectory, $"all-MiniLM-L6-v2.safetensors.{pid}.tmp");
        string dead = Temporary(exited.Id), own = Temporary(Environment.ProcessId), liveFresh = Temporary(1), liveOld = Temporary(1) + ".x.1.tmp";
        foreach (string path in new[] { dead, own, liveFresh, liveOld })
        {
            File.WriteAllBytes(path, [1, 2, 3]);
        }
        File.SetLastWriteTimeUtc(liveOld, DateTime.UtcNow.AddHours(-2));
        try
        {
            MiniLmFiles.EnsureCached();
            Assert.False(File.Exists(dead), "the writer has exited");
            Assert.False(File.Exists(liveOld), "two hours old: its writer is gone even if the id lives on");
            Assert.True(File.Exists(own), "this process may be writing it");
            Assert.True(File.Exists(liveFresh), "a live process may be writing it");
        }
        finally
        {
            foreach (string path in new[] { dead, own, liveFresh, liveOld })
            {
                File.Delete(path);
            }
        }
    }

    /// <summary>Replaces a file by a new one (new inode), as a damaged download or another writer would.</summary>
    private static void ReplaceWith(string path, byte[] bytes)
    {
        File.WriteAllBytes(path + ".replacement", bytes);
        File.Move(path + ".replacement", path, overwrite: true);
    }

    /// <summary>
    /// Makes every file this process would write into <paramref name="directory"/> fail, as on a read-only file system:
    /// a directory sits where each file is first created (tests run as root here, so permissions would not stop a write).
    /// The packed checkpoint writer adds its own temporary inside the cache's.
    /// </summary>
    private static void BlockWrites(string directory)
    {
        string pid = Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        foreach (string name in new[] { $"all-MiniLM-L6-v2.safetensors.{pid}.tmp", $"all-MiniLM-L6-v2.vocab.txt.{pid}.tmp", $"all-MiniLM-L6-v2.packed.safetensors.{pid}.tmp.{pid}.tmp" })
        {
            Directory.CreateDirectory(Path.Combine(directory, name));
        }
    }

    /// <summary>Points TK_CACHE elsewhere for a while.</summary>
    private sealed class CacheDirectory : IDisposable
    {
        private readonly string? _previous = Environment.GetEnvironmentVariable("TK_CACHE");

        public CacheDirectory(string path) => Environment.SetEnvironmentVariable("TK_CACHE", path);

        public void Dispose() => Environment.SetEnvironmentVariable("TK_CACHE", _previous);
    }
}
