// transformerkernels compile MODEL_DIR --task embed|generate -o OUT: a Hugging Face model directory in, a Native AOT binary
// whose kernels are generated for that model's shape out (OUT/<name>, with the model's files under OUT/model/).
using System.CommandLine;
using System.Reflection;
using TransformerKernels.Tool;

var modelArgument = new Argument<string>("MODEL_DIR") { Description = "A Hugging Face model directory: config.json, safetensors weights, tokenizer files (and a sentence-transformers layout for embeddings)." };
var taskOption = new Option<ModelTask?>("--task") { Description = "embed (BERT-family encoders) or generate (Llama, Mistral, Qwen2, GPT-2); default: what config.json's model_type implies." };
var outputOption = new Option<string>("--output", "-o") { Description = "Directory for the binary and the model files it reads.", Required = true };
var nameOption = new Option<string?>("--name") { Description = "The binary's name (default: the model directory's name)." };
var maxSeqLenOption = new Option<int>("--max-seq-len") { Description = "Longest sequence the binary accepts (default: what config.json implies; scratch memory grows with it)." };
var instructionSetOption = new Option<string?>("--instruction-set") { Description = "Native AOT instruction set: x86-64-v4 (AVX-512), x86-64-v3 (AVX2) or native (default: v4 where this CPU has AVX-512, else v3)." };
var sourceOption = new Option<string?>("--from-source") { Description = "A TransformerKernels clone to build against (default: the clone this tool runs from, if any; otherwise the packages)." };
var packageVersionOption = new Option<string?>("--package-version") { Description = "Reference the TransformerKernels packages of this version instead of a clone." };
var verboseOption = new Option<bool>("--verbose", "-v") { Description = "Show dotnet publish's progress." };

var compile = new Command("compile", "Compile a Hugging Face model directory into a Native AOT binary.")
{
    modelArgument, taskOption, outputOption, nameOption, maxSeqLenOption, instructionSetOption, sourceOption, packageVersionOption, verboseOption,
};
compile.SetAction(parse =>
{
    try
    {
        ModelDirectory model = ModelDirectory.Open(parse.GetValue(modelArgument)!);
        ModelTask task = parse.GetValue(taskOption) ?? model.NaturalTask;
        model.Require(task);
        if (!Directory.EnumerateFiles(model.FullPath, "*.safetensors", SearchOption.AllDirectories).Any())
        {
            throw new ToolException($"'{model.FullPath}' holds no .safetensors file: convert PyTorch .bin weights to safetensors first (transformers' save_pretrained(safe_serialization=True))");
        }
        WeightPreflight.Check(model);
        int maxSeqLen = parse.GetValue(maxSeqLenOption);
        if (maxSeqLen < 0)
        {
            throw new ToolException($"--max-seq-len {maxSeqLen}: must be positive");
        }
        string output = Path.GetFullPath(parse.GetValue(outputOption)!);
        string name = Names.Binary(parse.GetValue(nameOption) ?? Path.GetFileName(model.FullPath.TrimEnd(Path.DirectorySeparatorChar)));
        string? packageVersion = parse.GetValue(packageVersionOption);
        string? repository = packageVersion is null ? parse.GetValue(sourceOption) ?? Names.EnclosingRepository(AppContext.BaseDirectory) : null;
        if (repository is not null && !File.Exists(Path.Combine(repository, "src", "TransformerKernels", "TransformerKernels.csproj")))
        {
            throw new ToolException($"--from-source '{repository}' is not a TransformerKernels clone (no src/TransformerKernels/TransformerKernels.csproj)");
        }
        var options = new CompileOptions(
            repository is null ? null : Path.GetFullPath(repository),
            packageVersion ?? Names.ToolVersion(),
            parse.GetValue(instructionSetOption) ?? (File.Exists("/proc/cpuinfo") && File.ReadAllText("/proc/cpuinfo").Contains(" avx512f", StringComparison.Ordinal) ? "x86-64-v4" : "x86-64-v3"),
            maxSeqLen);
        string project = new ProjectWriter(model, task, name, options).Write(Path.Combine(output, "source"));
        Console.Error.WriteLine($"compiling {model.ModelType} model '{model.FullPath}' for {task.ToString().ToLowerInvariant()} ({options.InstructionSet}, {(options.RepositoryRoot is null ? "packages " + options.PackageVersion : "sources in " + options.RepositoryRoot)})…");
        Publisher.Publish(project, output, parse.GetValue(verboseOption));
        Console.Error.WriteLine($"wrote {Path.Combine(output, name)}");
        return 0;
    }
    catch (ToolException e)
    {
        Console.Error.WriteLine($"transformerkernels compile: {e.Message}");
        return 2;
    }
});

var root = new RootCommand("TransformerKernels: Transformer inference with kernels generated for the model's exact shape.") { compile };
return root.Parse(args).Invoke();

/// <summary>Names and versions the command derives.</summary>
internal static class Names
{
    /// <summary>A file name from a directory name: lower case letters, digits, '-', '.' and '_' kept, anything else a '-'.</summary>
    public static string Binary(string name)
    {
        string cleaned = new([.. name.ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '-')]);
        return cleaned.Trim('-', '.') is { Length: > 0 } trimmed ? trimmed : throw new ToolException($"--name '{name}' leaves nothing usable as a file name");
    }

    /// <summary>The TransformerKernels clone holding <paramref name="directory"/>, when the tool runs from one.</summary>
    public static string? EnclosingRepository(string directory)
    {
        for (DirectoryInfo? d = new(directory); d is not null; d = d.Parent)
        {
            if (File.Exists(Path.Combine(d.FullName, "Generated.sln")) && File.Exists(Path.Combine(d.FullName, "src", "TransformerKernels", "TransformerKernels.csproj")))
            {
                return d.FullName;
            }
        }
        return null;
    }

    /// <summary>This tool's package version (the libraries it references by default ship with the same one).</summary>
    public static string ToolVersion()
    {
        string version = typeof(Names).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "1.0.0";
        int metadata = version.IndexOf('+', StringComparison.Ordinal);
        return metadata < 0 ? version : version[..metadata];
    }
}
