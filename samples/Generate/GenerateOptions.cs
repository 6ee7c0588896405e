using System.Globalization;
using TransformerKernels;

namespace Generate;

/// <summary>The parsed command line of <c>generate</c>.</summary>
internal sealed class GenerateOptions
{
    public const string Usage = """
        usage: generate [options] [--] "prompt text"
          --temperature T      sampling temperature, > 0 (default 0.8)
          --top-k K            sample among the K most probable tokens; 0 = all (default 40)
          --top-p P            sample among the most probable tokens covering P of the probability, 0 < P <= 1 (default 0.95)
          --repetition-penalty R   divide the logits of tokens already present by R, > 0; 1 = off (default 1.1)
          --seed N             seed the sampler for a reproducible continuation (default: a new one each run)
          --max-tokens N       most tokens to generate (default: as many as fit the model's 256 positions, at most 120)
          --greedy             always the most probable token (no sampling)
          --gpt2               the GPT-2-style model instead of the Llama-style one
          --precision P        weights as fp32 (default), bf16 or int8
          --model DIR          another training run of the same shapes (default: the committed models)
          --verbose            show the kernel path and stack traces of errors
          --self-test          check the tokenizer and both models against the PyTorch reference
          --                   the arguments after it are the prompt, even if they start with --
        Generation stops at the end of a fortune (</s>), after --max-tokens, or at Ctrl+C (the text so far is kept).
        exit codes: 0 done, 1 self-test mismatch or unexpected failure, 2 bad usage or input, 130 interrupted,
          141 standard output's reader went away
        environment: TK_THREADS (threads, 1..processors), DOTNET_EnableAVX512=0 / DOTNET_EnableHWIntrinsic=0 (kernel paths)
        """;

    private const int DefaultMaxTokens = 120;

    public float Temperature { get; private set; } = 0.8f;
    public int TopK { get; private set; } = 40;
    public float TopP { get; private set; } = 0.95f;
    public float RepetitionPenalty { get; private set; } = 1.1f;
    public int? Seed { get; private set; }
    public int? MaxTokens { get; private set; }
    public bool Greedy { get; private set; }
    public bool Gpt2 { get; private set; }
    public WeightPrecision Precision { get; private set; } = WeightPrecision.Fp32;
    public string? ModelDirectory { get; private set; }
    public bool Verbose { get; private set; }
    public bool SelfTest { get; private set; }
    public bool Help { get; private set; }
    public string Prompt { get; private set; } = "";

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

    /// <summary>Reads <paramref name="args"/>; returns what is wrong with them, or null.</summary>
    public string? Parse(string[] args)
    {
        var prompt = new List<string>();
        bool optionsEnded = false;
        for (int i = 0; i < args.Length; i++)
        {
            string arg = args[i];
            if (optionsEnded || !arg.StartsWith("--", StringComparison.Ordinal) && arg != "-h")
            {
                prompt.Add(arg);
                continue;
            }
            string? value = i + 1 < args.Length ? args[i + 1] : null;
            string? problem = arg switch
            {
                "--" => Set(() => optionsEnded = true),
                "--temperature" => Parse<float>(arg, value, NumberStyles.Float, v => v > 0 && float.IsFinite(v), "a temperature above 0", v => Temperature = v, ref i),
                "--top-k" => Parse<int>(arg, value, NumberStyles.Integer, v => v >= 0, "0 (all) or more tokens", v => TopK = v, ref i),
                "--top-p" => Parse<float>(arg, value, NumberStyles.Float, v => v > 0 && v <= 1, "a probability in (0, 1]", v => TopP = v, ref i),
                "--repetition-penalty" => Parse<float>(arg, value, NumberStyles.Float, v => v > 0 && float.IsFinite(v), "a penalty above 0", v => RepetitionPenalty = v, ref i),
                "--seed" => Parse<int>(arg, value, NumberStyles.Integer, _ => true, "a whole number", v => Seed = v, ref i),
                "--max-tokens" => Parse<int>(arg, value, NumberStyles.Integer, v => v >= 1, "1 or more tokens", v => MaxTokens = v, ref i),
                "--precision" => Precisions.TryParse(value ?? "", out WeightPrecision precision)
                    ? Set(() => { Precision = precision; i++; })
                    : $"--precision takes fp32, bf16 or int8, not '{value}'",
                "--model" => value is null ? "--model needs a directory" : Set(() => { ModelDirectory = value; i++; }),
                "--greedy" => Set(() => Greedy = true),
                "--gpt2" => Set(() => Gpt2 = true),
                "--verbose" => Set(() => Verbose = true),
                "--self-test" => Set(() => SelfTest = true),
                "--help" or "-h" => Set(() => Help = true),
                _ => $"unknown option '{arg}' (see --help)",
            };
            if (problem is not null)
            {
                return problem;
            }
        }
        Prompt = string.Join(' ', prompt);
        return Prompt.Length == 0 && !SelfTest && !Help ? "give a prompt to continue, e.g. generate \"A man is known by\" (see --help)" : null;
    }

    private static string? Set(Action apply)
    {
        apply();
        return null;
    }

    /// <summary>Reads <paramref name="value"/> as the number <paramref name="option"/> takes; returns what is wrong with it, or null.</summary>
    private static string? Parse<T>(string option, string? value, NumberStyles style, Func<T, bool> valid, string expected, Action<T> apply, ref int i)
        where T : System.Numerics.INumber<T>
    {
        if (!T.TryParse(value, style, CultureInfo.InvariantCulture, out T? number) || !valid(number))
        {
            return $"{option} takes {expected}, not '{value}'";
        }
        apply(number);
        i++;
        return null;
    }
}
