using TransformerKernels.Tokenizers;

namespace TransformerKernels.Embeddings.Tests;

/// <summary>
/// A RoBERTa sentence-transformers directory (byte-level BPE in vocab.json + merges.txt, &lt;s&gt; … &lt;/s&gt;, positions
/// from pad_token_id + 1, mean pooling + Normalize) against tools/fixtures/sentence_roberta.py's float64 PyTorch reference:
/// token ids exactly, embeddings within 1e-4.
/// </summary>
public sealed class RobertaSentenceTransformerTests
{
    private const string Fixture = "st-roberta";

    [Fact]
    public void EmbeddingsMatchThePyTorchReference()
    {
        using var model = SentenceTransformer<TinyRoberta>.Load(Fixtures.Directory(Fixture));
        Assert.IsType<RobertaTokenizer>(model.Tokenizer);
        SentenceTransformerParityTests<TinyRoberta>.AssertMatchesReference(model, Fixture, new SentencePooling(PoolingMode.Mean, true), 24);
    }

    [Fact]
    public void TheFramingTokensComeFromTheTokenizerConfig()
    {
        RobertaTokenizer tokenizer = RobertaTokenizer.FromDirectory(Path.Combine(Fixtures.Directory(Fixture), "0_Transformer"));
        Assert.Equal((0, 2, 1), (tokenizer.ClassificationTokenId, tokenizer.SeparatorTokenId, tokenizer.PaddingTokenId));
        Assert.Equal(381, tokenizer.VocabularySize);
        Assert.Equal([0, 2], tokenizer.Encode("", 24));
        Assert.Equal([0, 2, 2], tokenizer.Encode("</s>", 24)); // a special token in text stays one token, as in Hugging Face
        Assert.Equal(5, tokenizer.Encode("The cat sat on the mat.", 5).Length);
    }

    [Fact]
    public void ARobertaDirectoryWithoutItsTokenizerNamesTheFilesLookedFor()
    {
        string directory = Fixtures.Copy(Fixture);
        File.Delete(Path.Combine(directory, "0_Transformer", "merges.txt"));
        TokenizerFileException e = Assert.Throws<TokenizerFileException>(() => SentenceTransformer<TinyRoberta>.Load(directory));
        Assert.Contains("merges.txt", e.Message);
    }

    [Fact]
    public void ARobertaConfigOfAnotherPositionTableIsRefusedByField()
    {
        string directory = Fixtures.Copy(Fixture);
        string config = Path.Combine(directory, "0_Transformer", "config.json");
        File.WriteAllText(config, File.ReadAllText(config).Replace("\"max_position_embeddings\": 26", "\"max_position_embeddings\": 24", StringComparison.Ordinal));
        ModelConfigurationException e = Assert.Throws<ModelConfigurationException>(() => SentenceTransformer<TinyRoberta>.Load(directory));
        Assert.Equal("max_position_embeddings", e.Field);
    }

    [Fact]
    public void AnXlmRobertaDirectoryIsRefusedByModelType()
    {
        string directory = Fixtures.Copy(Fixture);
        string config = Path.Combine(directory, "0_Transformer", "config.json");
        File.WriteAllText(config, File.ReadAllText(config).Replace("\"model_type\": \"roberta\"", "\"model_type\": \"xlm-roberta\"", StringComparison.Ordinal));
        UnsupportedModelException e = Assert.Throws<UnsupportedModelException>(() => SentenceTransformer<TinyRoberta>.Load(directory));
        Assert.Equal("model_type", e.Field);
        Assert.Contains("SentencePiece", e.Message);
    }
}
