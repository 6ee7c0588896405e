// Translates Chinese to English with the Transformer the design document describes: 我有一只猫 → "I have a cat".
using System.Diagnostics;
using System.Globalization;
using TransformerKernels;
using Translate;

return TranslateCommand.Run(args);

namespace Translate
{
    /// <summary>The command line: translation, --beam, --eval, --attention, --verbose, --self-test.</summary>
    public static class TranslateCommand
    {
        private const string Usage = """
            usage: translate [options] "中文句子" ["更多句子" ...]
              --beam N          beam search with N beams (default 1: greedy)
              --eval            translate the held-out test pairs and print exact-match accuracy
              --attention FILE  write the last decoder block's cross-attention as an SVG heatmap (one sentence)
              --precision P     weights as fp32 (default), bf16 or int8
              --verbose         show the kernel path and each decoding step
              --self-test       check fixed sentences against their known translations (exit 1 on mismatch)
            """;

        /// <summary>Runs the command; returns the process exit code (0 ok, 1 wrong results, 2 bad input).</summary>
        public static int Run(string[] args)
        {
            var started = Stopwatch.GetTimestamp();
            int beam = 1;
            WeightPrecision precision = WeightPrecision.Fp32;
            string? attentionPath = null;
            bool verbose = false, evaluate = false, selfTest = false;
            var sentences = new List<string>();
            for (int i = 0; i < args.Length; i++)
            {
                switch (args[i])
                {
                    case "--beam" when i + 1 < args.Length && int.TryParse(args[i + 1], out beam) && beam >= 1:
                        i++;
                        break;
                    case "--precision" when i + 1 < args.Length && Precisions.TryParse(args[i + 1], out precision):
                        i++;
                        break;
                    case "--attention" when i + 1 < args.Length:
                        attentionPath = args[++i];
                        break;
                    case "--verbose":
                        verbose = true;
                        break;
                    case "--eval":
                        evaluate = true;
                        break;
                    case "--self-test":
                        selfTest = true;
                        break;
                    case "--help" or "-h":
                        Console.WriteLine(Usage);
                        return 0;
                    default:
                        if (args[i].StartsWith("--", StringComparison.Ordinal))
                        {
                            return Fail($"unknown or incomplete option '{args[i]}'\n{Usage}");
                        }
                        sentences.Add(args[i]);
                        break;
                }
            }
            if (sentences.Count == 0 && !evaluate && !selfTest)
            {
                return Fail("nothing to translate\n" + Usage);
            }

            string modelDirectory = Path.Combine(AppContext.BaseDirectory, "model");
            Vocabulary vocabulary = Vocabulary.Load(modelDirectory);
            if (vocabulary.SourceSize != ChineseEnglishTranslator.EncoderVocab || vocabulary.TargetSize != ChineseEnglishTranslator.DecoderVocab)
            {
                return Fail($"the vocabularies ({vocabulary.SourceSize}/{vocabulary.TargetSize}) do not match the declared model ({ChineseEnglishTranslator.EncoderVocab}/{ChineseEnglishTranslator.DecoderVocab})");
            }
            using var model = ChineseEnglishTranslator.Load(Path.Combine(modelDirectory, "translator.safetensors"), precision: precision);
            var translator = new SentenceTranslator(model, vocabulary);
            if (verbose)
            {
                Console.WriteLine($"kernel path: {KernelPaths.Describe()}; weights: {Precisions.Describe(precision)}; threads: {KernelThreads.ThreadCount}; model loaded {Stopwatch.GetElapsedTime(started).TotalMilliseconds:F0} ms after start");
            }
            if (selfTest)
            {
                return SelfTest(translator, precision);
            }
            if (evaluate)
            {
                return Evaluate(translator, Path.Combine(modelDirectory, "heldout.tsv"), beam);
            }
            foreach (string sentence in sentences)
            {
                if (!translator.TryParse(sentence, out int[] ids, out string? problem))
                {
                    return Fail(problem!);
                }
                if (attentionPath is not null || verbose)
                {
                    Console.WriteLine(translator.TranslateStepByStep(ids, verbose ? Console.Out : null, attentionPath, sentence));
                }
                else
                {
                    Console.WriteLine(translator.Translate(ids, beam));
                }
            }
            if (verbose)
            {
                Console.WriteLine($"done {Stopwatch.GetElapsedTime(started).TotalMilliseconds:F0} ms after start");
            }
            return 0;
        }

        private static int Evaluate(SentenceTranslator translator, string path, int beam)
        {
            var pairs = File.ReadAllLines(path).Where(l => l.Contains('\t')).Select(l => l.Split('\t')).ToArray();
            int correct = 0;
            var clock = Stopwatch.StartNew();
            foreach (string[] pair in pairs)
            {
                if (translator.TryParse(pair[0], out int[] ids, out _) && translator.Translate(ids, beam) == SentenceCase(pair[1]))
                {
                    correct++;
                }
            }
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"held-out exact match: {correct}/{pairs.Length} = {100.0 * correct / pairs.Length:F1}% (beam {beam}, {clock.Elapsed.TotalMilliseconds / pairs.Length:F2} ms per sentence)"));
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
            string where = $"{KernelPaths.Active}, weights {Precisions.Describe(precision)}";
            Console.WriteLine(failures == 0 ? $"self-test passed on {where}" : $"self-test: {failures} mismatches on {where}");
            return failures == 0 ? 0 : 1;
        }

        /// <summary>The English of the corpus in the form the sample prints.</summary>
        public static string SentenceCase(string lowercase) =>
            string.Join(' ', lowercase.Split(' ').Select(w => w == "i" ? "I" : w)) is var s && s.Length > 0 ? char.ToUpperInvariant(s[0]) + s[1..] : s;

        private static int Fail(string message)
        {
            Console.Error.WriteLine("translate: " + message);
            return 2;
        }
    }
}
