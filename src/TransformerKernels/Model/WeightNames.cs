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

    /// <summary>
    /// Hugging Face Llama-family names (<c>model.embed_tokens.weight</c>, <c>model.layers.{i}.self_attn.q_proj.weight</c>,
    /// <c>mlp.gate_proj</c>/<c>up_proj</c>/<c>down_proj</c>, <c>input_layernorm</c>, <c>post_attention_layernorm</c>,
    /// <c>model.norm.weight</c>, <c>lm_head.weight</c> — tied to the embeddings when absent), for a declaration with
    /// <c>Norm = RmsNorm, Activation = SwiGlu, Positions = Rotary, EncoderLayers = 0</c>. A <c>config.json</c> beside the
    /// file is checked against the declaration.
    /// </summary>
    Llama,

    /// <summary>
    /// Hugging Face GPT-2 names (<c>wte</c>, <c>wpe</c>, <c>h.{i}.attn.c_attn</c>, <c>h.{i}.mlp.c_fc</c>, <c>ln_f</c>, at the root or
    /// under <c>transformer.</c>; Conv1D weights stored [in, out] are transposed at load; the output projection is tied to
    /// <c>wte</c>), for a declaration with <c>Norm = Pre, Activation = GeluTanh, Positions = Learned, EncoderLayers = 0</c>
    /// and <c>PositionTableSize = n_positions</c>. A <c>config.json</c> beside the file is checked against the declaration.
    /// </summary>
    Gpt2,

    /// <summary>
    /// Hugging Face RoBERTa / XLM-RoBERTa names: BERT's layout under <c>roberta.</c> (or at the root). Its position table
    /// starts pad_token_id + 1 rows in (config.json's <c>pad_token_id</c>, default 1): those rows are dropped at load, so the
    /// declaration's <c>PositionTableSize</c> is max_position_embeddings − pad_token_id − 1 (514 − 2 = 512 for roberta-base).
    /// The masked-LM head (<c>lm_head.*</c>) is not part of the encoder and is ignored.
    /// </summary>
    Roberta,

    /// <summary>
    /// The naming the <c>model_type</c> of the <c>config.json</c> beside the checkpoint calls for — <c>bert</c> →
    /// <see cref="Bert"/>, <c>roberta</c>/<c>xlm-roberta</c> → <see cref="Roberta"/>, <c>llama</c>/<c>mistral</c>/<c>qwen2</c> →
    /// <see cref="Llama"/>, <c>gpt2</c> → <see cref="Gpt2"/> — or <see cref="PyTorch"/> when there is no config.json. Another
    /// model_type is refused with a <see cref="ModelConfigurationException"/> listing the supported ones.
    /// </summary>
    Auto,
}
