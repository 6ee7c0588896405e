using TransformerKernels;

namespace TransformerKernels.ChineseEnglish;

/// <summary>
/// Text in, text out over the declared model: tokenization, decoding, and the step-by-step view. Owns the model: disposing
/// the translator disposes it. Not thread-safe, as the model is not.
/// </summary>
public sealed unsafe class SentenceTranslator(ChineseEnglishTranslator model, Vocabulary vocabulary) : IDisposable
{
    /// <summary>Characters of a sentence quoted in an error message; longer ones are cut with "…".</summary>
    public const int QuotedCharacters = 40;

    /// <summary>
    /// Sentences decoded together by <see cref="TranslateMany"/> when the model is loaded by <see cref="TranslatorFiles.Load"/>:
    /// 8. This model is small (d 128): its GEMMs reach the FMA peak from 4 rows on, so wider batches add no arithmetic
    /// efficiency, only key/value caches that no longer fit in L2 (measured on Zen 4: batches of 4–16 fastest, 64 slower
    /// by 8–10%; see bench/results/translation-batch-zen4.md).
    /// </summary>
    public const int DefaultBatch = 8;

    private readonly int[] _output = new int[ChineseEnglishTranslator.MaxSeqLen];

    /// <summary>The model.</summary>
    public ChineseEnglishTranslator Model => model;

    /// <summary>The vocabularies.</summary>
    public Vocabulary Vocabulary => vocabulary;

    /// <inheritdoc/>
    public void Dispose() => model.Dispose();

    /// <summary>A sentence as an error message quotes it: at most <see cref="QuotedCharacters"/> text elements.</summary>
    public static string Quote(string sentence)
    {
        var elements = System.Globalization.StringInfo.ParseCombiningCharacters(sentence);
        return elements.Length <= QuotedCharacters ? $"\"{sentence}\"" : $"\"{sentence[..elements[QuotedCharacters]]}…\"";
    }

    /// <summary>Turns a sentence into source ids, or says why it cannot be translated.</summary>
    public bool TryParse(string sentence, out int[] ids, out string? problem)
    {
        problem = null;
        if (!vocabulary.TryEncode(sentence, out ids, out string[] unknown))
        {
            string listed = string.Join(", ", unknown.Take(10).Select(c => $"'{c}'")) + (unknown.Length > 10 ? $" and {unknown.Length - 10} more" : "");
            problem = $"cannot translate {Quote(sentence)}: {listed} {(unknown.Length == 1 ? "is" : "are")} not in the model's vocabulary";
        }
        else if (ids.Length == 0)
        {
            problem = "cannot translate an empty sentence";
        }
        else if (ids.Length > ChineseEnglishTranslator.MaxSeqLen)
        {
            problem = $"cannot translate {Quote(sentence)}: {ids.Length} characters, the model takes at most {ChineseEnglishTranslator.MaxSeqLen}";
        }
        return problem is null;
    }

    /// <summary>Greedy (beam 1) or beam-search translation.</summary>
    public string Translate(int[] ids, int beam = 1)
    {
        int count = model.Translate(ids, _output, Vocabulary.Start, Vocabulary.End, beamWidth: beam);
        return vocabulary.Decode(_output.AsSpan(0, count));
    }

    /// <summary>
    /// Translates many sentences at once (<see cref="TranslationModel{TSelf}.TranslateBatch"/>): the same results as
    /// <see cref="Translate"/> one by one, in input order, with the sentences of a batch sharing every pass over the weights.
    /// </summary>
    /// <param name="sentences">Source ids of each sentence (from <see cref="TryParse"/>).</param>
    /// <param name="beam">1: greedy; more: beam search.</param>
    public string[] TranslateMany(IReadOnlyList<int[]> sentences, int beam = 1)
    {
        ArgumentNullException.ThrowIfNull(sentences);
        if (sentences.Count == 0)
        {
            return [];
        }
        int[] lengths = sentences.Select(s => s.Length).ToArray();
        int[] sources = sentences.SelectMany(s => s).ToArray();
        int limit = ChineseEnglishTranslator.MaxSeqLen;
        var targets = new int[sentences.Count * limit];
        var targetLengths = new int[sentences.Count];
        model.TranslateBatch(sources, lengths, targets, targetLengths, Vocabulary.Start, Vocabulary.End, beamWidth: beam);
        return Enumerable.Range(0, sentences.Count).Select(k => vocabulary.Decode(targets.AsSpan(k * limit, targetLengths[k]))).ToArray();
    }

    /// <summary>
    /// Greedy decoding one step at a time, printing each chosen word and its probability to <paramref name="log"/> and
    /// collecting the last decoder block's cross-attention for an SVG heatmap.
    /// </summary>
    public string TranslateStepByStep(int[] ids, TextWriter? log, string? heatmapPath, string sentence)
    {
        int heads = ChineseEnglishTranslator.Heads;
        var attention = new float[heads * ids.Length];
        var rows = new List<float[]>();
        var words = new List<int>();
        model.StartDecoding(ids);
        fixed (float* weights = attention)
        {
            model.CrossAttentionOutput = weights;
            try
            {
                int token = Vocabulary.Start;
                for (int position = 0; position < ChineseEnglishTranslator.MaxSeqLen; position++)
                {
                    Span<float> logits = model.Step(0, token, position);
                    token = RowSoftmax.ArgMax(logits);
                    RowSoftmax.Softmax(logits);
                    log?.WriteLine($"  step {position}: {vocabulary.Word(token),-12} p = {logits[token]:F4}");
                    // Mean over heads: one row of weights over the source characters.
                    var row = new float[ids.Length];
                    for (int h = 0; h < heads; h++)
                    {
                        for (int j = 0; j < ids.Length; j++)
                        {
                            row[j] += attention[h * ids.Length + j] / heads;
                        }
                    }
                    rows.Add(row);
                    if (token == Vocabulary.End)
                    {
                        break;
                    }
                    words.Add(token);
                }
            }
            finally
            {
                model.CrossAttentionOutput = null;
            }
        }
        if (heatmapPath is not null)
        {
            var sourceTokens = System.Globalization.StringInfo.GetTextElementEnumerator(sentence) is var e
                ? Enumerable.Range(0, int.MaxValue).TakeWhile(_ => e.MoveNext()).Select(_ => e.GetTextElement()).Where(c => !string.IsNullOrWhiteSpace(c)).ToList()
                : [];
            var targetTokens = words.Select(vocabulary.Word).Append("</s>").ToList();
            AttentionHeatmap.WriteSvg(heatmapPath, sourceTokens, targetTokens, rows.ToArray());
            log?.WriteLine($"  wrote {heatmapPath}");
        }
        return vocabulary.Decode(words.ToArray());
    }
}
