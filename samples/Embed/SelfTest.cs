using TransformerKernels;
using TransformerKernels.MiniLM;

/// <summary>
/// Built-in parity check for the native binary: fixed inputs against outputs stored here — ONNX Runtime's hidden state for
/// "hello world" and the cosine matrix of the README's three sentences (equal to ONNX Runtime's within the parity tests'
/// tolerance). Below FP32 the same sentences are compared with the FP32 model's embeddings instead (cosine bounds from
/// the accuracy tests). Exit code 1 on any mismatch.
/// </summary>
internal static class SelfTest
{
    private static readonly string[] Sentences = ["Hello world", "A man is eating food.", "A man eats.", "The sky is blue.", "Café au lait is coffee with hot milk."];

    public static int Run(SentenceEmbedder embedder, WeightPrecision precision)
    {
        if (precision != WeightPrecision.Fp32)
        {
            return RunAgainstFp32(embedder, precision);
        }
        int failures = 0;
        void Check(bool ok, string what)
        {
            failures += ok ? 0 : 1;
            Console.WriteLine($"{(ok ? "ok  " : "FAIL")} {what}");
        }

        int[] ids = embedder.Tokenize("Hello world");
        Check(ids.SequenceEqual([101, 7592, 2088, 102]), $"tokens of 'Hello world': [{string.Join(", ", ids)}]");
        Check(embedder.Tokenize("Café résumé").SequenceEqual(embedder.Tokenize("cafe resume")), "accents are stripped, not [UNK]");

        var hidden = new float[4 * SentenceEmbedder.Dimensions];
        embedder.Model.Encode(ids, hidden);
        float[] onnxRuntime = [0.17644452f, 0.039366297f, 0.07790203f, 0.25854188f, -0.15842584f];
        float error = onnxRuntime.Select((v, i) => Math.Abs(v - hidden[i])).Max();
        Check(error <= 1e-4f, $"last_hidden_state[0, 0, :5] within 1e-4 of ONNX Runtime (max error {error:E1})");

        float[][] e = embedder.Embed(["A man is eating food.", "A man eats.", "The sky is blue."]);
        (int A, int B, float Expected)[] pairs = [(0, 1, 0.913f), (0, 2, 0.001f), (1, 2, -0.014f)];
        foreach (var (a, b, expected) in pairs)
        {
            float cosine = SentenceEmbedder.Cosine(e[a], e[b]);
            Check(Math.Abs(cosine - expected) <= 0.002f, $"cosine({a + 1}, {b + 1}) = {cosine:F4}, stored {expected:F3}");
        }
        Console.WriteLine(failures == 0 ? $"self-test passed on {KernelPaths.Active}" : $"self-test: {failures} failures on {KernelPaths.Active}");
        return failures == 0 ? 0 : 1;
    }

    private static int RunAgainstFp32(SentenceEmbedder embedder, WeightPrecision precision)
    {
        // Bounds: the accuracy tests' minimum over 119 sentences (BF16 0.9999; int8 0.99 with 8-bit weights, 0.975 with 7-bit).
        float bound = precision == WeightPrecision.Bf16 ? 0.9999f : Int8Paths.WeightLevels == 127 ? 0.99f : 0.975f;
        using var fp32 = new SentenceEmbedder(maxBatch: 8);
        float[][] expected = fp32.Embed(Sentences), actual = embedder.Embed(Sentences);
        int failures = 0;
        for (int i = 0; i < Sentences.Length; i++)
        {
            float cosine = SentenceEmbedder.Cosine(expected[i], actual[i]);
            bool ok = cosine >= bound;
            failures += ok ? 0 : 1;
            Console.WriteLine($"{(ok ? "ok  " : "FAIL")} '{Sentences[i]}': cosine to FP32 {cosine:F5} (bound {bound})");
        }
        string where = $"{KernelPaths.Active}, weights {Precisions.Describe(precision)}";
        Console.WriteLine(failures == 0 ? $"self-test passed on {where}" : $"self-test: {failures} failures on {where}");
        return failures == 0 ? 0 : 1;
    }
}
