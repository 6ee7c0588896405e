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

/// <summary>
/// PyTorch's logits for a few prompts of one fortune model (model/self-test-logits.safetensors, copied out of the parity
/// fixtures by tools/train-generate/self_test_logits.py): after the prefill of each prompt, and after each of its first
/// greedy tokens fed back through the cache. <c>generate --self-test</c> compares them, which catches what greedy tokens
/// hide (a rotary θ a few percent off, a cache position off by one, rounding in another place).
/// </summary>
public sealed class ReferenceLogits
{
    /// <summary>The file's name in the model directory.</summary>
    public const string FileName = "self-test-logits.safetensors";

    private ReferenceLogits(int[][] prompts, int[][] continuations, float[] logits, int steps)
    {
        Prompts = prompts;
        Continuations = continuations;
        Logits = logits;
        Steps = steps;
    }

    /// <summary>The prompts' ids (with the beginning-of-sentence marker).</summary>
    public int[][] Prompts { get; }

    /// <summary>Each prompt's first <see cref="Steps"/> greedy tokens.</summary>
    public int[][] Continuations { get; }

    /// <summary>Logits [prompt, step, vocabulary]: step 0 after the prefill, step s after feeding greedy token s − 1.</summary>
    public float[] Logits { get; }

    /// <summary>Rows of logits per prompt.</summary>
    public int Steps { get; }

    /// <summary>Reads the logits of <paramref name="model"/> ("llama" or "gpt2") from <paramref name="directory"/>.</summary>
    /// <exception cref="FileNotFoundException">No self-test-logits.safetensors.</exception>
    /// <exception cref="InvalidDataException">It does not hold what self_test_logits.py writes for that model.</exception>
    public static ReferenceLogits Load(string directory, string model)
    {
        string path = Path.Combine(directory, FileName);
        using SafeTensorsFile file = SafeTensorsFile.Open(path);
        try
        {
            int[] Ints(string name) => [.. file.ReadArray($"{model}.{name}").Select(v => (int)v)];
            int[] ids = Ints("prompts"), lengths = Ints("prompt_lengths"), continuations = Ints("continuations");
            int steps = continuations.Length / lengths.Length;
            var prompts = new int[lengths.Length][];
            for (int k = 0, offset = 0; k < lengths.Length; offset += lengths[k], k++)
            {
                prompts[k] = ids[offset..(offset + lengths[k])];
            }
            int[][] greedy = [.. Enumerable.Range(0, lengths.Length).Select(k => continuations[(k * steps)..((k + 1) * steps)])];
            return new ReferenceLogits(prompts, greedy, file.ReadArray($"{model}.step_logits"), steps);
        }
        catch (Exception e) when (e is KeyNotFoundException or ArgumentException or IndexOutOfRangeException)
        {
            throw new InvalidDataException($"{path} does not hold the '{model}' logits tools/train-generate/self_test_logits.py writes: {e.Message}", e);
        }
    }
}
