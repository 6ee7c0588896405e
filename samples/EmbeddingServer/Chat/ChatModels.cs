using TransformerKernels.Fortunes;

namespace TransformerKernels.EmbeddingServer;

/// <summary>The chat models this server can serve, by the id requests and <c>GET /v1/models</c> use.</summary>
public static class ChatModels
{
    /// <summary>The Llama-style model trained on Debian's fortunes (src/TransformerKernels.Fortunes), 256 positions.</summary>
    public const string FortuneLlama = "fortune-llama";
}

/// <summary>The loaded chat model and its tokenizer, with the limits requests are checked against.</summary>
public sealed class ChatModel(string id, IPromptDecoder model, FortuneTokenizer tokenizer) : IDisposable
{
    public string Id { get; } = id;

    public IPromptDecoder Model { get; } = model;

    public FortuneTokenizer Tokenizer { get; } = tokenizer;

    /// <summary>Prompt and completion together, in tokens.</summary>
    public int ContextLength => Model.MaxSequenceLength;

    /// <summary>Loads <paramref name="id"/> from the fortune files beside the executable.</summary>
    public static ChatModel Load(string id, WeightPrecision precision) =>
        // The model's own state serves nobody (each batch has a session of its own): batch 1 keeps it small.
        new(id, FortuneFiles.LoadLlama(precision: precision, maxBatch: 1), FortuneFiles.LoadTokenizer());

    public void Dispose() => Model.Dispose();
}
