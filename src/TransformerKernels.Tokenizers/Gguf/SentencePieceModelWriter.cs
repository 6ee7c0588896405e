using System.Text;

namespace TransformerKernels.Tokenizers;

/// <summary>
/// Writes a SentencePiece model (the protobuf ModelProto of a tokenizer.model file) from pieces, scores and types, so that
/// a tokenizer a GGUF file describes piece by piece can be read by Microsoft.ML.Tokenizers' SentencePiece reader. Only the
/// fields that reader uses are written, with the field numbers of sentencepiece_model.proto: ModelProto.pieces (1),
/// trainer_spec (2), normalizer_spec (3); SentencePiece.piece (1), score (2), type (3); TrainerSpec.model_type (3),
/// byte_fallback (35), unk_id (40), bos_id (41), eos_id (42), pad_id (43), unk/bos/eos/pad pieces (45–48);
/// NormalizerSpec.name (1), add_dummy_prefix (3), remove_extra_whitespaces (4), escape_whitespaces (5).
/// </summary>
internal static class SentencePieceModelWriter
{
    /// <summary>SentencePiece's model types (TrainerSpec.ModelType).</summary>
    public const int Bpe = 2;

    public static byte[] Write(IReadOnlyList<string> pieces, IReadOnlyList<float> scores, IReadOnlyList<int> types, SentencePieceSettings settings)
    {
        var model = new MemoryStream();
        var piece = new MemoryStream();
        for (int i = 0; i < pieces.Count; i++)
        {
            piece.SetLength(0);
            WriteString(piece, 1, pieces[i]);
            WriteFloat(piece, 2, scores[i]);
            WriteVarintField(piece, 3, (ulong)types[i]);
            WriteBytes(model, 1, piece.ToArray());
        }
        var trainer = new MemoryStream();
        WriteVarintField(trainer, 3, Bpe);
        WriteVarintField(trainer, 4, (ulong)pieces.Count);
        WriteVarintField(trainer, 35, settings.ByteFallback ? 1UL : 0UL);
        WriteSigned(trainer, 40, settings.UnknownId);
        WriteSigned(trainer, 41, settings.BeginningId);
        WriteSigned(trainer, 42, settings.EndId);
        WriteSigned(trainer, 43, settings.PaddingId);
        WriteString(trainer, 45, PieceOr(pieces, settings.UnknownId, "<unk>"));
        WriteString(trainer, 46, PieceOr(pieces, settings.BeginningId, "<s>"));
        WriteString(trainer, 47, PieceOr(pieces, settings.EndId, "</s>"));
        WriteString(trainer, 48, PieceOr(pieces, settings.PaddingId, "<pad>"));
        WriteBytes(model, 2, trainer.ToArray());
        var normalizer = new MemoryStream();
        WriteString(normalizer, 1, "identity");
        WriteVarintField(normalizer, 3, settings.AddDummyPrefix ? 1UL : 0UL);
        WriteVarintField(normalizer, 4, settings.RemoveExtraWhitespaces ? 1UL : 0UL);
        WriteVarintField(normalizer, 5, 1); // escape_whitespaces: spaces become ▁, as every Llama-family model has them
        WriteBytes(model, 3, normalizer.ToArray());
        return model.ToArray();
    }

    private static string PieceOr(IReadOnlyList<string> pieces, int id, string fallback) => id >= 0 && id < pieces.Count ? pieces[id] : fallback;

    private static void WriteTag(Stream stream, int field, int wireType) => WriteVarint(stream, ((ulong)field << 3) | (uint)wireType);

    private static void WriteVarintField(Stream stream, int field, ulong value)
    {
        WriteTag(stream, field, 0);
        WriteVarint(stream, value);
    }

    // int32 fields carry negative values (-1: no such token) as ten-byte varints, protobuf's two's-complement rule.
    private static void WriteSigned(Stream stream, int field, int value) => WriteVarintField(stream, field, unchecked((ulong)(long)value));

    private static void WriteFloat(Stream stream, int field, float value)
    {
        WriteTag(stream, field, 5);
        Span<byte> bytes = stackalloc byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteSingleLittleEndian(bytes, value);
        stream.Write(bytes);
    }

    private static void WriteString(Stream stream, int field, string value) => WriteBytes(stream, field, Encoding.UTF8.GetBytes(value));

    private static void WriteBytes(Stream stream, int field, byte[] value)
    {
        WriteTag(stream, field, 2);
        WriteVarint(stream, (ulong)value.Length);
        stream.Write(value);
    }

    private static void WriteVarint(Stream stream, ulong value)
    {
        while (value >= 0x80)
        {
            stream.WriteByte((byte)(value | 0x80));
            value >>= 7;
        }
        stream.WriteByte((byte)value);
    }
}

/// <summary>The settings of a SentencePiece model that GGUF metadata gives (ids −1 where the file names none).</summary>
internal sealed record SentencePieceSettings(int UnknownId, int BeginningId, int EndId, int PaddingId, bool ByteFallback, bool AddDummyPrefix, bool RemoveExtraWhitespaces);
