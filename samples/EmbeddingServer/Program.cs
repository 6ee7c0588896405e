// The repository's OpenAI-compatible server (TransformerKernels.Server) over its own two models: all-MiniLM-L6-v2 for
// POST /v1/embeddings and the fortune Llama (src/TransformerKernels.Fortunes, no chat template: it continues the messages'
// text) for POST /v1/chat/completions. `transformerkernels compile … --serve` hosts the same server over a directory of
// one's own.
using System.Reflection;
using TransformerKernels;
using TransformerKernels.Fortunes;
using TransformerKernels.MiniLM;
using TransformerKernels.Server;

const string Name = "embedding-server";
const string FortuneLlama = "fortune-llama";
const string Usage = $"""
    usage: {Name} [server options] [--precision fp32|bf16|int8] [--chat-model {FortuneLlama}|none] [--chat-precision fp32|bf16|int8]
      --precision P         embedding weights (all-MiniLM-L6-v2) as fp32 (default), bf16 or int8
      --chat-model M        the chat model: {FortuneLlama} (default, the trained fortune model) or none (no chat)
      --chat-precision P    chat weights as fp32 (default), bf16 or int8
      --version             print the version and exit
    server options:
    """;

if (args.Contains("--help") || args.Contains("-h"))
{
    Console.WriteLine(Usage + "\n" + ServerOptions.Help);
    return 0;
}
if (args.Contains("--version"))
{
    // The informational version, as the other samples' System.CommandLine --version prints it.
    Console.WriteLine(typeof(Program).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion);
    return 0;
}
WeightPrecision precision = WeightPrecision.Fp32, chatPrecision = WeightPrecision.Fp32;
bool serveChat = true;
var options = new ServerOptions();
if (options.Parse(args, HostOption) is { } problem)
{
    Console.Error.WriteLine($"{Name}: {problem}");
    return 2;
}
SentenceEmbedder embedder;
try
{
    embedder = new SentenceEmbedder(maxBatch: Math.Max(1, options.TokenBudget / AllMiniLmL6V2.MaxSeqLen), precision);
}
catch (Exception e) when (e is IOException or UnauthorizedAccessException or ModelWeightsException or FormatException)
{
    Console.Error.WriteLine($"{Name}: {e.Message}");
    return e is CacheDirectoryException or FileNotFoundException ? 2 : 1;
}

ServedChatModel? chat = null;
if (serveChat)
{
    try
    {
        // The model's own state serves nobody (each batch has a session of its own): batch 1 keeps it small.
        chat = ServedChatModel.FromDirectory(FortuneLlama, FortuneFiles.LoadLlama(precision: chatPrecision, maxBatch: 1), FortuneFiles.DefaultDirectory);
    }
    catch (Exception e) when (e is IOException or UnauthorizedAccessException or ModelWeightsException or ModelConfigurationException or InvalidDataException)
    {
        Console.Error.WriteLine($"{Name}: the chat model {FortuneLlama} could not be loaded: {e.Message}");
        embedder.Dispose();
        return 1;
    }
}

await OpenAiServer.RunAsync(options, embedder.Transformer, chat, Name,
    $"{KernelPaths.Describe()}, embeddings {Precisions.Describe(precision)}" +
    (chat is null ? ", no chat model" : $", chat {chat.Id} {Precisions.Describe(chatPrecision)}, {options.MaxSessions} sessions"));
return 0;

// This host's options: which weights, and whether to chat.
bool HostOption(string option, string? value)
{
    switch (option)
    {
        case "--precision": return value is not null && Precisions.TryParse(value, out precision);
        case "--chat-precision": return value is not null && Precisions.TryParse(value, out chatPrecision);
        case "--chat-model" when value is FortuneLlama or "none":
            serveChat = value == FortuneLlama;
            return true;
        default: return false;
    }
}
