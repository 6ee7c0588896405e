using System.Globalization;
using System.Text;
using Microsoft.ML.Tokenizers;

namespace TransformerKernels.Embeddings;

/// <summary>
/// The word split of Hugging Face's BERT BasicTokenizer, on text already cleaned by <see cref="BertTextNormalizer"/>: words
/// are separated by spaces, and each punctuation character is a word of its own. Punctuation is BERT's definition: the
/// ASCII symbols <c>!"#$%&amp;'()*+,-./:;&lt;=&gt;?@[\]^_`{|}~</c> and every Unicode punctuation category (P*); other
/// symbols (€, emoji, ①) stay inside their word, where WordPiece finds them or gives [UNK]. Special tokens that the
/// normalizer let through ("[SEP]") stay whole.
/// </summary>
public sealed class BertPreTokenizer : PreTokenizer
{
    private readonly BertTextNormalizer _normalizer;

    /// <summary>The word split for the uncased normalizer's special tokens.</summary>
    public BertPreTokenizer() : this(new BertTextNormalizer())
    {
    }

    /// <summary>The word split that keeps <paramref name="normalizer"/>'s special tokens whole.</summary>
    public BertPreTokenizer(BertTextNormalizer normalizer) => _normalizer = normalizer ?? throw new ArgumentNullException(nameof(normalizer));

    /// <inheritdoc/>
    public override IEnumerable<(int Offset, int Length)> PreTokenize(string text) => Split(text);

    /// <inheritdoc/>
    public override IEnumerable<(int Offset, int Length)> PreTokenize(ReadOnlySpan<char> text) => Split(text.ToString());

    private List<(int Offset, int Length)> Split(string text)
    {
        var words = new List<(int Offset, int Length)>();
        int start = -1;
        for (int i = 0; i < text.Length;)
        {
            Rune.DecodeFromUtf16(text.AsSpan(i), out Rune rune, out int width);
            if (_normalizer.StartsSpecialToken(text[i]) && _normalizer.SpecialTokenAt(text.AsSpan(i)) is { } special)
            {
                if (start >= 0)
                {
                    words.Add((start, i - start));
                    start = -1;
                }
                words.Add((i, special.Length));
                i += special.Length;
                continue;
            }
            if (rune.Value == ' ' || IsPunctuation(rune))
            {
                if (start >= 0)
                {
                    words.Add((start, i - start));
                    start = -1;
                }
                if (rune.Value != ' ')
                {
                    words.Add((i, width));
                }
            }
            else if (start < 0)
            {
                start = i;
            }
            i += width;
        }
        if (start >= 0)
        {
            words.Add((start, text.Length - start));
        }
        return words;
    }

    /// <summary>BERT's punctuation: the ASCII symbol ranges and every Unicode P* category.</summary>
    public static bool IsPunctuation(Rune rune) =>
        rune.Value is >= 33 and <= 47 or >= 58 and <= 64 or >= 91 and <= 96 or >= 123 and <= 126
        || Rune.GetUnicodeCategory(rune) is UnicodeCategory.ConnectorPunctuation or UnicodeCategory.DashPunctuation
            or UnicodeCategory.OpenPunctuation or UnicodeCategory.ClosePunctuation or UnicodeCategory.InitialQuotePunctuation
            or UnicodeCategory.FinalQuotePunctuation or UnicodeCategory.OtherPunctuation;
}
