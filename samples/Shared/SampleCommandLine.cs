using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Numerics;
using TransformerKernels;

namespace TransformerKernels.Samples;

/// <summary>
/// System.CommandLine as the samples use it: <c>--help</c> (with the sample's exit codes and settings after the options) and
/// <c>--version</c> from the root command, and every mistake in the command line reported as <see cref="CommandErrors"/>
/// reports the others — one line, exit code 2 — instead of System.CommandLine's errors followed by the whole help.
/// </summary>
internal static class SampleCommandLine
{
    /// <summary>
    /// A root command of <paramref name="symbols"/> (options and arguments) whose help ends with <paramref name="epilogue"/>
    /// (exit codes, environment: what the option list cannot say).
    /// </summary>
    public static RootCommand Root(string description, string epilogue, params ReadOnlySpan<Symbol> symbols)
    {
        var root = new RootCommand(description);
        foreach (Symbol symbol in symbols)
        {
            switch (symbol)
            {
                case Option option:
                    root.Options.Add(option);
                    break;
                case Argument argument:
                    root.Arguments.Add(argument);
                    break;
                default:
                    throw new ArgumentException($"'{symbol.Name}' is neither an option nor an argument.", nameof(symbols));
            }
        }
        HelpOption help = root.Options.OfType<HelpOption>().Single();
        help.Action = new HelpWithEpilogue((SynchronousCommandLineAction)help.Action!, epilogue);
        return root;
    }

    /// <summary>A switch: takes no value, so a text after it (even "true") stays a text.</summary>
    public static Option<bool> Flag(string name, string description) => new(name) { Description = description, Arity = ArgumentArity.Zero };

    /// <summary>
    /// A number within the range <paramref name="valid"/> accepts; anything else is the one-line error
    /// "<paramref name="name"/> takes <paramref name="expected"/>, not '…'". Null when not given: callers apply their defaults.
    /// </summary>
    public static Option<T?> Number<T>(string name, string helpName, string description, NumberStyles style, Func<T, bool> valid, string expected)
        where T : struct, INumber<T> => new(name)
        {
            HelpName = helpName,
            Description = description,
            CustomParser = result =>
            {
                string value = Value(result);
                if (T.TryParse(value, style, CultureInfo.InvariantCulture, out T number) && valid(number))
                {
                    return number;
                }
                result.AddError($"{name} takes {expected}, not '{Shorten(value)}'");
                return null;
            },
        };

    /// <summary>A string option whose value <paramref name="problem"/> checks (null: fine; otherwise the error line).</summary>
    public static Option<string?> Checked(string name, string helpName, string description, Func<string, string?> problem) => new(name)
    {
        HelpName = helpName,
        Description = description,
        CustomParser = result =>
        {
            string value = Value(result);
            if (problem(value) is { } error)
            {
                result.AddError(error);
            }
            return value;
        },
    };

    /// <summary>
    /// <c>--precision fp32|bf16|int8</c>. Not given, its value is default(WeightPrecision): <see cref="WeightPrecision.Fp32"/>
    /// (no DefaultValueFactory, whose "[default: Fp32]" would repeat the description in another spelling).
    /// </summary>
    public static Option<WeightPrecision> Precision(string name = "--precision", string what = "weights") => new(name)
    {
        HelpName = "P",
        Description = $"{what} as fp32 (default), bf16 or int8",
        CustomParser = result =>
        {
            string value = Value(result);
            if (!Precisions.TryParse(value, out WeightPrecision precision))
            {
                result.AddError($"{name} takes fp32, bf16 or int8, not '{Shorten(value)}'");
            }
            return precision;
        },
    };

    /// <summary>
    /// The texts after the options: every argument that is not an option or an option's value, and everything after
    /// <c>--</c> even when it starts with <c>--</c>.
    /// </summary>
    public static Argument<string[]> Texts(string name, string description) => new(name) { Description = description, Arity = ArgumentArity.ZeroOrMore };

    /// <summary>
    /// Parses <paramref name="args"/> for <paramref name="root"/> and runs its action; a parse error is one line on standard
    /// error prefixed by <paramref name="tool"/> and exit code 2. Exceptions reach the caller (<see cref="CommandErrors.Run"/>
    /// reports them), and Ctrl+C is left to the action.
    /// </summary>
    public static int Invoke(string tool, RootCommand root, Argument<string[]> texts, string[] args) =>
        Parse(tool, root, texts, args, out ParseResult parse) ?? parse.Invoke(Invocation);

    /// <inheritdoc cref="Invoke"/>
    public static async Task<int> InvokeAsync(string tool, RootCommand root, Argument<string[]> texts, string[] args) =>
        Parse(tool, root, texts, args, out ParseResult parse) ?? await parse.InvokeAsync(Invocation).ConfigureAwait(false);

    // No response files: a sentence may start with '@'.
    private static readonly ParserConfiguration Parsing = new() { ResponseFileTokenReplacer = null };

    // Exceptions go to CommandErrors (one line, the stack only with --verbose); the samples handle Ctrl+C themselves.
    private static InvocationConfiguration Invocation => new() { EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null };

    /// <summary>Parses; returns the exit code of a parse error after reporting it, or null when the action should run.</summary>
    private static int? Parse(string tool, RootCommand root, Argument<string[]> texts, string[] args, out ParseResult parse)
    {
        parse = root.Parse(args, Parsing);
        if (parse.Action is HelpWithEpilogue)
        {
            return null; // --help wins over mistakes elsewhere on the line, as it did before
        }
        if (UnknownOption(parse, texts) is { } unknown)
        {
            return CommandErrors.Usage(tool, $"unknown option '{Shorten(unknown)}' (--help lists them; put -- before text that starts with --)");
        }
        if (parse.Errors.Count > 0)
        {
            string errors = string.Join("; ", parse.Errors.Select(e => e.Message.ReplaceLineEndings(" ")));
            // System.CommandLine reads leading [bracketed] arguments as directives ([diagram], [suggest]), unknown ones as errors.
            bool directive = parse.Tokens.Any(t => t.Type == TokenType.Directive);
            return CommandErrors.Usage(tool, directive ? $"{errors} (a first argument in [brackets] is a directive; put -- before text)" : errors);
        }
        return null;
    }

    /// <summary>
    /// System.CommandLine hands an unknown <c>--name</c> to the texts; before <c>--</c> it is a mistyped option, not text
    /// (texts after <c>--</c> are the last ones the argument holds).
    /// </summary>
    private static string? UnknownOption(ParseResult parse, Argument<string[]> texts)
    {
        string[] values = parse.GetResult(texts)?.Tokens.Select(t => t.Value).ToArray() ?? [];
        int afterDoubleDash = parse.Tokens.SkipWhile(t => t.Type != TokenType.DoubleDash).Skip(1).Count();
        int beforeDoubleDash = values.Length - afterDoubleDash;
        return values.Take(beforeDoubleDash).FirstOrDefault(v => v.StartsWith("--", StringComparison.Ordinal));
    }

    // The option's value ("" when it has none, which System.CommandLine reports itself; so is an option given twice).
    private static string Value(ArgumentResult result) => result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";

    private static string Shorten(string value) => value.Length <= 40 ? value : value[..40] + "…";

    /// <summary>System.CommandLine's help, then the sample's own closing lines.</summary>
    private sealed class HelpWithEpilogue(SynchronousCommandLineAction help, string epilogue) : SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            int exitCode = help.Invoke(parseResult);
            parseResult.InvocationConfiguration.Output.WriteLine(epilogue);
            return exitCode;
        }
    }
}
