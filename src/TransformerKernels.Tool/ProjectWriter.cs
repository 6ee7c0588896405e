using System.Reflection;
using System.Security;
using System.Text;

namespace TransformerKernels.Tool;

/// <summary>
/// Writes the small project a compile publishes: a csproj (Native AOT, the model directory carried beside the binary,
/// its config.json handed to the generator) and a Program.cs declaring <c>[TransformerModel(Config = "model/config.json")]</c>
/// from the task's template.
/// </summary>
internal sealed class ProjectWriter(ModelDirectory model, ModelTask task, string name, CompileOptions options)
{
    /// <summary>Writes the project into <paramref name="directory"/> (emptied first) and returns the csproj path.</summary>
    public string Write(string directory)
    {
        if (Directory.Exists(directory))
        {
            Directory.Delete(directory, recursive: true);
        }
        string modelCopy = Path.Combine(directory, "model");
        Directory.CreateDirectory(modelCopy);
        foreach (string relative in model.FilesToCarry())
        {
            string target = Path.Combine(modelCopy, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(Path.Combine(model.FullPath, relative), target);
        }
        string project = Path.Combine(directory, name + ".csproj");
        File.WriteAllText(project, ProjectFile());
        File.WriteAllText(Path.Combine(directory, "Program.cs"), ProgramFile());
        return project;
    }

    private string ProjectFile()
    {
        var references = new StringBuilder();
        // The server brings TransformerKernels.Embeddings and .Chat with it: the binary embeds or generates, and --serve serves.
        const string library = "TransformerKernels.Server";
        if (options.RepositoryRoot is { } repo)
        {
            // From a clone: the libraries as projects and the generator as an analyzer, exactly as the repo's samples use them.
            references.AppendLine($"""    <ProjectReference Include="{Xml(Path.Combine(repo, "src", library, library + ".csproj"))}" />""");
            references.AppendLine($"""    <ProjectReference Include="{Xml(Path.Combine(repo, "generators", "TransformerKernels.Generators", "TransformerKernels.Generators.csproj"))}" OutputItemType="Analyzer" ReferenceOutputAssembly="false" />""");
        }
        else
        {
            references.AppendLine($"""    <PackageReference Include="TransformerKernels" Version="{Xml(options.PackageVersion)}" />""");
            references.AppendLine($"""    <PackageReference Include="{library}" Version="{Xml(options.PackageVersion)}" />""");
        }
        return $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <!-- Written by `transformerkernels compile` for {Xml(model.FullPath)} ({Xml(model.ModelType)}, {task.ToString().ToLowerInvariant()}). -->
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <AssemblyName>{Xml(name)}</AssemblyName>
                <Nullable>enable</Nullable>
                <ImplicitUsings>enable</ImplicitUsings>
                <AllowUnsafeBlocks>true</AllowUnsafeBlocks>
                <PublishAot>true</PublishAot>
                <!-- Native AOT's default (x86-64-v2) has no AVX-512 or AVX2: the kernels would run their slowest path. -->
                <IlcInstructionSet>{Xml(options.InstructionSet)}</IlcInstructionSet>
                <!-- BERT's accent stripping needs Unicode normalization, which comes from ICU. -->
                <InvariantGlobalization>false</InvariantGlobalization>
                <EmitCompilerGeneratedFiles>true</EmitCompilerGeneratedFiles>
              </PropertyGroup>
              <ItemGroup>
                <!-- The generator reads the shape from here at build time; the binary reads the weights and tokenizer at run time. -->
                <AdditionalFiles Include="model/{Xml(model.ConfigPath)}" />
                <None Include="model/**" CopyToOutputDirectory="PreserveNewest" CopyToPublishDirectory="PreserveNewest" />
              </ItemGroup>
              <ItemGroup>
            {references.ToString().TrimEnd()}
              </ItemGroup>
            </Project>

            """;
    }

    private string ProgramFile()
    {
        string resource = task == ModelTask.Embed ? "Templates.EmbedProgram.cs.txt" : "Templates.GenerateProgram.cs.txt";
        using Stream stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"the tool was built without its template {resource}");
        using var reader = new StreamReader(stream);
        string config = "model/" + model.ConfigPath;
        string declaration = options.MaxSeqLen > 0
            ? $"[TransformerModel(Config = \"{config}\", MaxSeqLen = {options.MaxSeqLen})]"
            : $"[TransformerModel(Config = \"{config}\")]";
        return reader.ReadToEnd()
            .Replace("/*MODEL_DECLARATION*/", declaration, StringComparison.Ordinal)
            .Replace("/*TOOL_NAME*/", name, StringComparison.Ordinal)
            .Replace("/*CONFIG_PATH*/", config, StringComparison.Ordinal)
            .Replace("/*MODEL_ID*/", ModelId(), StringComparison.Ordinal)
            .Replace("/*WEIGHT_NAMING*/", model.ModelType switch
            {
                "gpt2" => "WeightNaming.Gpt2",
                "llama" or "mistral" or "qwen2" => "WeightNaming.Llama",
                _ => "WeightNaming.Bert",
            }, StringComparison.Ordinal);
    }

    /// <summary>The id the binary reports (the model directory's name), as a C# string literal's content.</summary>
    private string ModelId() => Path.GetFileName(model.FullPath.TrimEnd(Path.DirectorySeparatorChar)).Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal);

    private static string Xml(string text) => SecurityElement.Escape(text);
}
