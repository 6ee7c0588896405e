using System.Text.Json;

namespace TransformerKernels.Fortunes;

/// <summary>
/// What PyTorch and python-sentencepiece produced from the committed files (model/reference.json, written by
/// tools/train-generate/fixtures.py): the ids of a set of texts, and each model's greedy continuation of a set of prompts.
/// The tests and <c>generate --self-test</c> check this library against it.
/// </summary>
public sealed class FortuneReference
{
    /// <summary>The reference file's name in the model directory.</summary>
    public const string FileName = "reference.json";

    private FortuneReference(IReadOnlyList<TokenizedText> texts, IReadOnlyList<GreedyContinuation> continuations)
    {
        Texts = texts;
        Continuations = continuations;
    }

    /// <summary>Texts and the ids python-sentencepiece gives them (no beginning-of-sentence marker).</summary>
    public IReadOnlyList<TokenizedText> Texts { get; }

    /// <summary>
    /// Prompts (with the beginning-of-sentence marker) and each model's greedy continuation until &lt;/s&gt; or 40 tokens, with the
    /// text of prompt and continuation together.
    /// </summary>
    public IReadOnlyList<GreedyContinuation> Continuations { get; }

    /// <summary>Reads model/reference.json from <paramref name="directory"/>.</summary>
    /// <exception cref="FileNotFoundException">No reference.json.</exception>
    /// <exception cref="InvalidDataException">It is not what fixtures.py writes.</exception>
    public static FortuneReference Load(string? directory = null)
    {
        string path = Path.Combine(directory ?? FortuneFiles.DefaultDirectory, FileName);
        try
        {
            using JsonDocument document = JsonDocument.Parse(File.ReadAllBytes(path));
            JsonElement root = document.RootElement;
            var texts = root.GetProperty("tokenizer").EnumerateArray()
                .Select(e => new TokenizedText(e.GetProperty("text").GetString()!, Ids(e.GetProperty("ids")))).ToArray();
            var continuations = root.GetProperty("greedy").EnumerateArray()
                .Select(e => new GreedyContinuation(e.GetProperty("prompt").GetString()!, Ids(e.GetProperty("ids")),
                    Ids(e.GetProperty("llama")), e.GetProperty("llama_text").GetString()!, Ids(e.GetProperty("gpt2")), e.GetProperty("gpt2_text").GetString()!))
                .ToArray();
            return new FortuneReference(texts, continuations);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new InvalidDataException($"{path} is not the reference tools/train-generate/fixtures.py writes: {e.Message}", e);
        }
    }

    private static int[] Ids(JsonElement array) => [.. array.EnumerateArray().Select(e => e.GetInt32())];
}

/// <summary>A text and the ids python-sentencepiece gives it.</summary>
public sealed record TokenizedText(string Text, int[] Ids);

/// <summary>A prompt, its ids, and PyTorch's greedy continuation of it by each fortune model: the ids, and the decoded text of prompt and continuation.</summary>
public sealed record GreedyContinuation(string Prompt, int[] PromptIds, int[] Llama, string LlamaText, int[] Gpt2, string Gpt2Text);
