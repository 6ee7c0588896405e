// Translates Chinese to English with the Transformer the design document describes: 我有一只猫 → "I have a cat".
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using TransformerKernels;
using TransformerKernels.ChineseEnglish;
using TransformerKernels.Samples;
using Translate;

return CommandErrors.Run("translate", args, TranslateCommand.Run);

namespace Translate
{
    /// <summary>The command line: translation, --beam, --eval, --attention, --precision, --model, --verbose, --self-test.</summary>
    public static class TranslateCommand
    {
        private const string Tool = "translate";

        private static readonly Option<int?> BeamOption = SampleCommandLine.Number<int>("--beam", "N", $"beam search with N beams (default 1: greedy; at most {BeamSearch.MaxWidth})",
            NumberStyles.Integer, beam => beam >= 1 && beam <= BeamSearch.MaxWidth, $"1..{BeamSearch.MaxWidth} beams");
        private static readonly Option<bool> EvaluateOption = SampleCommandLine.Flag("--eval", "translate the held-out test pairs and print exact-match accuracy");
        private static readonly Option<string?> AttentionOption = SampleCommandLine.Checked("--attention", "FILE",
            "write the last decoder block's cross-attention as an SVG heatmap (one sentence)", AttentionFileProblem);
        private static readonly Option<WeightPrecision> PrecisionOption = SampleCommandLine.Precision();
        private static readonly Option<string?> ModelOption = new("--model")
        {
            HelpName = "DIR",
            Description = "another trained model of the same shape: translator.safetensors and the vocabularies (default: the committed one)",
        };
        private static readonly Option<bool> VerboseOption = SampleCommandLine.Flag("--verbose", "show the kernel path, each decoding step, and stack traces of errors");
        private static readonly Option<bool> SelfTestOption = SampleCommandLine.Flag("--self-test", "check fixed sentences against their known translations");
        private static readonly Argument<string[]> SentencesArgument = SampleCommandLine.Texts("sentences",
            "Chinese sentences to translate (put -- before any that starts with --)");

        private const string Epilogue = """
            exit codes: 0 done, 1 self-test mismatch or unexpected failure, 2 bad usage, input file or setting,
              141 standard output's reader went away
            environment: TK_THREADS (threads, 1..processors), DOTNET_EnableAVX512=0 / DOTNET_EnableHWIntrinsic=0 (kernel paths)
            """;

        /// <summary>Parses <paramref name="args"/> and runs the command; returns the process exit code.</summary>
        public static int Run(string[] args)
        {
            RootCommand root = SampleCommandLine.Root("Translates Chinese sentences to English with the seed's Transformer (我有一只猫 → I have a cat).", Epilogue,
                BeamOption, EvaluateOption, AttentionOption, PrecisionOption, ModelOption, VerboseOption, SelfTestOption, SentencesArgument);
            root.SetAction(parse =>
            {
                var options = new Options(parse);
                return options.Problem() is { } problem ? CommandErrors.Usage(Tool, problem) : Run(options);
            });
            return SampleCommandLine.Invoke(Tool, root, SentencesArgument, args);
        }

        private static string? AttentionFileProblem(string path)
        {
            string? folder = Path.GetDirectoryName(Path.GetFullPath(path));
            return folder is not null && !Directory.Exists(folder) ? $"--attention: the directory '{folder}' does not exist"
                : Directory.Exists(path) ? $"--attention: '{path}' is a directory; give the SVG file to write"
                : null;
        }

        /// <summary>Runs the parsed command; returns the process exit code (0 ok, 1 wrong results or failure, 2 bad usage or input).</summary>
        private static int Run(Options options)
        {
            var started = Stopwatch.GetTimestamp();
            if (KernelThreads.EnvironmentWarning is { } threads)
            {
                Console.Error.WriteLine($"{Tool}: warning: {threads}");
            }
            string modelDirectory = options.ModelDirectory ?? TranslatorFiles.DefaultDirectory;
            try
            {
                using SentenceTranslator translator = TranslatorFiles.Load(modelDirectory, options.Precision);
                if (options.Verbose)
                {
                    Console.WriteLine($"kernel path: {KernelPaths.Describe()}; weights: {Precisions.Describe(options.Precision)}; threads: {KernelThreads.ThreadCount}; model {modelDirectory} loaded {Stopwatch.GetElapsedTime(started).TotalMilliseconds:F0} ms after start");
                }
                if (options.SelfTest)
                {
                    return SelfTest(translator, options.Precision);
                }
                if (options.Evaluate)
                {
                    return Evaluate(translator, Path.Combine(modelDirectory, TranslatorFiles.HeldOutFileName), options.Beam);
                }
                var parsed = new List<int[]>();
                foreach (string sentence in options.Sentences)
                {
                    if (!translator.TryParse(sentence, out int[] ids, out string? problem))
                    {
                        return CommandErrors.Usage(Tool, problem!);
                    }
                    parsed.Add(ids);
                }
                if (options.AttentionPath is not null || options.Verbose)
                {
                    for (int i = 0; i < parsed.Count; i++)
                    {
                        Console.WriteLine(translator.TranslateStepByStep(parsed[i], options.Verbose ? Console.Out : null, options.AttentionPath, options.Sentences[i]));
                    }
                }
                else
                {
                    // All sentences in one batch: each decoding step is one pass over the weights for all of them.
                    foreach (string english in translator.TranslateMany(parsed, options.Beam))
                    {
                        Console.WriteLine(english);
                    }
                }
            }
            catch (Exception e)
            {
                return CommandErrors.Report(Tool, e, options.Verbose, e is ModelWeightsException ? Path.Combine(modelDirectory, TranslatorFiles.WeightsFileName) : null);
            }
            if (options.Verbose)
            {
                Console.WriteLine($"done {Stopwatch.GetElapsedTime(started).TotalMilliseconds:F0} ms after start");
            }
            return 0;
        }

        /// <summary>The parsed command line.</summary>
        private sealed class Options(ParseResult parse)
        {
            public int Beam { get; } = parse.GetValue(BeamOption) ?? 1;
            public WeightPrecision Precision { get; } = parse.GetValue(PrecisionOption);
            public string? AttentionPath { get; } = parse.GetValue(AttentionOption);
            public string? ModelDirectory { get; } = parse.GetValue(ModelOption);
            public bool Verbose { get; } = parse.GetValue(VerboseOption);
            public bool Evaluate { get; } = parse.GetValue(EvaluateOption);
            public bool SelfTest { get; } = parse.GetValue(SelfTestOption);
            public string[] Sentences { get; } = parse.GetValue(SentencesArgument) ?? [];

            /// <summary>What is wrong with the options taken together, or null.</summary>
            public string? Problem() =>
                Sentences.Length == 0 && !Evaluate && !SelfTest ? "nothing to translate (--help shows how)"
                : AttentionPath is not null && Sentences.Length != 1 ? "--attention draws one sentence's attention; give exactly one"
                : null;
        }

        private static int Evaluate(SentenceTranslator translator, string path, int beam)
        {
            var pairs = File.ReadAllLines(path).Where(l => l.Contains('\t')).Select(l => l.Split('\t')).ToArray();
            var parsed = pairs.Select(p => translator.TryParse(p[0], out int[] ids, out _) ? ids : null).ToArray();
            int[][] translatable = parsed.OfType<int[]>().ToArray();
            var clock = Stopwatch.StartNew();
            string[] translations = translator.TranslateMany(translatable, beam);
            double milliseconds = clock.Elapsed.TotalMilliseconds;
            int correct = 0;
            for (int i = 0, t = 0; i < pairs.Length; i++)
            {
                if (parsed[i] is not null && translations[t++] == Vocabulary.SentenceCase(pairs[i][1]))
                {
                    correct++;
                }
            }
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"held-out exact match: {correct}/{pairs.Length} = {100.0 * correct / pairs.Length:F1}% (beam {beam}, batches of {SentenceTranslator.DefaultBatch}: {milliseconds / pairs.Length:F3} ms per sentence, {pairs.Length / (milliseconds / 1000):F0} sentences/s)"));
            return 0;
        }

        /// <summary>Fixed sentences and their translations (training and held-out); any difference fails.</summary>
        private static readonly (string Chinese, string English)[] SelfTestCases =
        [
            ("我有一只猫", "I have a cat"),
            ("她喜欢两条鱼", "She likes two fish"),
            ("我们想要三本书", "We want three books"),
            ("他不需要一把新伞", "He does not need a new umbrella"),
            ("我的朋友有五个苹果", "My friend has five apples"),
        ];

        private static int SelfTest(SentenceTranslator translator, WeightPrecision precision)
        {
            int failures = 0;
            foreach (var (chinese, english) in SelfTestCases)
            {
                translator.TryParse(chinese, out int[] ids, out _);
                foreach (int beam in new[] { 1, 3 })
                {
                    string actual = translator.Translate(ids, beam);
                    bool ok = actual == english;
                    failures += ok ? 0 : 1;
                    Console.WriteLine($"{(ok ? "ok  " : "FAIL")} beam {beam}: {chinese} → {actual}{(ok ? "" : $" (expected {english})")}");
                }
            }
            // The same sentences as one batch: batched decoding must give what one-at-a-time decoding gives.
            int[][] batch = SelfTestCases.Select(c => translator.TryParse(c.Chinese, out int[] ids, out _) ? ids : []).ToArray();
            foreach (int beam in new[] { 1, 3 })
            {
                string[] actual = translator.TranslateMany(batch, beam);
                int wrong = actual.Where((english, i) => english != SelfTestCases[i].English).Count();
                failures += wrong;
                Console.WriteLine($"{(wrong == 0 ? "ok  " : "FAIL")} beam {beam}: {batch.Length} sentences as one batch{(wrong == 0 ? "" : $" ({wrong} differ)")}");
            }
            string where = $"{KernelPaths.Active}, weights {Precisions.Describe(precision)}";
            Console.WriteLine(failures == 0 ? $"self-test passed on {where}" : $"self-test: {failures} mismatches on {where}");
            return failures == 0 ? 0 : CommandErrors.Failure;
        }
    }
}
