using System.Text.Json;

namespace TransformerKernels.Embeddings;

/// <summary>
/// The family of a BERT-like <c>config.json</c>, read before anything else is loaded so a directory of another kind is
/// refused by name. Every shape field (hidden_size … max_position_embeddings, RoBERTa's position offset, ε, activation)
/// is checked against the declaration by the runtime's loader, once, with the attribute property to change.
/// </summary>
internal static class BertConfig
{
    public const string FileName = "config.json";

    /// <summary>Reads <c>config.json</c> in <paramref name="directory"/>; returns its root and the weight naming its family uses.</summary>
    /// <exception cref="ModelFileException">The file is missing or damaged.</exception>
    /// <exception cref="UnsupportedModelException">It is not a BERT or RoBERTa model (model_type, position_embedding_type).</exception>
    /// <exception cref="ModelConfigurationException">The declaration is not a BERT-style encoder.</exception>
    public static JsonElement Check(string directory, ModelShape shape, out WeightNaming naming)
    {
        string path = Path.Combine(directory, FileName);
        JsonElement root = JsonFile.Object(path, JsonFile.Read(path));
        string? type = JsonFile.String(path, root, "model_type");
        naming = type switch
        {
            null or "bert" => WeightNaming.Bert,
            "roberta" => WeightNaming.Roberta,
            "xlm-roberta" => throw new UnsupportedModelException(path, "model_type", "is 'xlm-roberta', whose SentencePiece tokenizer (sentencepiece.bpe.model, fairseq ids) is not read here; BERT (WordPiece) and RoBERTa (byte-level BPE) are."),
            _ => throw new UnsupportedModelException(path, "model_type", $"is '{type}'; this loader reads BERT and RoBERTa checkpoints (model_type \"bert\" or \"roberta\")."),
        };
        if (JsonFile.String(path, root, "position_embedding_type") is { } positions && positions != "absolute")
        {
            throw new UnsupportedModelException(path, "position_embedding_type", $"is '{positions}'; only absolute (learned) positions are supported.");
        }
        if (shape.Positions != PositionEncoding.Learned || shape.Norm != NormPlacement.Post || shape.DecoderLayers != 0)
        {
            throw new ModelConfigurationException(path, "model_type", "BERT (learned positions, post-norm, encoder only)", $"a declaration with {shape.Positions} positions, {shape.Norm}, {shape.DecoderLayers} decoder layers");
        }
        return root;
    }
}
