namespace TransformerKernels;

// The encoder's calls, shared by the kinds with an encoder (EncoderModel and those derived from it).
public abstract unsafe partial class TransformerModel<TSelf>
{
    /// <summary>Encoder blocks 1…N over a padded batch, then the encoder's final norm if any.</summary>
    private protected void RunEncoder(float* x, int batch, int length, ReadOnlySpan<int> sourceLengths)
    {
        for (int layer = 0; layer < _encoderLayers; layer++)
        {
            TSelf.EncoderBlock(x, batch, length, sourceLengths, _weights.Encoder[layer], _state.Scratch);
        }
        if (_weights.EncoderNorm is { } norm)
        {
            TSelf.Normalize(x, norm.Gamma, norm.Beta, batch * length);
        }
    }

    /// <summary>Encoder blocks 1…N over sequences packed back to back (<paramref name="rows"/> in all), then the final norm if any.</summary>
    private protected void RunEncoderPacked(float* x, ReadOnlySpan<int> lengths, int rows)
    {
        for (int layer = 0; layer < _encoderLayers; layer++)
        {
            TSelf.EncoderBlockPacked(x, lengths, _weights.Encoder[layer], _state.Scratch);
        }
        if (_weights.EncoderNorm is { } norm)
        {
            TSelf.Normalize(x, norm.Gamma, norm.Beta, rows);
        }
    }

    /// <summary>The float-level encoder (EncodeEmbeddings), inside a call.</summary>
    private protected void EncodeEmbeddingsCore(ReadOnlySpan<float> source, int batch, int length, ReadOnlySpan<int> sourceLengths, Span<float> memory)
    {
        CheckBatch(batch, length, sourceLengths, nameof(sourceLengths));
        CheckSpan(source.Length, (long)batch * length * _dModel, nameof(source), exact: true);
        CheckSpan(memory.Length, (long)batch * length * _dModel, nameof(memory), exact: false);
        // The encoder runs in place on the output: copy the input there first.
        source.CopyTo(memory);
        fixed (float* x = memory)
        {
            RunEncoder(x, batch, length, sourceLengths);
        }
    }

    /// <summary>Token ids [batch, length] → hidden states (Encode), inside a call.</summary>
    private protected void EncodeCore(ReadOnlySpan<int> ids, int batch, int length, ReadOnlySpan<int> lengths, Span<float> hidden, ReadOnlySpan<int> tokenTypes)
    {
        CheckBatch(batch, length, lengths, nameof(lengths));
        CheckSpan(ids.Length, (long)batch * length, nameof(ids), exact: true);
        CheckIds(ids, _encoderVocab, nameof(ids));
        CheckTokenTypes(tokenTypes, ids.Length);
        CheckSpan(hidden.Length, (long)batch * length * _dModel, nameof(hidden), exact: false);
        fixed (float* x = hidden)
        {
            for (int b = 0; b < batch; b++)
            {
                Embed(_weights.SourceEmbedding!.Pointer, ids.Slice(b * length, length), 0, tokenTypes.IsEmpty ? default : tokenTypes.Slice(b * length, length), x + (long)b * length * _dModel);
            }
            RunEncoder(x, batch, length, lengths);
        }
    }

    /// <summary>Packed sequences of token ids → hidden states back to back (EncodePacked), inside a call.</summary>
    private protected void EncodePackedCore(ReadOnlySpan<int> ids, ReadOnlySpan<int> lengths, Span<float> hidden, ReadOnlySpan<int> tokenTypes)
    {
        ThrowIfDisposed();
        if (lengths.IsEmpty)
        {
            throw new ArgumentOutOfRangeException(nameof(lengths), 0, "At least one sequence is needed.");
        }
        long rows = 0;
        foreach (int length in lengths)
        {
            if (length < 1 || length > _maxSeqLen)
            {
                throw new ArgumentOutOfRangeException(nameof(lengths), length, $"Each sequence length must be 1..{_maxSeqLen} (MaxSeqLen).");
            }
            rows += length;
        }
        if (rows > (long)_state.MaxBatch * _maxSeqLen)
        {
            throw new ArgumentOutOfRangeException(nameof(lengths), rows, $"The sequences have {rows} tokens; this model holds {(long)_state.MaxBatch * _maxSeqLen} (maxBatch × MaxSeqLen).");
        }
        CheckSpan(ids.Length, rows, nameof(ids), exact: true);
        CheckIds(ids, _encoderVocab, nameof(ids));
        CheckTokenTypes(tokenTypes, ids.Length);
        CheckSpan(hidden.Length, rows * _dModel, nameof(hidden), exact: false);
        fixed (float* x = hidden)
        {
            for (int b = 0, first = 0; b < lengths.Length; first += lengths[b], b++)
            {
                Embed(_weights.SourceEmbedding!.Pointer, ids.Slice(first, lengths[b]), 0, tokenTypes.IsEmpty ? default : tokenTypes.Slice(first, lengths[b]), x + (long)first * _dModel);
            }
            RunEncoderPacked(x, lengths, (int)rows);
        }
    }

    /// <summary>Token types, when given, are one per id and within the model's TokenTypes (0 and 1 mean one type).</summary>
    private void CheckTokenTypes(ReadOnlySpan<int> tokenTypes, int ids)
    {
        if (!tokenTypes.IsEmpty)
        {
            CheckSpan(tokenTypes.Length, ids, nameof(tokenTypes), exact: true);
            CheckIds(tokenTypes, Math.Max(1, _tokenTypes), nameof(tokenTypes));
        }
    }
}
