namespace TransformerKernels.Embeddings.Tests;

/// <summary>The cross-encoder fixture: pair tokenization (longest_first truncation, token types) and scores against PyTorch.</summary>
public class CrossEncoderTests
{
    [Fact]
    public async Task ScoresMatchThePyTorchReference()
    {
        PairCase[] cases = Fixtures.Pairs();
        using var reranker = CrossEncoderReranker<TinyBert>.Load(Fixtures.Directory(Fixtures.CrossEncoder));
        Assert.Equal(32, reranker.MaxSequenceLength);
        Assert.True(reranker.AppliesSigmoid);
        Assert.Contains(cases, c => c.Ids.Length == 32);
        foreach (PairCase c in cases)
        {
            (int[] ids, int[] types) = reranker.Tokenize(c.Query, c.Document);
            Assert.Equal(c.Ids, ids);
            Assert.Equal(c.TokenTypes, types);
        }
        float[] scores = await reranker.ScoreAsync([.. cases.Select(c => (c.Query, c.Document))]);
        for (int i = 0; i < cases.Length; i++)
        {
            Assert.True(Math.Abs(scores[i] - cases[i].Score) < Fixtures.Tolerance, $"pair {i}: {scores[i]} vs {cases[i].Score}");
        }
        Assert.Equal(scores, reranker.Score([.. cases.Select(c => (c.Query, c.Document))]));
    }

    [Fact]
    public async Task RerankOrdersDocumentsByScore()
    {
        PairCase[] cases = [.. Fixtures.Pairs().Where(c => c.Query == "What is the capital of France?")];
        Assert.Equal(2, cases.Length);
        using var reranker = CrossEncoderReranker<TinyBert>.Load(Fixtures.Directory(Fixtures.CrossEncoder));
        var ranked = await reranker.RerankAsync(cases[0].Query, [.. cases.Select(c => c.Document)]);
        int best = cases[0].Score >= cases[1].Score ? 0 : 1;
        Assert.Equal(best, ranked[0].Index);
        Assert.True(ranked[0].Score >= ranked[1].Score);
        Assert.Single(await reranker.RerankAsync(cases[0].Query, [.. cases.Select(c => c.Document)], top: 1));
    }

    [Fact]
    public void AnIdentityActivationGivesTheLogit()
    {
        string directory = Fixtures.Copy(Fixtures.CrossEncoder);
        string config = Path.Combine(directory, "config.json");
        File.WriteAllText(config, File.ReadAllText(config).TrimEnd().TrimEnd('}') + ", \"sentence_transformers\": {\"activation_fn\": \"torch.nn.modules.linear.Identity\"}}");
        PairCase[] cases = Fixtures.Pairs();
        using var reranker = CrossEncoderReranker<TinyBert>.Load(directory);
        float[] logits = reranker.Score([.. cases.Select(c => (c.Query, c.Document))]);
        for (int i = 0; i < cases.Length; i++)
        {
            Assert.True(Math.Abs(logits[i] - cases[i].Logit) < Fixtures.Tolerance, $"pair {i}: {logits[i]} vs {cases[i].Logit}");
        }
    }

    [Fact]
    public void MissingClassifierWeightsAreRefusedByName()
    {
        string directory = Fixtures.Copy(Fixtures.CrossEncoder);
        // The sentence-transformers fixture's weights: a bare BertModel, no classifier.
        File.Copy(Path.Combine(Fixtures.Directory(Fixtures.Cls), "model.safetensors"), Path.Combine(directory, "model.safetensors"), overwrite: true);
        var e = Assert.Throws<ModelWeightsException>(() => CrossEncoderReranker<TinyBert>.Load(directory).Dispose());
        Assert.Contains("classifier", e.TensorName + e.Message);
    }
}
