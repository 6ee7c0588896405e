namespace TransformerKernels;

/// <summary>How a model's linear-layer weights are stored and multiplied. Embeddings, LayerNorm and biases stay FP32.</summary>
public enum WeightPrecision
{
    /// <summary>32-bit floats: the reference precision, bit-for-bit what the FP32 kernels compute.</summary>
    Fp32 = 0,

    /// <summary>
    /// bfloat16 weights (rounded to nearest even at load), widened to FP32 in registers: the arithmetic is FP32, the weight
    /// traffic half. Pays where weights stream from memory (short sequences, decoding steps).
    /// </summary>
    Bf16 = 1,

    /// <summary>
    /// int8 weights quantized symmetrically per output channel; activations quantized per row on the fly; int32
    /// accumulation; dequantization, bias, activation and residual fused into the epilogue. A quarter of the weight bytes.
    /// </summary>
    Int8 = 2,
}
