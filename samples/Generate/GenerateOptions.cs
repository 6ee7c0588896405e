using System.CommandLine;
using System.Globalization;
using TransformerKernels;
using TransformerKernels.Samples;

namespace Generate;

/// <summary>The parsed command line of <c>generate</c>.</summary>
internal sealed class GenerateOptions(ParseResult parse)
{
    private const int DefaultMaxTokens = 120;

    private static readonly Option<float?> TemperatureOption = SampleCommandLine.Number<float>("--temperature", "T", "sampling temperature, > 0 (default 0.8)",
        NumberStyles.Float, v => v > 0 && float.IsFinite(v), "a temperature above 0");
    private static readonly Option<int?> TopKOption = SampleCommandLine.Number<int>("--top-k", "K", "sample among the K most probable tokens; 0 = all (default 40)",
        NumberStyles.Integer, v => v >= 0, "0 (all) or more tokens");
    private static readonly Option<float?> TopPOption = SampleCommandLine.Number<float>("--top-p", "P",
        "sample among the most probable tokens covering P of the probability, 0 < P <= 1 (default 0.95)", NumberStyles.Float, v => v > 0 && v <= 1, "a probability in (0, 1]");
    private static readonly Option<float?> RepetitionPenaltyOption = SampleCommandLine.Number<float>("--repetition-penalty", "R",
        "divide the logits of tokens already present by R, > 0; 1 = off (default 1.1)", NumberStyles.Float, v => v > 0 && float.IsFinite(v), "a penalty above 0");
    private static readonly Option<int?> SeedOption = SampleCommandLine.Number<int>("--seed", "N", "seed the sampler for a reproducible continuation (default: a new one each run)",
        NumberStyles.Integer, _ => true, "a whole number");
    private static readonly Option<int?> MaxTokensOption = SampleCommandLine.Number<int>("--max-tokens", "N",
        $"most tokens to generate (default: as many as fit the model's 256 positions, at most {DefaultMaxTokens})", NumberStyles.Integer, v => v >= 1, "1 or more tokens");
    private static readonly Option<bool> GreedyOption = SampleCommandLine.Flag("--greedy", "always the most probable token (no sampling)");
    private static readonly Option<bool> Gpt2Option = SampleCommandLine.Flag("--gpt2", "the GPT-2-style model instead of the Llama-style one");
    private static readonly Option<WeightPrecision> PrecisionOption = SampleCommandLine.Precision();
    private static readonly Option<string?> ModelOption = new("--model") { HelpName = "DIR", Description = "another training run of the same shapes (default: the committed models)" };
    private static readonly Option<bool> VerboseOption = SampleCommandLine.Flag("--verbose", "show the kernel path and stack traces of errors");
    private static readonly Option<bool> SelfTestOption = SampleCommandLine.Flag("--self-test", "check the tokenizer and both models against the PyTorch reference");
    private static readonly Argument<string[]> PromptArgument = SampleCommandLine.Texts("prompt", "the text to continue, its words joined by spaces (put -- before it if it starts with --)");

    private const string Epilogue = """
        Generation stops at the end of a fortune (</s>), after --max-tokens, or at Ctrl+C (the text so far is kept).
        exit codes: 0 done, 1 self-test mismatch or unexpected failure, 2 bad usage or input, 130 interrupted,
          141 standard output's reader went away
        environment: TK_THREADS (threads, 1..processors), DOTNET_EnableAVX512=0 / DOTNET_EnableHWIntrinsic=0 (kernel paths)
        """;

    public float Temperature { get; } = parse.GetValue(TemperatureOption) ?? 0.8f;
    public int TopK { get; } = parse.GetValue(TopKOption) ?? 40;
    public float TopP { get; } = parse.GetValue(TopPOption) ?? 0.95f;
    public float RepetitionPenalty { get; } = parse.GetValue(RepetitionPenaltyOption) ?? 1.1f;
    public int? Seed { get; } = parse.GetValue(SeedOption);
    public int? MaxTokens { get; } = parse.GetValue(MaxTokensOption);
    public bool Greedy { get; } = parse.GetValue(GreedyOption);
    public bool Gpt2 { get; } = parse.GetValue(Gpt2Option);
    public WeightPrecision Precision { get; } = parse.GetValue(PrecisionOption);
    public string? ModelDirectory { get; } = parse.GetValue(ModelOption);
    public bool Verbose { get; } = parse.GetValue(VerboseOption);
    public bool SelfTest { get; } = parse.GetValue(SelfTestOption);
    public string Prompt { get; } = string.Join(' ', parse.GetValue(PromptArgument) ?? []);

    /// <summary>Parses <paramref name="args"/> and runs <paramref name="run"/> on them; a bad command line is one line and exit code 2.</summary>
    public static Task<int> InvokeAsync(string tool, string[] args, Func<GenerateOptions, Task<int>> run)
    {
        RootCommand root = SampleCommandLine.Root("Continues an English prompt with a small language model trained on Debian's fortunes, streaming the text.", Epilogue,
            TemperatureOption, TopKOption, TopPOption, RepetitionPenaltyOption, SeedOption, MaxTokensOption, GreedyOption, Gpt2Option, PrecisionOption,
            ModelOption, VerboseOption, SelfTestOption, PromptArgument);
        root.SetAction((result, _) =>
        {
            var options = new GenerateOptions(result);
            return options.Prompt.Length == 0 && !options.SelfTest
                ? Task.FromResult(CommandErrors.Usage(tool, "give a prompt to continue, e.g. generate \"A man is known by\" (see --help)"))
                : run(options);
        });
        return SampleCommandLine.InvokeAsync(tool, root, PromptArgument, args);
    }

    /// <summary>
    /// The library's options for this command line. Without --max-tokens the continuation takes what the model's positions
    /// leave after the prompt (at most 120); an explicit --max-tokens that does not fit is the library's named error.
    /// </summary>
    public GenerationOptions Generation(int endOfSentence, int positionsLeft) => new()
    {
        MaxNewTokens = MaxTokens ?? Math.Max(1, Math.Min(DefaultMaxTokens, positionsLeft)),
        Temperature = Greedy ? 0 : Temperature,
        TopK = TopK,
        TopP = TopP,
        RepetitionPenalty = RepetitionPenalty,
        Seed = Seed,
        StopTokens = [endOfSentence],
    };
}
