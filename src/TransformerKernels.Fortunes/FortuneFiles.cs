namespace TransformerKernels.Fortunes;

/// <summary>
/// Where the trained fortune models live: a directory holding <c>tokenizer.model</c>, <c>llama/</c> (one safetensors
/// file and its config.json), <c>gpt2/</c> (two shards, their index and config.json) and the held-out fortunes. Every
/// project that references this one gets the committed files (src/TransformerKernels.Fortunes/model/) under
/// <c>fortunes/</c> beside its binaries.
/// </summary>
public static class FortuneFiles
{
    /// <summary>The SentencePiece model's file name.</summary>
    public const string TokenizerFileName = "tokenizer.model";

    /// <summary>The held-out fortunes' file name (one per line, never trained on).</summary>
    public const string HeldOutFileName = "heldout.txt";

    /// <summary>The committed models, copied beside the application's binaries.</summary>
    public static string DefaultDirectory => Path.Combine(AppContext.BaseDirectory, "fortunes");

    /// <summary>The Llama-style checkpoint's directory under <paramref name="directory"/>.</summary>
    public static string LlamaDirectory(string? directory = null) => Path.Combine(directory ?? DefaultDirectory, "llama");

    /// <summary>The GPT-2-style checkpoint's directory under <paramref name="directory"/>.</summary>
    public static string Gpt2Directory(string? directory = null) => Path.Combine(directory ?? DefaultDirectory, "gpt2");

    /// <summary>Reads the tokenizer from <paramref name="directory"/>.</summary>
    /// <exception cref="FileNotFoundException">The directory has no tokenizer.model.</exception>
    public static FortuneTokenizer LoadTokenizer(string? directory = null) => FortuneTokenizer.Load(Path.Combine(directory ?? DefaultDirectory, TokenizerFileName));

    /// <summary>Loads the Llama-style model (Hugging Face names; config.json checked) for up to <paramref name="maxBatch"/> sequences.</summary>
    /// <exception cref="ModelConfigurationException">config.json disagrees with <see cref="FortuneLlama"/>'s declaration.</exception>
    /// <exception cref="ModelWeightsException">A tensor is missing, extra or of another shape.</exception>
    public static FortuneLlama LoadLlama(string? directory = null, WeightPrecision precision = WeightPrecision.Fp32, int maxBatch = 8) =>
        FortuneLlama.Load(LlamaDirectory(directory), WeightNaming.Llama, maxBatch: maxBatch, precision: precision);

    /// <summary>Loads the GPT-2-style model from its shards (Hugging Face names; config.json checked).</summary>
    /// <exception cref="ModelConfigurationException">config.json disagrees with <see cref="FortuneGpt2"/>'s declaration.</exception>
    /// <exception cref="ModelWeightsException">A tensor is missing, extra or of another shape.</exception>
    public static FortuneGpt2 LoadGpt2(string? directory = null, WeightPrecision precision = WeightPrecision.Fp32, int maxBatch = 8) =>
        FortuneGpt2.Load(Gpt2Directory(directory), WeightNaming.Gpt2, maxBatch: maxBatch, precision: precision);
}
