namespace TransformerKernels.Embeddings.Tests;

/// <summary>A damaged or unsupported directory is refused with a typed exception naming the file (and the field).</summary>
public class DirectoryErrorTests
{
    private static T Refused<T>(string directory) where T : Exception =>
        Assert.Throws<T>(() => SentenceTransformer<TinyBert>.Load(directory).Dispose());

    [Fact]
    public void MissingModulesJsonIsNamed()
    {
        string directory = Fixtures.Copy(Fixtures.Cls);
        File.Delete(Path.Combine(directory, "modules.json"));
        ModelFileException e = Refused<ModelFileException>(directory);
        Assert.Equal(Path.Combine(directory, "modules.json"), e.FilePath);
        Assert.Contains("missing", e.Message);
    }

    [Theory]
    [InlineData("pooling_mode_weightedmean_tokens")]
    [InlineData("pooling_mode_mean_sqrt_len_tokens")]
    [InlineData("pooling_mode_lasttoken")]
    public void AnUnsupportedPoolingModeIsRefusedByField(string field)
    {
        string directory = Fixtures.Copy(Fixtures.Cls);
        string config = Path.Combine(directory, "1_Pooling", "config.json");
        File.WriteAllText(config, File.ReadAllText(config).Replace($"\"{field}\": false", $"\"{field}\": true", StringComparison.Ordinal));
        UnsupportedModelException e = Refused<UnsupportedModelException>(directory);
        Assert.Equal(field, e.Field);
        Assert.Equal(config, e.FilePath);
    }

    [Fact]
    public void TwoPoolingModesAtOnceAreRefused()
    {
        string directory = Fixtures.Copy(Fixtures.Cls);
        string config = Path.Combine(directory, "1_Pooling", "config.json");
        File.WriteAllText(config, File.ReadAllText(config).Replace("\"pooling_mode_mean_tokens\": false", "\"pooling_mode_mean_tokens\": true", StringComparison.Ordinal));
        Assert.Contains("both true", Refused<UnsupportedModelException>(directory).Message);
    }

    [Fact]
    public void AnUnsupportedModuleIsRefused()
    {
        string directory = Fixtures.Copy(Fixtures.Cls);
        string modules = Path.Combine(directory, "modules.json");
        File.WriteAllText(modules, File.ReadAllText(modules).TrimEnd().TrimEnd(']') + ", {\"idx\": 2, \"name\": \"2\", \"path\": \"2_Dense\", \"type\": \"sentence_transformers.models.Dense\"}]");
        UnsupportedModelException e = Refused<UnsupportedModelException>(directory);
        Assert.Contains("Dense", e.Message);
    }

    [Fact]
    public void AVocabularyThatIsNotUtf8IsNamed()
    {
        string directory = Fixtures.Copy(Fixtures.Cls);
        string vocab = Path.Combine(directory, "vocab.txt");
        byte[] bytes = File.ReadAllBytes(vocab);
        bytes[40] = 0xFF;
        File.WriteAllBytes(vocab, bytes);
        ModelFileException e = Refused<ModelFileException>(directory);
        Assert.Equal(vocab, e.FilePath);
        Assert.Contains("UTF-8", e.Message);
    }

    [Fact]
    public void AVocabularyWithoutTheClassificationTokenIsNamed()
    {
        string directory = Fixtures.Copy(Fixtures.Cls);
        string vocab = Path.Combine(directory, "vocab.txt");
        File.WriteAllText(vocab, File.ReadAllText(vocab).Replace("[CLS]\n", "[CLX]\n", StringComparison.Ordinal));
        ModelFileException e = Refused<ModelFileException>(directory);
        Assert.Equal(vocab, e.FilePath);
        Assert.Contains("[CLS]", e.Message);
    }

    [Fact]
    public void AVocabularyWithATokenTwiceIsNamed()
    {
        string directory = Fixtures.Copy(Fixtures.Cls);
        string vocab = Path.Combine(directory, "vocab.txt");
        File.WriteAllText(vocab, File.ReadAllText(vocab).Replace("[unused0]\n", "cat\n", StringComparison.Ordinal));
        ModelFileException e = Refused<ModelFileException>(directory);
        Assert.Equal(vocab, e.FilePath);
        Assert.Contains("'cat' twice", e.Message);
    }

    [Fact]
    public void NoVocabularyAtAllIsNamed()
    {
        string directory = Fixtures.Copy(Fixtures.Cls);
        File.Delete(Path.Combine(directory, "vocab.txt"));
        Assert.Equal(Path.Combine(directory, "vocab.txt"), Refused<ModelFileException>(directory).FilePath);
    }

    [Fact]
    public void ATruncatedTokenizerJsonIsNamed()
    {
        string directory = Fixtures.Copy(Fixtures.MeanNormalize);
        string tokenizer = Path.Combine(directory, "0_Transformer", "tokenizer.json");
        byte[] bytes = File.ReadAllBytes(tokenizer);
        File.WriteAllBytes(tokenizer, bytes[..(bytes.Length / 2)]);
        ModelFileException e = Refused<ModelFileException>(directory);
        Assert.Equal(tokenizer, e.FilePath);
        Assert.Contains("JSON", e.Message);
    }

    [Fact]
    public void ATokenizerJsonOfAnotherModelTypeIsRefused()
    {
        string directory = Fixtures.Copy(Fixtures.MeanNormalize);
        string tokenizer = Path.Combine(directory, "0_Transformer", "tokenizer.json");
        File.WriteAllText(tokenizer, File.ReadAllText(tokenizer).Replace("\"type\": \"WordPiece\"", "\"type\": \"BPE\"", StringComparison.Ordinal));
        Assert.Equal("model.type", Refused<UnsupportedModelException>(directory).Field);
    }

    [Fact]
    public void AConfigOfAnotherShapeIsRefusedByField()
    {
        string directory = Fixtures.Copy(Fixtures.Cls);
        string config = Path.Combine(directory, "config.json");
        File.WriteAllText(config, File.ReadAllText(config).Replace("\"hidden_size\": 32", "\"hidden_size\": 48", StringComparison.Ordinal));
        ModelConfigurationException e = Refused<ModelConfigurationException>(directory);
        Assert.Equal("hidden_size", e.Field);
        Assert.Equal("48", e.Actual);
    }

    [Fact]
    public void AMaxSeqLengthBeyondTheDeclarationIsRefused()
    {
        string directory = Fixtures.Copy(Fixtures.Cls);
        File.WriteAllText(Path.Combine(directory, "sentence_bert_config.json"), "{\"max_seq_length\": 33, \"do_lower_case\": false}");
        Assert.Equal("max_seq_length", Refused<ModelConfigurationException>(directory).Field);
    }

    [Fact]
    public void MissingWeightsAreRefused()
    {
        string directory = Fixtures.Copy(Fixtures.Cls);
        File.Delete(Path.Combine(directory, "model.safetensors"));
        Refused<FileNotFoundException>(directory);
    }
}
