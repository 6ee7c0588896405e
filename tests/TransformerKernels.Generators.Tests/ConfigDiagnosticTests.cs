using Microsoft.CodeAnalysis;

namespace TransformerKernels.Generators.Tests;

/// <summary>
/// Each way a config.json can be unusable is one diagnostic at the attribute, naming the file and the field, and nothing is
/// generated: missing file, malformed JSON, wrong field type, unsupported model_type or feature, and attribute properties
/// that disagree with the file.
/// </summary>
public class ConfigDiagnosticTests
{
    private const string ProjectDirectory = "/project/";
    private const string Path = "models/m/config.json";

    /// <summary>A public model's config.json with one field replaced (or added, when <paramref name="replacement"/> is new).</summary>
    private static string Edit(string model, string field, string replacement) => EditText(GeneratorHarness.ConfigText(model), field, replacement);

    private static string EditText(string text, string field, string replacement)
    {
        string[] lines = text.Split('\n');
        int index = Array.FindIndex(lines, l => l.TrimStart().StartsWith($"\"{field}\":", StringComparison.Ordinal));
        if (index < 0)
        {
            return text.Replace("{\n", "{\n  " + replacement + ",\n", StringComparison.Ordinal);
        }
        // A nested object or array spans lines up to its closing bracket at the field's indentation.
        int last = index;
        if (lines[index].TrimEnd().EndsWith('{') || lines[index].TrimEnd().EndsWith('['))
        {
            string indent = lines[index][..(lines[index].Length - lines[index].TrimStart().Length)];
            while (!(lines[last].StartsWith(indent + "}", StringComparison.Ordinal) || lines[last].StartsWith(indent + "]", StringComparison.Ordinal)))
            {
                last++;
            }
        }
        bool comma = lines[last].TrimEnd().EndsWith(',');
        var edited = lines.Take(index).Append("  " + replacement + (comma ? "," : "")).Concat(lines.Skip(last + 1));
        return string.Join('\n', edited);
    }

    public static TheoryData<string, string, string, string> Cases() => new()
    {
        // id, config.json text, extra attribute arguments, a phrase the message must contain
        { "TK0017", "{\n  \"model_type\": \"bert\",\n  \"hidden_size\": 384,\n}\n", "", "not valid JSON: expected a member name in double quotes at line 4, column 1" },
        { "TK0017", "{\"model_type\": \"bert\" \"hidden_size\": 384}", "", "at line 1, column 23" },
        { "TK0017", "", "", "unexpected end of the file; expected a value at line 1, column 1" },
        { "TK0018", "[1, 2]", "", "field '(root)' is an array; expected an object" },
        { "TK0018", Edit("bge-small-en-v1.5", "hidden_size", "\"hidden_size\": \"384\""), "", "field 'hidden_size' is the string \"384\"; expected a whole number" },
        { "TK0018", Edit("bge-small-en-v1.5", "num_hidden_layers", "\"num_hidden_layers\": 12.5"), "", "field 'num_hidden_layers' is the number 12.5; expected a whole number" },
        { "TK0018", Edit("Llama-3.2-1B", "hidden_size", "\"unrelated\": 1"), "", "field 'hidden_size' is missing; expected a whole number" },
        { "TK0018", Edit("Llama-3.2-1B", "rope_scaling", "\"rope_scaling\": {\"rope_type\": \"linear\", \"factor\": \"2\"}"), "", "field 'rope_scaling.factor' is the string \"2\"; expected a number" },
        { "TK0018", Edit("Llama-3.2-1B", "rope_scaling", "\"rope_scaling\": {\"rope_type\": \"linear\", \"factor\": -2}"), "", "field 'rope_scaling.factor' is -2; expected a positive number" },
        { "TK0018", Edit("Llama-3.2-1B", "rope_scaling", "\"rope_scaling\": {\"rope_type\": \"llama3\", \"factor\": 8, \"low_freq_factor\": 1, \"high_freq_factor\": 4}"), "", "field 'rope_scaling.original_max_position_embeddings' is missing" },
        { "TK0018", Edit("gpt2", "activation_function", "\"activation_function\": true"), "", "field 'activation_function' is true; expected a string" },
        { "TK0019", Edit("bge-small-en-v1.5", "model_type", "\"model_type\": \"t5\""), "", "model_type \"t5\" is not supported; supported model_type values: bert, roberta, xlm-roberta, llama, mistral, qwen2, gpt2" },
        { "TK0019", "{\"hidden_size\": 64}", "", "model_type is missing and architectures names no supported model" },
        { "TK0020", Edit("Llama-3.2-1B", "rope_scaling", "\"rope_scaling\": {\"rope_type\": \"yarn\", \"factor\": 4.0}"), "", "rope_scaling.rope_type = \"yarn\" is not supported: the kernels generate rope_scaling of type \"linear\" and \"llama3\"" },
        { "TK0020", Edit("Llama-3.2-1B", "rope_scaling", "\"rope_scaling\": {\"type\": \"dynamic\", \"factor\": 2.0}"), "", "rope_scaling.type = \"dynamic\" is not supported" },
        { "TK0020", Edit("Mistral-7B-v0.1", "model_type", "\"model_type\": \"mistral\""), "MaxSeqLen = 8192", "sliding_window = 4096 is not supported: the kernels attend over every earlier position" },
        { "TK0020", EditText(Edit("Qwen2-0.5B", "use_sliding_window", "\"use_sliding_window\": true"), "sliding_window", "\"sliding_window\": 1024"), "", "sliding_window = 1024 is not supported" },
        { "TK0020", Edit("Llama-3.2-1B", "attention_bias", "\"attention_bias\": true"), "", "attention_bias = true is not supported" },
        { "TK0020", Edit("Llama-3.2-1B", "hidden_act", "\"hidden_act\": \"gelu\""), "", "hidden_act = \"gelu\" is not supported: the gated feed-forward is generated with SiLU" },
        { "TK0020", Edit("Llama-3.2-1B", "head_dim", "\"head_dim\": 128"), "", "head_dim = 128 is not supported: the kernels derive the head width as hidden_size / num_attention_heads = 64" },
        { "TK0020", Edit("bge-small-en-v1.5", "position_embedding_type", "\"position_embedding_type\": \"relative_key\""), "", "position_embedding_type = \"relative_key\" is not supported" },
        { "TK0020", Edit("bge-small-en-v1.5", "hidden_act", "\"hidden_act\": \"swish\""), "", "hidden_act = \"swish\" is not supported" },
        { "TK0021", GeneratorHarness.ConfigText("bge-small-en-v1.5"), ", DModel = 512", "DModel = 512 disagrees with 'models/m/config.json', whose hidden_size gives DModel = 384; remove DModel from the attribute" },
        { "TK0021", GeneratorHarness.ConfigText("bge-small-en-v1.5"), ", Norm = NormPlacement.Pre", "Norm = Pre disagrees with 'models/m/config.json', whose model_type gives Norm = Post" },
        { "TK0021", GeneratorHarness.ConfigText("Llama-3.2-1B"), ", RotaryTheta = 10000", "RotaryTheta = 10000 disagrees with 'models/m/config.json', whose rope_theta gives RotaryTheta = 500000" },
        { "TK0021", GeneratorHarness.ConfigText("Llama-3.2-1B"), ", RopeScaling = RopeScaling.Linear", "RopeScaling = Linear disagrees with 'models/m/config.json', whose rope_scaling gives RopeScaling = Llama3" },
        { "TK0021", GeneratorHarness.ConfigText("bge-small-en-v1.5"), ", MaxSeqLen = 1024", "MaxSeqLen = 1024 disagrees with 'models/m/config.json', whose max_position_embeddings gives MaxSeqLen = at most 512" },
        { "TK0021", GeneratorHarness.ConfigText("roberta-base"), ", MaxSeqLen = 514", "whose max_position_embeddings − (pad_token_id + 1) gives MaxSeqLen = at most 512" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void FiresAloneAtTheAttributeAndGeneratesNothing(string id, string config, string arguments, string phrase)
    {
        string source = GeneratorHarness.Model($"Config = \"{Path}\"{arguments}");
        var (diagnostics, _, run) = GeneratorHarness.Run(source, additionalFiles: [new InMemoryAdditionalText(ProjectDirectory + Path, config)], projectDirectory: ProjectDirectory);
        Diagnostic diagnostic = Assert.Single(diagnostics);
        Assert.Equal(id, diagnostic.Id);
        string message = diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture);
        Assert.Contains(phrase, message);
        Assert.Contains(Path, message);
        Assert.Equal(source.IndexOf("TransformerModel(", StringComparison.Ordinal), diagnostic.Location.SourceSpan.Start);
        Assert.Empty(run.GeneratedTrees);
    }

    [Theory]
    [InlineData(", MaxSeqLen = 128")]
    [InlineData(", DModel = 384, Heads = 12, LayerNormEpsilon = 1e-12, Positions = PositionEncoding.Learned")]
    public void AgreeingPropertiesAndALowerMaxSeqLenAreAccepted(string arguments) => AssertAccepted(GeneratorHarness.ConfigText("bge-small-en-v1.5"), arguments);

    [Fact]
    public void SlidingWindowsAreAcceptedWhereTheyChangeNothing()
    {
        // Qwen2 ignores sliding_window unless use_sliding_window; a window as wide as MaxSeqLen is full attention.
        AssertAccepted(Edit("Qwen2-0.5B", "sliding_window", "\"sliding_window\": 1024"), "");
        AssertAccepted(Edit("Qwen2-0.5B", "use_sliding_window", "\"use_sliding_window\": true"), "");
        AssertAccepted(GeneratorHarness.ConfigText("Mistral-7B-v0.1"), ", MaxSeqLen = 4096");
        AssertAccepted(Edit("Mistral-7B-v0.1", "sliding_window", "\"sliding_window\": null"), ", MaxSeqLen = 8192");
    }

    private static void AssertAccepted(string config, string arguments)
    {
        string source = GeneratorHarness.Model($"Config = \"{Path}\"{arguments}");
        var (diagnostics, _, run) = GeneratorHarness.Run(source,
            additionalFiles: [new InMemoryAdditionalText(ProjectDirectory + Path, config)], projectDirectory: ProjectDirectory);
        Assert.Empty(diagnostics);
        Assert.NotEmpty(run.GeneratedTrees);
    }

    public static TheoryData<string, string[], string?, string> MissingFiles() => new()
    {
        // Config, additional files, project directory (null: the host passes none), a phrase the message must contain
        { "models/m/config.json", [], "/project/", "no additional file is /project/models/m/config.json (the compilation has no additional file named config.json); add <TransformerModelConfig Include=\"models/m/config.json\" />" },
        { "models/m/config.json", ["/project/models/other/config.json"], "/project/", "(additional config.json files: /project/models/other/config.json)" },
        { "models/m/config.json", ["/elsewhere/models/m/config.json"], "/project/", "no additional file is /project/models/m/config.json" },
        { "m/config.json", ["/a/m/config.json", "/b/m/config.json"], null, "several additional files end with m/config.json (/a/m/config.json, /b/m/config.json); give a longer path" },
        { "models/m/settings.json", ["/project/models/m/settings.json"], "/project/", "only files named config.json are read" },
        { "../m/config.json", ["/m/config.json"], null, "did not pass the project directory" },
    };

    [Theory]
    [MemberData(nameof(MissingFiles))]
    public void MissingConfigNamesThePathAndTheItemToAdd(string config, string[] files, string? projectDirectory, string phrase)
    {
        string source = GeneratorHarness.Model($"Config = \"{config}\"");
        var additional = files.Select(f => (AdditionalText)new InMemoryAdditionalText(f, GeneratorHarness.ConfigText("gpt2")));
        var (diagnostics, _, run) = GeneratorHarness.Run(source, additionalFiles: additional, projectDirectory: projectDirectory);
        Diagnostic diagnostic = Assert.Single(diagnostics);
        Assert.Equal("TK0016", diagnostic.Id);
        Assert.Contains(phrase, diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Empty(run.GeneratedTrees);
    }

    [Fact]
    public void UnreadableAdditionalFileIsReported()
    {
        var (diagnostics, _, _) = GeneratorHarness.Run(GeneratorHarness.Model($"Config = \"{Path}\""),
            additionalFiles: [new InMemoryAdditionalText(ProjectDirectory + Path, null)], projectDirectory: ProjectDirectory);
        Diagnostic diagnostic = Assert.Single(diagnostics);
        Assert.Equal("TK0016", diagnostic.Id);
        Assert.Contains("is an additional file but could not be read", diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Theory]
    [InlineData("models/m/config.json", "/project/", "/project/models/m/config.json")]
    [InlineData("./models/../models/m/config.json", "/project", "/project/models/m/config.json")]
    [InlineData("../shared/m/config.json", "/repo/project/", "/repo/shared/m/config.json")]
    [InlineData("models\\m\\config.json", "C:\\src\\project\\", "c:\\SRC\\Project\\models\\m\\config.json")]
    [InlineData("models/m/config.json", null, "/anywhere/models/m/config.json")]
    [InlineData("/abs/m/config.json", "/project/", "/abs/m/config.json")]
    public void ConfigPathIsResolvedAgainstTheProjectDirectory(string config, string? projectDirectory, string additionalFile)
    {
        var (diagnostics, _, run) = GeneratorHarness.Run(GeneratorHarness.Model($"Config = @\"{config}\""),
            additionalFiles: [new InMemoryAdditionalText(additionalFile, GeneratorHarness.ConfigText("all-MiniLM-L6-v2"))], projectDirectory: projectDirectory);
        Assert.Empty(diagnostics);
        Assert.NotEmpty(run.GeneratedTrees);
    }

    [Fact]
    public void EveryConfigIdIsTrackedAndDocumented()
    {
        string root = AppContext.BaseDirectory;
        while (!File.Exists(System.IO.Path.Combine(root, "Generated.sln")))
        {
            root = System.IO.Path.GetDirectoryName(root)!;
        }
        string unshipped = File.ReadAllText(System.IO.Path.Combine(root, "generators", "TransformerKernels.Generators", "AnalyzerReleases.Unshipped.md"));
        string docs = File.ReadAllText(System.IO.Path.Combine(root, "docs", "diagnostics.md"));
        foreach (string id in Cases().Select(row => (string)row[0]).Append("TK0016").Distinct())
        {
            Assert.Contains(id + " |", unshipped);
            Assert.Contains("## " + id, docs);
        }
    }
}
