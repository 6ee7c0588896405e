namespace TransformerKernels;

/// <summary>
/// Greedy decoding of many sequences at once over an <see cref="ITokenDecoder"/>: sequence k decodes in slot k, each step
/// feeds the last token of every sequence still running as one batched step (finished sequences leave the batch, as
/// CTranslate2 does), and picks the most probable next token (softmax is monotonic: the argmax of the logits). Buffers
/// grow on first use and are reused, so steps allocate nothing.
/// </summary>
public sealed class GreedySearch
{
    // Sequence k decodes in slot k, so the live sequences are also the step's slots.
    private int[] _live = [], _tokens = [], _positions = [];

    /// <summary>
    /// Decodes <paramref name="count"/> sequences from <paramref name="startToken"/> until each emits
    /// <paramref name="endToken"/> or reaches <paramref name="maxLength"/> tokens.
    /// </summary>
    /// <param name="decoder">The model, its slots [0, count) prepared (encoder output, empty self-attention caches).</param>
    /// <param name="count">Sequences.</param>
    /// <param name="startToken">The token every sequence starts from.</param>
    /// <param name="endToken">The token that ends a sequence (not written).</param>
    /// <param name="maxLength">Most tokens per sequence.</param>
    /// <param name="outputs">[count, <paramref name="outputStride"/>]: row k receives sequence k's tokens.</param>
    /// <param name="outputStride">Elements per output row (at least <paramref name="maxLength"/>).</param>
    /// <param name="lengths">Receives each sequence's token count [count].</param>
    public void Run(ITokenDecoder decoder, int count, int startToken, int endToken, int maxLength, Span<int> outputs, int outputStride, Span<int> lengths)
    {
        ArgumentNullException.ThrowIfNull(decoder);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLength, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(outputStride, maxLength);
        if (outputs.Length < (long)count * outputStride || lengths.Length < count)
        {
            throw new ArgumentException($"{count} sequences need {(long)count * outputStride} output elements and {count} lengths.", nameof(outputs));
        }
        Grow(count);
        for (int k = 0; k < count; k++)
        {
            _live[k] = k;
            _tokens[k] = startToken;
            lengths[k] = maxLength;
        }
        int live = count, vocabulary = decoder.Vocabulary;
        for (int position = 0; position < maxLength && live > 0; position++)
        {
            _positions.AsSpan(0, live).Fill(position);
            Span<float> logits = decoder.Step(_live.AsSpan(0, live), _tokens.AsSpan(0, live), _positions.AsSpan(0, live));
            int kept = 0;
            for (int i = 0; i < live; i++)
            {
                int sequence = _live[i];
                int token = RowSoftmax.ArgMax(logits.Slice(i * vocabulary, vocabulary));
                if (token == endToken)
                {
                    lengths[sequence] = position;
                    continue;
                }
                outputs[sequence * outputStride + position] = token;
                _live[kept] = sequence;
                _tokens[kept] = token;
                kept++;
            }
            live = kept;
        }
    }

    private void Grow(int count)
    {
        if (_live.Length < count)
        {
            _live = new int[count];
            _tokens = new int[count];
            _positions = new int[count];
        }
    }
}
