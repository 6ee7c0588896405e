using System.ComponentModel;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace TransformerKernels;

/// <summary>
/// Loads and stores of the first <c>count</c> lanes of a vector, for the last partial panel of a GEMM or the last
/// partial vector of a row. They never touch memory past <c>count</c> elements; they run once per tile, not per k.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static unsafe class Lanes
{
    /// <summary>Stores lanes [0, count) of <paramref name="value"/> at <paramref name="destination"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreFirst(Vector512<float> value, float* destination, int count)
    {
        float* lanes = stackalloc float[16];
        value.Store(lanes);
        for (int i = 0; i < count; i++)
        {
            destination[i] = lanes[i];
        }
    }

    /// <inheritdoc cref="StoreFirst(Vector512{float}, float*, int)"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreFirst(Vector256<float> value, float* destination, int count)
    {
        float* lanes = stackalloc float[8];
        value.Store(lanes);
        for (int i = 0; i < count; i++)
        {
            destination[i] = lanes[i];
        }
    }

    /// <summary>Loads <paramref name="count"/> floats into the first lanes; the other lanes are 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> LoadFirst(float* source, int count)
    {
        float* lanes = stackalloc float[16];
        for (int i = 0; i < 16; i++)
        {
            lanes[i] = i < count ? source[i] : 0f;
        }
        return Vector512.Load(lanes);
    }

    /// <inheritdoc cref="LoadFirst(float*, int)"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> LoadFirst256(float* source, int count)
    {
        float* lanes = stackalloc float[8];
        for (int i = 0; i < 8; i++)
        {
            lanes[i] = i < count ? source[i] : 0f;
        }
        return Vector256.Load(lanes);
    }
}
