namespace TransformerKernels.Oracle;

/// <summary>Multi-head attention weights in PyTorch's layout (<c>nn.MultiheadAttention</c>).</summary>
/// <param name="InProj">[3·d, d]: the Q, K and V projections stacked by rows (<c>in_proj_weight</c>).</param>
/// <param name="InProjBias">[3·d] (<c>in_proj_bias</c>).</param>
/// <param name="OutProj">[d, d] (<c>out_proj.weight</c>).</param>
/// <param name="OutProjBias">[d] (<c>out_proj.bias</c>).</param>
public sealed record AttentionWeights(float[] InProj, float[] InProjBias, float[] OutProj, float[] OutProjBias);

/// <summary>LayerNorm scale and shift, [d] each.</summary>
public sealed record NormWeights(float[] Gamma, float[] Beta);

/// <summary>Position-wise FFN: linear1 [f, d] + bias [f], linear2 [d, f] + bias [d].</summary>
public sealed record FfnWeights(float[] Linear1, float[] Bias1, float[] Linear2, float[] Bias2);

/// <summary>One encoder block (<c>nn.TransformerEncoderLayer</c>).</summary>
public sealed record EncoderLayerWeights(AttentionWeights SelfAttention, NormWeights Norm1, FfnWeights Ffn, NormWeights Norm2);

/// <summary>One decoder block (<c>nn.TransformerDecoderLayer</c>).</summary>
public sealed record DecoderLayerWeights(
    AttentionWeights SelfAttention, NormWeights Norm1, AttentionWeights CrossAttention, NormWeights Norm2, FfnWeights Ffn, NormWeights Norm3);
