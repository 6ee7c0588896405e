using TransformerKernels.MiniLM;

// TEMPORARY until SentenceEmbedder.IsEmpty lands (server branch): the same rule, a text with no tokens but [CLS] and [SEP].
internal static class EmptyText
{
    public static bool IsEmpty(this SentenceEmbedder embedder, string text) => embedder.Tokenize(text).Length <= 2;
}
