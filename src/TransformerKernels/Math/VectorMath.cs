using System.ComponentModel;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace TransformerKernels;

/// <summary>
/// Element-wise functions for the generated kernels, one overload per path (Vector512, Vector256, float) computing
/// the same formula. exp uses Cody–Waite range reduction and a degree-7 polynomial (relative error ≈ 1e-7 on
/// [-87, 88]); erf uses Abramowitz–Stegun 7.1.26 (absolute error ≤ 1.5e-7), so GELU is within ≈ 1e-6 of the exact
/// function for the activations a Transformer sees.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class VectorMath
{
    private const float Log2E = 1.44269504088896341f;
    private const float Ln2Hi = 0.693359375f;          // ln 2 split so that n·Ln2Hi is exact for |n| ≤ 2^9
    private const float Ln2Lo = -2.12194440e-4f;
    private const float ExpUpper = 88.3762626647949f;  // exp overflows float above this
    private const float ExpLower = -87.3365447505531f; // below this 2^n leaves the normal range: return 0
    private const float RoundMagic = 12582912f;       // 1.5·2^23: adding it rounds to the nearest integer

    private const float ErfP = 0.3275911f;
    private const float ErfA1 = 0.254829592f, ErfA2 = -0.284496736f, ErfA3 = 1.421413741f, ErfA4 = -1.453152027f, ErfA5 = 1.061405429f;
    private const float InvSqrt2 = 0.70710678118654752f;
    private const float SqrtTwoOverPi = 0.79788456080286536f;
    private const float GeluTanhCubic = 0.044715f;

    // ---- exp ----

    /// <summary>e^x per lane; lanes below -87.34 (including -∞) give exactly 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Exp(Vector512<float> x)
    {
        Vector512<float> clamped = Vector512.Min(Vector512.Max(x, Vector512.Create(ExpLower)), Vector512.Create(ExpUpper));
        Vector512<float> n = Avx512F.FusedMultiplyAdd(clamped, Vector512.Create(Log2E), Vector512.Create(RoundMagic)) - Vector512.Create(RoundMagic);
        Vector512<float> r = Avx512F.FusedMultiplyAddNegated(n, Vector512.Create(Ln2Hi), clamped);
        r = Avx512F.FusedMultiplyAddNegated(n, Vector512.Create(Ln2Lo), r);
        Vector512<float> p = Vector512.Create(1f / 5040f);
        p = Avx512F.FusedMultiplyAdd(p, r, Vector512.Create(1f / 720f));
        p = Avx512F.FusedMultiplyAdd(p, r, Vector512.Create(1f / 120f));
        p = Avx512F.FusedMultiplyAdd(p, r, Vector512.Create(1f / 24f));
        p = Avx512F.FusedMultiplyAdd(p, r, Vector512.Create(1f / 6f));
        p = Avx512F.FusedMultiplyAdd(p, r, Vector512.Create(0.5f));
        p = Avx512F.FusedMultiplyAdd(p, r, Vector512<float>.One);
        p = Avx512F.FusedMultiplyAdd(p, r, Vector512<float>.One);
        Vector512<int> exponent = (Vector512.ConvertToInt32(n) + Vector512.Create(127)) << 23;
        Vector512<float> result = p * exponent.AsSingle();
        return Vector512.ConditionalSelect(Vector512.LessThan(x, Vector512.Create(ExpLower)), Vector512<float>.Zero, result);
    }

    /// <inheritdoc cref="Exp(Vector512{float})"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Exp(Vector256<float> x)
    {
        Vector256<float> clamped = Vector256.Min(Vector256.Max(x, Vector256.Create(ExpLower)), Vector256.Create(ExpUpper));
        Vector256<float> n = Fma.MultiplyAdd(clamped, Vector256.Create(Log2E), Vector256.Create(RoundMagic)) - Vector256.Create(RoundMagic);
        Vector256<float> r = Fma.MultiplyAddNegated(n, Vector256.Create(Ln2Hi), clamped);
        r = Fma.MultiplyAddNegated(n, Vector256.Create(Ln2Lo), r);
        Vector256<float> p = Vector256.Create(1f / 5040f);
        p = Fma.MultiplyAdd(p, r, Vector256.Create(1f / 720f));
        p = Fma.MultiplyAdd(p, r, Vector256.Create(1f / 120f));
        p = Fma.MultiplyAdd(p, r, Vector256.Create(1f / 24f));
        p = Fma.MultiplyAdd(p, r, Vector256.Create(1f / 6f));
        p = Fma.MultiplyAdd(p, r, Vector256.Create(0.5f));
        p = Fma.MultiplyAdd(p, r, Vector256<float>.One);
        p = Fma.MultiplyAdd(p, r, Vector256<float>.One);
        Vector256<int> exponent = (Vector256.ConvertToInt32(n) + Vector256.Create(127)) << 23;
        Vector256<float> result = p * exponent.AsSingle();
        return Vector256.ConditionalSelect(Vector256.LessThan(x, Vector256.Create(ExpLower)), Vector256<float>.Zero, result);
    }

    /// <summary>Scalar e^x with the same cut-off to 0 as the vector paths.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Exp(float x) => x < ExpLower ? 0f : MathF.Exp(x);

    // ---- activations ----

    /// <summary>SiLU (swish): x·σ(x) = x / (1 + e^−x).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Silu(Vector512<float> x) => x / (Vector512<float>.One + Exp(-x));

    /// <inheritdoc cref="Silu(Vector512{float})"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Silu(Vector256<float> x) => x / (Vector256<float>.One + Exp(-x));

    /// <inheritdoc cref="Silu(Vector512{float})"/>
    public static float Silu(float x) => x / (1f + MathF.Exp(-x));

    /// <summary>max(0, x).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Relu(Vector512<float> x) => Vector512.Max(x, Vector512<float>.Zero);

    /// <inheritdoc cref="Relu(Vector512{float})"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Relu(Vector256<float> x) => Vector256.Max(x, Vector256<float>.Zero);

    /// <inheritdoc cref="Relu(Vector512{float})"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Relu(float x) => x > 0f ? x : 0f;

    /// <summary>GELU, erf form: x·½·(1 + erf(x/√2)).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Gelu(Vector512<float> x)
    {
        Vector512<float> half = Vector512.Create(0.5f);
        return half * x * (Vector512<float>.One + Erf(x * Vector512.Create(InvSqrt2)));
    }

    /// <inheritdoc cref="Gelu(Vector512{float})"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Gelu(Vector256<float> x)
    {
        Vector256<float> half = Vector256.Create(0.5f);
        return half * x * (Vector256<float>.One + Erf(x * Vector256.Create(InvSqrt2)));
    }

    /// <inheritdoc cref="Gelu(Vector512{float})"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Gelu(float x) => 0.5f * x * (1f + Erf(x * InvSqrt2));

    /// <summary>GELU, tanh form: ½x(1 + tanh(√(2/π)(x + 0.044715x³))).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> GeluTanh(Vector512<float> x)
    {
        Vector512<float> u = Vector512.Create(SqrtTwoOverPi) * Avx512F.FusedMultiplyAdd(Vector512.Create(GeluTanhCubic) * x * x, x, x);
        // tanh(u) = 1 − 2/(1 + e^{2u}); the exp clamp makes large |u| give exactly ±1.
        Vector512<float> tanh = Vector512<float>.One - Vector512.Create(2f) / (Vector512<float>.One + Exp(u + u));
        return Vector512.Create(0.5f) * x * (Vector512<float>.One + tanh);
    }

    /// <inheritdoc cref="GeluTanh(Vector512{float})"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> GeluTanh(Vector256<float> x)
    {
        Vector256<float> u = Vector256.Create(SqrtTwoOverPi) * Fma.MultiplyAdd(Vector256.Create(GeluTanhCubic) * x * x, x, x);
        Vector256<float> tanh = Vector256<float>.One - Vector256.Create(2f) / (Vector256<float>.One + Exp(u + u));
        return Vector256.Create(0.5f) * x * (Vector256<float>.One + tanh);
    }

    /// <inheritdoc cref="GeluTanh(Vector512{float})"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float GeluTanh(float x) => 0.5f * x * (1f + MathF.Tanh(SqrtTwoOverPi * (x + GeluTanhCubic * x * x * x)));

    // ---- erf ----

    /// <summary>erf(x) per lane, Abramowitz–Stegun 7.1.26 (absolute error ≤ 1.5e-7).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Erf(Vector512<float> x)
    {
        Vector512<float> a = Vector512.Abs(x);
        // 1/(1 + p|x|) by the 14-bit reciprocal estimate and one Newton step (≈ 1e-8 relative): a division costs
        // several times as much, and GELU runs on every element of the FFN's widest matrix.
        Vector512<float> denominator = Avx512F.FusedMultiplyAdd(a, Vector512.Create(ErfP), Vector512<float>.One);
        Vector512<float> estimate = Avx512F.Reciprocal14(denominator);
        Vector512<float> t = estimate * Avx512F.FusedMultiplyAddNegated(denominator, estimate, Vector512.Create(2f));
        Vector512<float> poly = Vector512.Create(ErfA5);
        poly = Avx512F.FusedMultiplyAdd(poly, t, Vector512.Create(ErfA4));
        poly = Avx512F.FusedMultiplyAdd(poly, t, Vector512.Create(ErfA3));
        poly = Avx512F.FusedMultiplyAdd(poly, t, Vector512.Create(ErfA2));
        poly = Avx512F.FusedMultiplyAdd(poly, t, Vector512.Create(ErfA1));
        Vector512<float> y = Vector512<float>.One - poly * t * Exp(-(a * a));
        return Vector512.CopySign(y, x);
    }

    /// <inheritdoc cref="Erf(Vector512{float})"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Erf(Vector256<float> x)
    {
        Vector256<float> a = Vector256.Abs(x);
        Vector256<float> t = Vector256<float>.One / Fma.MultiplyAdd(a, Vector256.Create(ErfP), Vector256<float>.One);
        Vector256<float> poly = Vector256.Create(ErfA5);
        poly = Fma.MultiplyAdd(poly, t, Vector256.Create(ErfA4));
        poly = Fma.MultiplyAdd(poly, t, Vector256.Create(ErfA3));
        poly = Fma.MultiplyAdd(poly, t, Vector256.Create(ErfA2));
        poly = Fma.MultiplyAdd(poly, t, Vector256.Create(ErfA1));
        Vector256<float> y = Vector256<float>.One - poly * t * Exp(-(a * a));
        return Vector256.CopySign(y, x);
    }

    /// <inheritdoc cref="Erf(Vector512{float})"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Erf(float x)
    {
        float a = MathF.Abs(x);
        float t = 1f / (1f + ErfP * a);
        float poly = ((((ErfA5 * t + ErfA4) * t + ErfA3) * t + ErfA2) * t + ErfA1) * t;
        float y = 1f - poly * Exp(-(a * a));
        return MathF.CopySign(y, x);
    }
}
