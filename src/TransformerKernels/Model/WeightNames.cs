namespace TransformerKernels;

/// <summary>Which naming convention a checkpoint uses.</summary>
public enum WeightNaming
{
    /// <summary>
    /// PyTorch <c>nn.Transformer</c> / <c>nn.TransformerEncoder</c> / <c>nn.TransformerDecoder</c> state_dict names
    /// (<c>encoder.layers.{i}.self_attn.in_proj_weight</c>, <c>linear1</c>, <c>norm1</c>, …), found at the root or under
    /// a prefix such as <c>transformer.</c>, plus <c>src_embedding.weight</c>, <c>tgt_embedding.weight</c> and
    /// <c>generator.weight/bias</c> for models with vocabularies.
    /// </summary>
    PyTorch,

    /// <summary>Hugging Face BERT names (<c>embeddings.word_embeddings.weight</c>, <c>encoder.layer.{i}.attention.self.query.weight</c>, …).</summary>
    Bert,
}
