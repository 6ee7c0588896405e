namespace TransformerKernels.Oracle;

/// <summary>
/// The scalar oracle: every operation of the seed's Transformer written in the plainest way, with double
/// accumulation and no vectors, so that it is obviously correct. Matrices are float[] in row-major order; weights
/// are in PyTorch's [out, in] layout. Every fast kernel is tested against it.
/// </summary>
public static class Reference
{
    // ---- Input: embeddings and positions ----

    /// <summary>Looks up each id's row of <paramref name="table"/> [vocab, d] and multiplies it by <paramref name="scale"/>.</summary>
    public static float[] Embedding(int[] ids, float[] table, int d, double scale = 1.0)
    {
        var x = new float[ids.Length * d];
        for (int i = 0; i < ids.Length; i++)
        {
            for (int j = 0; j < d; j++)
            {
                x[i * d + j] = (float)(table[ids[i] * d + j] * scale);
            }
        }
        return x;
    }

    /// <summary>PE(pos, 2i) = sin(pos / 10000^(2i/d)), PE(pos, 2i+1) = cos(pos / 10000^(2i/d)); [positions, d].</summary>
    public static float[] SinusoidalPositions(int positions, int d)
    {
        var pe = new float[positions * d];
        for (int pos = 0; pos < positions; pos++)
        {
            for (int i = 0; 2 * i < d; i++)
            {
                double angle = pos / Math.Pow(10000.0, 2.0 * i / d);
                pe[pos * d + 2 * i] = (float)Math.Sin(angle);
                if (2 * i + 1 < d)
                {
                    pe[pos * d + 2 * i + 1] = (float)Math.Cos(angle);
                }
            }
        }
        return pe;
    }

    /// <summary>Learned positions (BERT): x[i] += positions[i] (+ tokenTypes[types[i]]).</summary>
    public static float[] AddLearnedPositions(float[] x, int length, int d, float[] positions, float[]? tokenTypes = null, int[]? types = null)
    {
        var y = (float[])x.Clone();
        for (int i = 0; i < length; i++)
        {
            for (int j = 0; j < d; j++)
            {
                double v = x[i * d + j] + (double)positions[i * d + j];
                if (tokenTypes is not null)
                {
                    v += tokenTypes[(types?[i] ?? 0) * d + j];
                }
                y[i * d + j] = (float)v;
            }
        }
        return y;
    }

    // ---- Linear algebra ----

    /// <summary>y[m, n] = x[m, k]·Wᵀ + b with W [n, k].</summary>
    public static float[] Linear(float[] x, int m, int k, float[] weight, float[]? bias, int n)
    {
        var y = new float[m * n];
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double sum = bias?[j] ?? 0.0;
                for (int t = 0; t < k; t++)
                {
                    sum += (double)x[i * k + t] * weight[j * k + t];
                }
                y[i * n + j] = (float)sum;
            }
        }
        return y;
    }

    /// <summary>Element-wise a + b.</summary>
    public static float[] Add(float[] a, float[] b)
    {
        var y = new float[a.Length];
        for (int i = 0; i < a.Length; i++)
        {
            y[i] = (float)((double)a[i] + b[i]);
        }
        return y;
    }

    // ---- Element-wise functions ----

    /// <summary>ReLU, exact GELU (erf) or tanh GELU, in double.</summary>
    public static float[] Activate(float[] x, Activation activation)
    {
        var y = new float[x.Length];
        for (int i = 0; i < x.Length; i++)
        {
            y[i] = (float)Activate(x[i], activation);
        }
        return y;
    }

    /// <inheritdoc cref="Activate(float[], Activation)"/>
    public static double Activate(double x, Activation activation) => activation switch
    {
        Activation.Relu => Math.Max(0.0, x),
        Activation.Gelu => 0.5 * x * (1.0 + Erf(x / Math.Sqrt(2.0))),
        Activation.GeluTanh => 0.5 * x * (1.0 + Math.Tanh(Math.Sqrt(2.0 / Math.PI) * (x + 0.044715 * x * x * x))),
        _ => throw new ArgumentOutOfRangeException(nameof(activation)),
    };

    /// <summary>erf in double: Maclaurin series below 3, continued fraction for erfc above (error &lt; 1e-13).</summary>
    public static double Erf(double x)
    {
        double a = Math.Abs(x);
        double result;
        if (a < 3.0)
        {
            double term = a, sum = a, x2 = a * a;
            for (int n = 1; n < 200 && Math.Abs(term) > 1e-17 * Math.Abs(sum); n++)
            {
                term *= -x2 / n;
                sum += term / (2 * n + 1);
            }
            result = 2.0 / Math.Sqrt(Math.PI) * sum;
        }
        else
        {
            // erfc(a) = e^{-a²}/√π · 1/(a + (1/2)/(a + 1/(a + (3/2)/(a + 2/(a + ...))))), evaluated from the tail.
            double fraction = a;
            for (int n = 120; n >= 1; n--)
            {
                fraction = a + n / 2.0 / fraction;
            }
            result = 1.0 - Math.Exp(-a * a) / Math.Sqrt(Math.PI) / fraction;
        }
        return x < 0 ? -result : result;
    }

    /// <summary>Softmax of one row, max subtracted for stability.</summary>
    public static float[] Softmax(float[] row)
    {
        double max = double.NegativeInfinity;
        foreach (float v in row)
        {
            max = Math.Max(max, v);
        }
        double sum = 0;
        var e = new double[row.Length];
        for (int i = 0; i < row.Length; i++)
        {
            e[i] = Math.Exp(row[i] - max);
            sum += e[i];
        }
        var y = new float[row.Length];
        for (int i = 0; i < row.Length; i++)
        {
            y[i] = (float)(e[i] / sum);
        }
        return y;
    }

    /// <summary>Softmax over each of <paramref name="rows"/> rows of <paramref name="width"/>.</summary>
    public static float[] SoftmaxRows(float[] x, int rows, int width)
    {
        var y = new float[x.Length];
        for (int r = 0; r < rows; r++)
        {
            Softmax(x[(r * width)..((r + 1) * width)]).CopyTo(y, r * width);
        }
        return y;
    }

    // ---- Normalization ----

    /// <summary>RMSNorm over each row of d, as Llama: x/√(mean(x²) + ε)·γ (no mean, no β).</summary>
    public static float[] RmsNorm(float[] x, int rows, int d, float[] gamma, double epsilon)
    {
        var y = new float[rows * d];
        for (int r = 0; r < rows; r++)
        {
            double squares = 0;
            for (int j = 0; j < d; j++)
            {
                squares += (double)x[r * d + j] * x[r * d + j];
            }
            double inverse = 1.0 / Math.Sqrt(squares / d + epsilon);
            for (int j = 0; j < d; j++)
            {
                y[r * d + j] = (float)(x[r * d + j] * inverse * gamma[j]);
            }
        }
        return y;
    }

    /// <summary>The norm of a pre-norm block: LayerNorm, or RMSNorm (β unused) for <see cref="NormPlacement.RmsNorm"/>.</summary>
    private static float[] PreNorm(float[] x, int rows, ModelShape shape, NormWeights norm) => shape.Norm == NormPlacement.RmsNorm
        ? RmsNorm(x, rows, shape.DModel, norm.Gamma, shape.LayerNormEpsilon)
        : LayerNorm(x, rows, shape.DModel, norm.Gamma, norm.Beta, shape.LayerNormEpsilon);

    /// <summary>LayerNorm over each row of d: (x − mean)/√(var + ε)·γ + β, biased variance as PyTorch.</summary>
    public static float[] LayerNorm(float[] x, int rows, int d, float[] gamma, float[] beta, double epsilon)
    {
        var y = new float[rows * d];
        for (int r = 0; r < rows; r++)
        {
            double mean = 0;
            for (int j = 0; j < d; j++)
            {
                mean += x[r * d + j];
            }
            mean /= d;
            double variance = 0;
            for (int j = 0; j < d; j++)
            {
                double c = x[r * d + j] - mean;
                variance += c * c;
            }
            variance /= d;
            double inverseStd = 1.0 / Math.Sqrt(variance + epsilon);
            for (int j = 0; j < d; j++)
            {
                y[r * d + j] = (float)((x[r * d + j] - mean) * inverseStd * gamma[j] + beta[j]);
            }
        }
        return y;
    }

    // ---- Attention ----

    /// <summary>
    /// Scaled dot-product attention of one head: softmax(Q·Kᵀ/√dk + mask)·V with Q [lq, dk], K and V [lk, dk].
    /// Key j is hidden from query i when <paramref name="keyVisible"/>(i, j) is false (causal and padding masks).
    /// </summary>
    public static float[] ScaledDotProductAttention(float[] q, float[] k, float[] v, int lq, int lk, int dk, Func<int, int, bool>? keyVisible = null)
    {
        var output = new float[lq * dk];
        double scale = 1.0 / Math.Sqrt(dk);
        for (int i = 0; i < lq; i++)
        {
            var scores = new double[lk];
            double max = double.NegativeInfinity;
            for (int j = 0; j < lk; j++)
            {
                if (keyVisible is not null && !keyVisible(i, j))
                {
                    scores[j] = double.NegativeInfinity;
                    continue;
                }
                double dot = 0;
                for (int t = 0; t < dk; t++)
                {
                    dot += (double)q[i * dk + t] * k[j * dk + t];
                }
                scores[j] = dot * scale;
                max = Math.Max(max, scores[j]);
            }
            double sum = 0;
            for (int j = 0; j < lk; j++)
            {
                scores[j] = double.IsNegativeInfinity(scores[j]) ? 0 : Math.Exp(scores[j] - max);
                sum += scores[j];
            }
            for (int t = 0; t < dk; t++)
            {
                double acc = 0;
                for (int j = 0; j < lk; j++)
                {
                    acc += scores[j] / sum * v[j * dk + t];
                }
                output[i * dk + t] = (float)acc;
            }
        }
        return output;
    }

    /// <summary>
    /// Multi-head attention as <c>nn.MultiheadAttention</c>: project queries from <paramref name="queries"/> [lq, d] and
    /// keys/values from <paramref name="memory"/> [lk, d], run each head, concatenate, apply the output projection.
    /// </summary>
    public static float[] MultiHeadAttention(float[] queries, int lq, float[] memory, int lk, int d, int heads, AttentionWeights w,
                                             Func<int, int, bool>? keyVisible = null)
    {
        int dk = d / heads;
        float[] q = Linear(queries, lq, d, w.InProj[..(d * d)], w.InProjBias[..d], d);
        float[] k = Linear(memory, lk, d, w.InProj[(d * d)..(2 * d * d)], w.InProjBias[d..(2 * d)], d);
        float[] v = Linear(memory, lk, d, w.InProj[(2 * d * d)..], w.InProjBias[(2 * d)..], d);
        var concat = new float[lq * d];
        for (int h = 0; h < heads; h++)
        {
            float[] head = ScaledDotProductAttention(Columns(q, lq, d, h * dk, dk), Columns(k, lk, d, h * dk, dk), Columns(v, lk, d, h * dk, dk), lq, lk, dk, keyVisible);
            for (int i = 0; i < lq; i++)
            {
                Array.Copy(head, i * dk, concat, i * d + h * dk, dk);
            }
        }
        return Linear(concat, lq, d, w.OutProj, w.OutProjBias, d);
    }

    /// <summary>Columns [start, start + width) of a [rows, stride] matrix.</summary>
    public static float[] Columns(float[] x, int rows, int stride, int start, int width)
    {
        var y = new float[rows * width];
        for (int i = 0; i < rows; i++)
        {
            Array.Copy(x, i * stride + start, y, i * width, width);
        }
        return y;
    }

    // ---- Blocks ----

    /// <summary>Position-wise FFN: linear2(act(linear1(x))).</summary>
    public static float[] FeedForward(float[] x, int rows, int d, int ffn, FfnWeights w, Activation activation)
    {
        if (activation != Activation.SwiGlu)
        {
            return Linear(Activate(Linear(x, rows, d, w.Linear1, w.Bias1, ffn), activation), rows, ffn, w.Linear2, w.Bias2, d);
        }
        // Llama's MLP: down(SiLU(gate(x)) ⊙ up(x)), with linear1 = [gate; up].
        float[] gateUp = Linear(x, rows, d, w.Linear1, w.Bias1, 2 * ffn);
        var hidden = new float[rows * ffn];
        for (int r = 0; r < rows; r++)
        {
            for (int j = 0; j < ffn; j++)
            {
                double gate = gateUp[r * 2 * ffn + j], up = gateUp[r * 2 * ffn + ffn + j];
                hidden[r * ffn + j] = (float)(gate / (1.0 + Math.Exp(-gate)) * up);
            }
        }
        return Linear(hidden, rows, ffn, w.Linear2, w.Bias2, d);
    }

    /// <summary>
    /// Encoder block: self-attention → Add &amp; Norm → FFN → Add &amp; Norm (post-norm), or x + SA(LN(x)), x + FFN(LN(x))
    /// (pre-norm). Keys at or past <paramref name="keyCount"/> are padding.
    /// </summary>
    public static float[] EncoderBlock(float[] x, int length, ModelShape shape, EncoderLayerWeights w, int? keyCount = null)
    {
        int d = shape.DModel;
        int valid = keyCount ?? length;
        Func<int, int, bool> padding = (_, j) => j < valid;
        double eps = shape.LayerNormEpsilon;
        if (shape.Norm == NormPlacement.Post)
        {
            float[] attention = MultiHeadAttention(x, length, x, length, d, shape.Heads, w.SelfAttention, padding);
            float[] h = LayerNorm(Add(x, attention), length, d, w.Norm1.Gamma, w.Norm1.Beta, eps);
            float[] ffn = FeedForward(h, length, d, shape.FfnDim, w.Ffn, shape.Activation);
            return LayerNorm(Add(h, ffn), length, d, w.Norm2.Gamma, w.Norm2.Beta, eps);
        }
        else
        {
            float[] n1 = PreNorm(x, length, shape, w.Norm1);
            float[] h = Add(x, MultiHeadAttention(n1, length, n1, length, d, shape.Heads, w.SelfAttention, padding));
            float[] n2 = PreNorm(h, length, shape, w.Norm2);
            return Add(h, FeedForward(n2, length, d, shape.FfnDim, w.Ffn, shape.Activation));
        }
    }

    /// <summary>
    /// Decoder block: masked self-attention (token i sees tokens ≤ i) → Add &amp; Norm → attention over the encoder output
    /// <paramref name="memory"/> (K, V from memory, Q from the decoder) → Add &amp; Norm → FFN → Add &amp; Norm; or pre-norm.
    /// </summary>
    public static float[] DecoderBlock(float[] y, int length, float[] memory, int memoryLength, ModelShape shape, DecoderLayerWeights w, int? memoryKeyCount = null)
    {
        int d = shape.DModel;
        int validMemory = memoryKeyCount ?? memoryLength;
        Func<int, int, bool> causal = (i, j) => j <= i;
        Func<int, int, bool> padding = (_, j) => j < validMemory;
        double eps = shape.LayerNormEpsilon;
        if (shape.Norm == NormPlacement.Post)
        {
            float[] h1 = LayerNorm(Add(y, MultiHeadAttention(y, length, y, length, d, shape.Heads, w.SelfAttention, causal)), length, d, w.Norm1.Gamma, w.Norm1.Beta, eps);
            float[] h2 = LayerNorm(Add(h1, MultiHeadAttention(h1, length, memory, memoryLength, d, shape.Heads, w.CrossAttention, padding)), length, d, w.Norm2.Gamma, w.Norm2.Beta, eps);
            return LayerNorm(Add(h2, FeedForward(h2, length, d, shape.FfnDim, w.Ffn, shape.Activation)), length, d, w.Norm3.Gamma, w.Norm3.Beta, eps);
        }
        else
        {
            float[] n1 = PreNorm(y, length, shape, w.Norm1);
            float[] h1 = Add(y, MultiHeadAttention(n1, length, n1, length, d, shape.Heads, w.SelfAttention, causal));
            float[] n2 = PreNorm(h1, length, shape, w.Norm2);
            float[] h2 = Add(h1, MultiHeadAttention(n2, length, memory, memoryLength, d, shape.Heads, w.CrossAttention, padding));
            float[] n3 = PreNorm(h2, length, shape, w.Norm3);
            return Add(h2, FeedForward(n3, length, d, shape.FfnDim, w.Ffn, shape.Activation));
        }
    }

    /// <summary>Final linear + softmax: the probability of each vocabulary entry at each position.</summary>
    public static float[] OutputProbabilities(float[] x, int rows, int d, float[] weight, float[]? bias, int vocab) =>
        SoftmaxRows(Linear(x, rows, d, weight, bias, vocab), rows, vocab);
}
