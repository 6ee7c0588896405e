using System.Globalization;
using System.Text;
using Microsoft.ML.Tokenizers;

namespace TransformerKernels.Embeddings;

/// <summary>
/// The text clean-up of Hugging Face's uncased BERT tokenizer (its BasicTokenizer), as a Microsoft.ML.Tokenizers normalizer:
/// NUL, U+FFFD and every "Other" character (Unicode categories Cc, Cf, Cs, Co, Cn: controls, format characters, private use,
/// unassigned code points and noncharacters such as U+FFFE, as Hugging Face's <c>is_control</c> does) are removed — but tab,
/// line feed and carriage return are whitespace —
/// every whitespace becomes a space, CJK ideographs get spaces around them, the text is lower-cased, decomposed (NFD)
/// and its non-spacing marks removed ("Café" → "cafe"). Microsoft.ML.Tokenizers' own BERT clean-up (2.0.1) deletes tabs and
/// line breaks, which glues the words around them together ("tabs\tand" → "tabsand"), and deletes symbols such as
/// <c>+ = &lt; &gt; ^ $ € ¥</c> and emoji, which the Hugging Face tokenizer keeps; tests/…/tokenizer_cases.json holds
/// the ids of an independent Python implementation that this normalizer and <see cref="BertPreTokenizer"/> reproduce.
/// Special tokens written in the text ("[SEP]", exactly so) pass through unchanged, as Hugging Face matches them before
/// normalizing; the pre-tokenizer keeps them whole. Any string is accepted: lone surrogates (which no Hugging Face tokenizer
/// can be given) are removed like U+FFFD, and nothing here throws.
/// </summary>
/// <remarks>
/// The uncased defaults are those of <c>bert-base-uncased</c>; a cased model (<c>do_lower_case</c> false) keeps case and, unless
/// <c>strip_accents</c> says otherwise, accents — Hugging Face's rule: accents are stripped when <c>strip_accents</c> is true, or
/// when it is unset and the text is lower-cased.
/// </remarks>
public sealed class BertTextNormalizer : Normalizer
{
    /// <summary>The special tokens of BERT's vocabulary, matched case-sensitively in the raw text.</summary>
    public static readonly string[] DefaultSpecialTokens = ["[CLS]", "[SEP]", "[PAD]", "[MASK]", "[UNK]"];

    private readonly string[] _specialTokens;
    private readonly bool _lowerCase, _stripAccents, _splitCjk;

    /// <summary>The uncased BERT normalization (lower-case, strip accents, split CJK ideographs) with BERT's special tokens.</summary>
    public BertTextNormalizer() : this(lowerCase: true, stripAccents: null, splitCjk: true, DefaultSpecialTokens)
    {
    }

    /// <summary>A normalization configured as a Hugging Face tokenizer's files configure it.</summary>
    /// <param name="lowerCase"><c>do_lower_case</c> / the BertNormalizer's <c>lowercase</c>.</param>
    /// <param name="stripAccents"><c>strip_accents</c>: null follows <paramref name="lowerCase"/>.</param>
    /// <param name="splitCjk"><c>tokenize_chinese_chars</c> / <c>handle_chinese_chars</c>.</param>
    /// <param name="specialTokens">Tokens matched whole in the raw text before anything else.</param>
    public BertTextNormalizer(bool lowerCase, bool? stripAccents, bool splitCjk, IEnumerable<string> specialTokens)
    {
        ArgumentNullException.ThrowIfNull(specialTokens);
        _lowerCase = lowerCase;
        _stripAccents = stripAccents ?? lowerCase;
        _splitCjk = splitCjk;
        // Longest first, so that a special token that starts another ("[SEP]" inside "[SEP2]") cannot hide it.
        _specialTokens = [.. specialTokens.Where(t => !string.IsNullOrEmpty(t)).Distinct(StringComparer.Ordinal).OrderByDescending(t => t.Length)];
    }

    /// <summary>The special tokens matched in the raw text.</summary>
    public IReadOnlyList<string> SpecialTokens => _specialTokens;

    /// <inheritdoc/>
    public override string Normalize(string original) => Normalize(original.AsSpan());

    /// <inheritdoc/>
    public override string Normalize(ReadOnlySpan<char> original)
    {
        var result = new StringBuilder(original.Length + 8);
        int plainStart = 0;
        for (int i = 0; i < original.Length; i++)
        {
            if (StartsSpecialToken(original[i]) && SpecialTokenAt(original[i..]) is { } special)
            {
                AppendPlain(result, original[plainStart..i]);
                result.Append(' ').Append(special).Append(' ');
                i += special.Length - 1;
                plainStart = i + 1;
            }
        }
        AppendPlain(result, original[plainStart..]);
        return result.ToString();
    }

    /// <summary>Whether some special token starts with <paramref name="c"/> (the cheap test before <see cref="SpecialTokenAt"/>).</summary>
    public bool StartsSpecialToken(char c)
    {
        foreach (string special in _specialTokens)
        {
            if (special[0] == c)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>The special token <paramref name="text"/> starts with, if any.</summary>
    public string? SpecialTokenAt(ReadOnlySpan<char> text)
    {
        foreach (string special in _specialTokens)
        {
            if (text.StartsWith(special, StringComparison.Ordinal))
            {
                return special;
            }
        }
        return null;
    }

    private void AppendPlain(StringBuilder result, ReadOnlySpan<char> original)
    {
        if (original.IsEmpty)
        {
            return;
        }
        var cleaned = new StringBuilder(original.Length + 8);
        foreach (Rune rune in original.EnumerateRunes())
        {
            int value = rune.Value;
            if (value == 0 || value == 0xFFFD || IsControl(rune))
            {
                continue;
            }
            if (IsWhitespace(rune))
            {
                cleaned.Append(' ');
            }
            else if (_splitCjk && IsCjkIdeograph(value))
            {
                cleaned.Append(' ').Append(rune.ToString()).Append(' ');
            }
            else
            {
                cleaned.Append(rune.ToString());
            }
        }
        string text = _lowerCase ? cleaned.ToString().ToLowerInvariant() : cleaned.ToString();
        if (!_stripAccents)
        {
            result.Append(text);
            return;
        }
        foreach (Rune rune in Decompose(text).EnumerateRunes())
        {
            if (Rune.GetUnicodeCategory(rune) != UnicodeCategory.NonSpacingMark)
            {
                result.Append(rune.ToString());
            }
        }
    }

    /// <summary>
    /// NFD. The clean-up above leaves only assigned, well-formed characters, which normalization accepts; should the ICU
    /// data behind <see cref="string.Normalize(NormalizationForm)"/> still refuse one (its Unicode version can differ from
    /// .NET's character table), the text is decomposed rune by rune and a refused rune is dropped, as an unassigned one is.
    /// </summary>
    private static string Decompose(string text)
    {
        try
        {
            return text.Normalize(NormalizationForm.FormD);
        }
        catch (ArgumentException)
        {
            var result = new StringBuilder(text.Length + 8);
            foreach (Rune rune in text.EnumerateRunes())
            {
                try
                {
                    result.Append(rune.ToString().Normalize(NormalizationForm.FormD));
                }
                catch (ArgumentException)
                {
                }
            }
            return result.ToString();
        }
    }

    /// <summary>Space, tab, line feed, carriage return and every space separator (Zs).</summary>
    public static bool IsWhitespace(Rune rune) =>
        rune.Value is ' ' or '\t' or '\n' or '\r' || Rune.GetUnicodeCategory(rune) == UnicodeCategory.SpaceSeparator;

    /// <summary>
    /// Every "Other" character — control (Cc), format (Cf), surrogate (Cs), private use (Co), unassigned (Cn) — other than
    /// tab, line feed and carriage return: Hugging Face's <c>is_control</c> in its BERT normalizer.
    /// </summary>
    public static bool IsControl(Rune rune) =>
        rune.Value is not ('\t' or '\n' or '\r') && Rune.GetUnicodeCategory(rune) is UnicodeCategory.Control or UnicodeCategory.Format
            or UnicodeCategory.Surrogate or UnicodeCategory.PrivateUse or UnicodeCategory.OtherNotAssigned;

    /// <summary>The CJK Unified Ideographs blocks and their extensions and compatibility blocks, as BERT lists them (not kana or Hangul).</summary>
    public static bool IsCjkIdeograph(int value) =>
        value is >= 0x4E00 and <= 0x9FFF or >= 0x3400 and <= 0x4DBF or >= 0x20000 and <= 0x2A6DF or >= 0x2A700 and <= 0x2B73F
            or >= 0x2B740 and <= 0x2B81F or >= 0x2B820 and <= 0x2CEAF or >= 0xF900 and <= 0xFAFF or >= 0x2F800 and <= 0x2FA1F;
}
