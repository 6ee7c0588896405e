namespace TransformerKernels;

// The decoder's calls, shared by the kinds with a decoder: the float-level pass (EncoderDecoderModel, DecoderModel) and the
// batched decoding steps over slots (TranslationModel, LanguageModel).
public abstract unsafe partial class TransformerModel<TSelf>
{
    /// <summary>
    /// The float-level decoder (DecodeEmbeddings), inside a call: each sequence through every decoder block under the causal
    /// mask in slot 0's caches, attending to its <paramref name="memory"/> rows when <paramref name="cross"/>, then the final norm.
    /// </summary>
    private protected void DecodeEmbeddingsCore(ReadOnlySpan<float> target, int batch, int targetLength, bool cross, ReadOnlySpan<float> memory, int memoryLength,
        ReadOnlySpan<int> memoryLengths, Span<float> output)
    {
        CheckBatch(batch, targetLength, default, "lengths");
        CheckSpan(target.Length, (long)batch * targetLength * _dModel, nameof(target), exact: true);
        CheckSpan(output.Length, (long)batch * targetLength * _dModel, nameof(output), exact: false);
        if (cross)
        {
            CheckBatch(batch, memoryLength, memoryLengths, nameof(memoryLengths));
            CheckSpan(memory.Length, (long)batch * memoryLength * _dModel, nameof(memory), exact: true);
        }
        target.CopyTo(output);
        DecoderLayerCache[] caches = _state.Caches(0);
        fixed (float* y0 = output, m0 = memory)
        {
            for (int b = 0; b < batch; b++)
            {
                float* y = y0 + (long)b * targetLength * _dModel;
                if (cross)
                {
                    // Keys and values of this sequence's encoder output, for every block's cross-attention.
                    int valid = memoryLengths.IsEmpty ? memoryLength : memoryLengths[b];
                    for (int layer = 0; layer < _decoderLayers; layer++)
                    {
                        TSelf.PrepareCrossAttention(m0 + (long)b * memoryLength * _dModel, memoryLength, valid, _weights.Decoder[layer], caches[layer], _state.Scratch);
                    }
                }
                int start = 0;
                for (int layer = 0; layer < _decoderLayers; layer++)
                {
                    DecoderLayerCache cache = caches[layer];
                    TSelf.DecoderBlock(y, new ReadOnlySpan<int>(in start), new ReadOnlySpan<int>(in targetLength), new ReadOnlySpan<DecoderLayerCache>(in cache),
                        _weights.Decoder[layer], _state.Scratch, null);
                }
                if (_weights.DecoderNorm is { } norm)
                {
                    TSelf.Normalize(y, norm.Gamma, norm.Beta, targetLength);
                }
            }
        }
    }

    /// <summary>
    /// One decoding step of several rows (Step), inside a call: row i feeds tokens[i] at positions[i] through the decoder of
    /// slot slots[i]. With <paramref name="crossAttention"/>, a single-row step writes the last block's cross-attention weights there.
    /// </summary>
    private protected Span<float> StepCore(scoped ReadOnlySpan<int> slots, scoped ReadOnlySpan<int> tokens, scoped ReadOnlySpan<int> positions, float* crossAttention)
    {
        ThrowIfDisposed();
        int n = slots.Length;
        if (n < 1 || n > ModelRunState.MaxSlots)
        {
            throw new ArgumentOutOfRangeException(nameof(slots), n, $"A step takes 1..{ModelRunState.MaxSlots} rows.");
        }
        if (tokens.Length != n || positions.Length != n)
        {
            throw new ArgumentException($"slots ({n}), tokens ({tokens.Length}) and positions ({positions.Length}) must have one entry per row.", nameof(tokens));
        }
        for (int i = 0; i < n; i++)
        {
            if ((uint)tokens[i] >= _decoderVocab)
            {
                throw new ArgumentOutOfRangeException(nameof(tokens), tokens[i], $"Row {i}: must be a target id in [0, {_decoderVocab}).");
            }
            if ((uint)positions[i] >= _maxSeqLen)
            {
                throw new ArgumentOutOfRangeException(nameof(positions), positions[i], $"Row {i}: must be in [0, {_maxSeqLen}).");
            }
            // Attention reads the slot's cache at positions [0, position): a step may rewrite the last position or extend it, never skip.
            // (A slot out of range is named by the cache lookup below.)
            if ((uint)slots[i] < ModelRunState.MaxSlots && positions[i] > _state.SlotLengths[slots[i]])
            {
                throw new ArgumentOutOfRangeException(nameof(positions), positions[i],
                    $"Row {i}: slot {slots[i]}'s cache holds positions [0, {_state.SlotLengths[slots[i]]}); a step at position {positions[i]} needs [0, {positions[i]}) (prefill the slot, or step from {_state.SlotLengths[slots[i]]}).");
            }
        }
        float* logits = _state.Logits(n);
        // Rows go through in groups the scratch holds (all at once unless the model was created for a small batch).
        for (int first = 0; first < n; first += _state.MaxStepRows)
        {
            int rows = Math.Min(_state.MaxStepRows, n - first);
            float* y = _state.DecoderRows.Pointer;
            for (int i = 0; i < rows; i++)
            {
                Embed(_weights.TargetEmbedding!.Pointer, tokens.Slice(first + i, 1), positions[first + i], default, y + (long)i * _dModel);
            }
            Span<DecoderLayerCache> caches = _state.SegmentCaches.AsSpan(0, rows);
            for (int layer = 0; layer < _decoderLayers; layer++)
            {
                for (int i = 0; i < rows; i++)
                {
                    caches[i] = _state.Caches(slots[first + i])[layer];
                }
                // The last block can report a single row's cross-attention weights (the seed's picture of what attends to what).
                float* weights = n == 1 && layer == _decoderLayers - 1 ? crossAttention : null;
                TSelf.DecoderBlock(y, positions.Slice(first, rows), _state.SegmentLengths.AsSpan(0, rows), caches, _weights.Decoder[layer], _state.Scratch, weights);
            }
            if (_weights.DecoderNorm is { } norm)
            {
                TSelf.Normalize(y, norm.Gamma, norm.Beta, rows);
            }
            // Final linear to the vocabulary.
            TSelf.ProjectToVocabulary(y, rows, _weights.Generator!, logits + (long)first * _decoderVocab);
        }
        for (int i = 0; i < n; i++)
        {
            _state.SlotLengths[slots[i]] = positions[i] + 1;
        }
        return new Span<float>(logits, n * _decoderVocab);
    }

    /// <summary>Copies slot <paramref name="from"/>'s self-attention cache for [0, <paramref name="positions"/>) into slot <paramref name="to"/> (CopySlot), inside a call.</summary>
    private protected void CopySlotCore(int from, int to, int positions)
    {
        DecoderLayerCache[] source = _state.Caches(from), destination = _state.Caches(to);
        if (positions > _state.SlotLengths[from])
        {
            throw new ArgumentOutOfRangeException(nameof(positions), positions, $"Slot {from}'s cache holds positions [0, {_state.SlotLengths[from]}); it cannot give {positions}.");
        }
        for (int layer = 0; layer < _decoderLayers; layer++)
        {
            destination[layer].CopySelfAttentionFrom(source[layer], positions);
        }
        _state.SlotLengths[to] = positions;
    }
}
