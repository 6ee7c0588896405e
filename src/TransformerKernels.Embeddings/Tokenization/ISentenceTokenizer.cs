namespace TransformerKernels.Embeddings;

/// <summary>
/// The tokenizer of a sentence-transformers encoder: a text becomes one sequence framed by the model's classification and
/// separator tokens — <c>[CLS] … [SEP]</c> for BERT's WordPiece (<see cref="BertWordPieceTokenizer"/>), <c>&lt;s&gt; … &lt;/s&gt;</c>
/// for RoBERTa's byte-level BPE (<see cref="RobertaTokenizer"/>) — truncated as Hugging Face's <c>truncation=True</c> does.
/// Implementations are thread-safe.
/// </summary>
public interface ISentenceTokenizer
{
    /// <summary>The file the vocabulary was read from.</summary>
    string VocabularyFile { get; }

    /// <summary>Tokens in the vocabulary: every id is below this.</summary>
    int VocabularySize { get; }

    /// <summary>Id of the token that starts every sequence ([CLS], &lt;s&gt;).</summary>
    int ClassificationTokenId { get; }

    /// <summary>Id of the token that ends every sequence ([SEP], &lt;/s&gt;).</summary>
    int SeparatorTokenId { get; }

    /// <summary>Id of the padding token.</summary>
    int PaddingTokenId { get; }

    /// <summary>The tokenizer's own limit (<c>model_max_length</c>), when it states one.</summary>
    int? ModelMaxLength { get; }

    /// <summary>
    /// The classification token, the text's tokens, the separator token — the text's tokens cut so the whole is at most
    /// <paramref name="maxLength"/> ids (the last ones dropped).
    /// </summary>
    /// <exception cref="ArgumentException">The text cannot be tokenized (code points Unicode normalization refuses).</exception>
    int[] Encode(string text, int maxLength);
}

/// <summary>The one-sequence framing both sentence tokenizers share (Hugging Face's <c>truncation=True</c>).</summary>
internal static class SentenceFraming
{
    /// <summary><paramref name="first"/>, the pieces cut so the whole is at most <paramref name="maxLength"/> ids, <paramref name="last"/>.</summary>
    public static int[] Frame(int first, IReadOnlyList<int> pieces, int last, int maxLength)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLength, 2);
        int kept = Math.Min(pieces.Count, maxLength - 2);
        var ids = new int[kept + 2];
        ids[0] = first;
        for (int i = 0; i < kept; i++)
        {
            ids[i + 1] = pieces[i];
        }
        ids[^1] = last;
        return ids;
    }
}
