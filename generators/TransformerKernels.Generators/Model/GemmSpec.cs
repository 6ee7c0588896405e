using TransformerKernels.Generators.Helpers;

namespace TransformerKernels.Generators.Model;

/// <summary>Activation fused into a GEMM's epilogue.</summary>
internal enum EpilogueActivation
{
    None,
    Relu,
    Gelu,
    GeluTanh,

    /// <summary>
    /// SiLU(gate)·up: each 16-column panel holds 8 gate columns then the same 8 hidden units' up columns, and the epilogue
    /// writes their 8 products at column/2 — C has half as many columns as the GEMM, and no residual.
    /// </summary>
    SwiGlu,
}

/// <summary>
/// One generated GEMM: C[m×N] = A[m×K]·W[K×N] + bias (+ residual), with K and N fixed at generation time and W prepacked
/// into 16-column panels of K rows. Rows of A are <c>Lda</c> floats apart and rows of C <c>Ldc</c> (K and N, or padded
/// past a multiple of 4 KiB). <c>Roles</c> lists the linear layers that use it (for the emitted comments). Without
/// <c>Bias</c> (a model declared <c>Bias = false</c>) the epilogue adds none.
/// </summary>
internal sealed record GemmSpec(
    string Name,
    int K,
    int N,
    EpilogueActivation Activation,
    int Lda,
    int Ldc,
    string Roles,
    bool Bias = true)
{
    /// <summary>Columns of one packed panel (one Vector512, two Vector256).</summary>
    public const int PanelWidth = ShapeMath.PanelWidth;

    /// <summary>Rows of the largest Vector512 register tile: 12 rows × 2 panels = 24 accumulators of 32 zmm.</summary>
    public const int RowTile512 = 12;

    /// <summary>Rows of the largest AVX2 register tile: 6 rows × 2 ymm = 12 accumulators of 16 ymm.</summary>
    public const int RowTile256 = 6;

    public int Panels => (N + PanelWidth - 1) / PanelWidth;

    /// <summary>Columns actually stored from the last panel (16 when N is a multiple of 16).</summary>
    public int LastPanelWidth => N - (Panels - 1) * PanelWidth;

    /// <summary>Vector512 work units: pairs of panels (32 columns), plus one single panel when the count is odd.</summary>
    public int PanelPairs => Panels / 2;

    public bool HasOddPanel => Panels % 2 == 1;

    public int Units512 => PanelPairs + (HasOddPanel ? 1 : 0);

    public int PackedLength => Panels * PanelWidth * K;

    /// <summary>Int8: K in groups of 4 inputs (one int32 lane of VPDPBUSD / VPMADDUBSW + VPMADDWD).</summary>
    public int Groups => ShapeMath.Int8Groups(K);

    /// <summary>Int8: bytes between rows of quantized A (K rounded up to 4, plus 64 when that is a multiple of 4 KiB).</summary>
    public int Ldq => ShapeMath.Int8RowStride(K);

    public long Flops(int m) => 2L * m * K * N;

    /// <summary>
    /// The name of the assembly-wide GEMM class of this spec (<see cref="SharedGemm"/>): K, N, activation, padded strides, and
    /// <c>NoBias</c> when the epilogue adds none — unlike <see cref="Name"/>, which is unique within one model only.
    /// </summary>
    public string SharedName => $"Gemm{K}x{N}" + (Activation == EpilogueActivation.None ? "" : Activation.ToString()) +
        (Lda != K ? $"Lda{Lda}" : "") + (Ldc != N ? $"Ldc{Ldc}" : "") + (Bias ? "" : "NoBias");

    /// <summary>This GEMM as the assembly-wide class emits it: the shared name, no model's roles.</summary>
    public GemmSpec Shared => this with { Name = SharedName, Roles = "" };
}

/// <summary>
/// One GEMM class emitted once per assembly for every model whose GEMM has this <see cref="Gemm"/> spec (K, N, activation,
/// strides, bias), with the workers and tiles of the union of those models' <see cref="Precisions"/>. <see cref="Users"/>
/// names the models' <c>Kernels</c> classes that forward to it (for the emitted comment).
/// </summary>
internal sealed record SharedGemm(GemmSpec Gemm, ModelPrecisions Precisions, EquatableArray<string> Users)
{
    public bool Has(ModelPrecisions precision) => (Precisions & precision) != 0;
}
