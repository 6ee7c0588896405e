// The smallest tour of TransformerKernels: declare a shape, look at what the generator made of it, and run one
// encoder block and a few decoder steps on random weights.
using System.Diagnostics;
using TransformerKernels;

Console.WriteLine($"Declared: {Tiny.Shape}");
Console.WriteLine($"Head dimension {Tiny.HeadDim}, FFN hidden stride {Tiny.FfnHiddenStride}, kernel path {KernelPaths.Describe()}");
Console.WriteLine($"Parameters per encoder block: {Tiny.ParametersPerEncoderLayer:N0}; per decoder block: {Tiny.ParametersPerDecoderLayer:N0}");

var random = new Random(42);
float[] Random(int n, float scale) => Enumerable.Range(0, n).Select(_ => (float)((random.NextDouble() * 2 - 1) * scale)).ToArray();
float[] Ones(int n) => Enumerable.Repeat(1f, n).ToArray();
const int d = Tiny.DModel, f = Tiny.FfnDim;
float scaleD = 1 / MathF.Sqrt(d);

using var encoder = new EncoderLayerWeights(
    new SelfAttentionWeights(Random(3 * d * d, scaleD), Random(3 * d, 0.1f), Random(d * d, scaleD), Random(d, 0.1f), d),
    new LayerNormWeights(Ones(d), new float[d], d),
    new FeedForwardWeights(Random(f * d, scaleD), Random(f, 0.1f), Random(d * f, 1 / MathF.Sqrt(f)), Random(d, 0.1f), d, f),
    new LayerNormWeights(Ones(d), new float[d], d));
using var decoder = new DecoderLayerWeights(
    new SelfAttentionWeights(Random(3 * d * d, scaleD), Random(3 * d, 0.1f), Random(d * d, scaleD), Random(d, 0.1f), d),
    new LayerNormWeights(Ones(d), new float[d], d),
    new CrossAttentionWeights(Random(3 * d * d, scaleD), Random(3 * d, 0.1f), Random(d * d, scaleD), Random(d, 0.1f), d),
    new LayerNormWeights(Ones(d), new float[d], d),
    new FeedForwardWeights(Random(f * d, scaleD), Random(f, 0.1f), Random(d * f, 1 / MathF.Sqrt(f)), Random(d, 0.1f), d, f),
    new LayerNormWeights(Ones(d), new float[d], d));
using var scratch = new BlockScratch(Tiny.Shape);
using var cache = new DecoderLayerCache(Tiny.Shape);

const int sourceLength = 5, steps = 4;
float[] source = Random(sourceLength * d, 1f);
float[] target = Random(steps * d, 1f);
var clock = Stopwatch.StartNew();
unsafe
{
    fixed (float* x = source, y = target)
    {
        Tiny.Kernels.EncoderBlock(x, 1, sourceLength, default, encoder, scratch);
        Tiny.Kernels.PrepareCrossAttention(x, sourceLength, sourceLength, decoder, cache, scratch);
        for (int position = 0; position < steps; position++)
        {
            // One new row per step: its keys and values join the cache, earlier rows are not recomputed.
            Tiny.Kernels.DecoderBlock(y + position * d, 1, position, decoder, cache, scratch);
        }
    }
}
Console.WriteLine($"Encoder block over {sourceLength} tokens, then {steps} cached decoder steps: {clock.Elapsed.TotalMilliseconds:F2} ms (first call includes JIT)");
Console.WriteLine($"Encoder output, token 0: [{string.Join(", ", source.Take(6).Select(v => v.ToString("F4")))} …]");
Console.WriteLine($"Decoder output, step {steps - 1}: [{string.Join(", ", target.Skip((steps - 1) * d).Take(6).Select(v => v.ToString("F4")))} …]");

/// <summary>A small encoder–decoder, the seed's layout at toy size. Its weights are FP32 only, so its GEMMs carry no BF16 or int8 kernels.</summary>
[TransformerModel(DModel = 64, Heads = 4, EncoderLayers = 1, DecoderLayers = 1, FfnDim = 256, MaxSeqLen = 16, SourceVocab = 100, TargetVocab = 100,
                  Precisions = ModelPrecisions.Fp32)]
public partial class Tiny;
