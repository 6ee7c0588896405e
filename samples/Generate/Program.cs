// Continues an English prompt with a small language model trained on Debian's fortunes, streaming the text as it is generated.
using System.Diagnostics;
using Generate;
using TransformerKernels.Samples;

return await CommandErrors.RunAsync("generate", args, GenerateCommand.RunAsync);

namespace Generate
{
    using TransformerKernels;
    using TransformerKernels.Fortunes;
    using TransformerKernels.Samples;

    /// <summary>The command line: a prompt, sampling options, --gpt2, --precision, --model, --verbose, --self-test.</summary>
    public static class GenerateCommand
    {
        private const string Tool = "generate";

        /// <summary>Runs the command; returns the process exit code (0 ok, 1 wrong results or failure, 2 bad usage or input, 130 interrupted).</summary>
        public static Task<int> RunAsync(string[] args) => GenerateOptions.InvokeAsync(Tool, args, RunAsync);

        private static async Task<int> RunAsync(GenerateOptions options)
        {
            long started = Stopwatch.GetTimestamp();
            if (KernelThreads.EnvironmentWarning is { } threads)
            {
                Console.Error.WriteLine($"{Tool}: warning: {threads}");
            }
            string directory = options.ModelDirectory ?? FortuneFiles.DefaultDirectory;
            try
            {
                FortuneTokenizer tokenizer = FortuneFiles.LoadTokenizer(directory);
                if (options.SelfTest)
                {
                    return SelfTest.Run(directory, tokenizer, options.Precision);
                }
                using IPromptDecoder model = options.Gpt2 ? FortuneFiles.LoadGpt2(directory, options.Precision, maxBatch: 1) : FortuneFiles.LoadLlama(directory, options.Precision, maxBatch: 1);
                if (options.Verbose)
                {
                    Console.Error.WriteLine($"kernel path: {KernelPaths.Describe()}; weights: {Precisions.Describe(options.Precision)}; threads: {KernelThreads.ThreadCount}; " +
                                            $"{(options.Gpt2 ? "GPT-2" : "Llama")}-style model from {directory} loaded {Stopwatch.GetElapsedTime(started).TotalMilliseconds:F0} ms after start");
                }
                return await StreamAsync(model, tokenizer, options);
            }
            catch (Exception e)
            {
                return CommandErrors.Report(Tool, e, options.Verbose);
            }
        }

        /// <summary>Prints the prompt, then each piece of text as its token is generated; the speed goes to standard error.</summary>
        private static async Task<int> StreamAsync(IPromptDecoder model, FortuneTokenizer tokenizer, GenerateOptions options)
        {
            int[] prompt = tokenizer.Encode(options.Prompt);
            GenerationOptions generation = options.Generation(tokenizer.EndOfSentence, model.MaxSequenceLength - prompt.Length);
            using var interrupted = new CancellationTokenSource();
            ConsoleCancelEventHandler onCancel = (_, e) =>
            {
                e.Cancel = true; // stop after the current step and report, instead of killing the process mid-line
                interrupted.Cancel();
            };
            Console.CancelKeyPress += onCancel;
            var text = new TextStream(tokenizer, prompt);
            using var generator = new TokenGenerator(model);
            long begin = Stopwatch.GetTimestamp();
            double firstTokenMs = 0;
            int count = 0;
            bool cancelled = false;
            try
            {
                await foreach (int token in generator.GenerateAsync(prompt, generation, interrupted.Token))
                {
                    if (count++ == 0)
                    {
                        // The prompt is echoed once generation has begun, so a refused prompt leaves only the error line.
                        firstTokenMs = Stopwatch.GetElapsedTime(begin).TotalMilliseconds;
                        Console.Write(options.Prompt);
                    }
                    Console.Write(text.Append(token));
                }
            }
            catch (OperationCanceledException) when (interrupted.IsCancellationRequested)
            {
                cancelled = true;
            }
            finally
            {
                Console.CancelKeyPress -= onCancel;
            }
            if (count == 0)
            {
                Console.Write(options.Prompt); // the model ended the fortune at once
            }
            Console.WriteLine();
            double seconds = Stopwatch.GetElapsedTime(begin).TotalSeconds;
            // The first token costs the prefill of the whole prompt; the rate after it is the decoding speed.
            double decoding = count > 1 ? (count - 1) / (seconds - firstTokenMs / 1000) : 0;
            Console.Error.WriteLine($"{(cancelled ? "interrupted: " : "")}{count} tokens in {seconds * 1000:F1} ms — {count / seconds:F0} tokens/s " +
                                    $"(prompt of {prompt.Length} tokens to first token {firstTokenMs:F1} ms, then {decoding:F0} tokens/s)");
            return cancelled ? 130 : 0;
        }
    }
}
