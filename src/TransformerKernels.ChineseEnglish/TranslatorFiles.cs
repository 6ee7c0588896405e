namespace TransformerKernels.ChineseEnglish;

/// <summary>
/// Where the trained translator lives: a directory holding <c>translator.safetensors</c>, the two vocabularies and the
/// held-out pairs. Every project that references this one gets the committed model under <c>model/</c> beside its
/// binaries; <c>translate --model DIR</c> points at another training run of the same shape.
/// </summary>
public static class TranslatorFiles
{
    /// <summary>The weights' file name.</summary>
    public const string WeightsFileName = "translator.safetensors";

    /// <summary>The held-out test pairs' file name (Chinese, tab, lower-case English per line).</summary>
    public const string HeldOutFileName = "heldout.tsv";

    /// <summary>The committed model, copied beside the application's binaries.</summary>
    public static string DefaultDirectory => Path.Combine(AppContext.BaseDirectory, "model");

    /// <summary>
    /// Loads the vocabularies and the weights from <paramref name="directory"/> and returns them as one translator whose
    /// <see cref="SentenceTranslator.TranslateMany"/> decodes up to <paramref name="maxBatch"/> sentences per batch.
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">No such directory.</exception>
    /// <exception cref="FileNotFoundException">A file is missing.</exception>
    /// <exception cref="InvalidDataException">A vocabulary is empty, damaged or of another size than the declared model's.</exception>
    /// <exception cref="SafeTensorsFormatException">The weights file is truncated, not safetensors, or a directory.</exception>
    /// <exception cref="ModelWeightsException">The weights are of another shape than the declared model.</exception>
    public static SentenceTranslator Load(string? directory = null, WeightPrecision precision = WeightPrecision.Fp32, int maxBatch = SentenceTranslator.DefaultBatch)
    {
        directory ??= DefaultDirectory;
        if (!Directory.Exists(directory))
        {
            throw new DirectoryNotFoundException($"model directory '{directory}' does not exist");
        }
        Vocabulary vocabulary = Vocabulary.Load(directory);
        ChineseEnglishTranslator model = ChineseEnglishTranslator.Load(Path.Combine(directory, WeightsFileName), maxBatch: maxBatch, precision: precision);
        return new SentenceTranslator(model, vocabulary);
    }
}
