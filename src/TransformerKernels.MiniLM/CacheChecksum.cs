using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace TransformerKernels.MiniLM;

/// <summary>
/// A 64-bit checksum of a cache file, to notice a damaged or partly rewritten file — not an adversary (the cache is the
/// user's own). Every start of the embedder checks the 60–90 MB file it maps, so it must cost milliseconds: four
/// independent 256-bit accumulators, each stripe multiplied 32×32→64 bits and rotated in (so the order of the data
/// matters), a scalar tail, a final avalanche. Written here rather than taken from System.IO.Hashing because that
/// package's IL runs at tier 0 on the first call of a JIT process (measured: 90–105 ms for 90 MB against 7 ms once
/// optimized); this loop is compiled optimized on its first call.
/// </summary>
internal sealed class CacheChecksum
{
    /// <summary>Bytes per <see cref="Append"/> except the last: a multiple of the 128-byte block.</summary>
    public const int ChunkBytes = 1 << 20;

    private static readonly Vector256<ulong> Key0 = Vector256.Create(0x9E3779B185EBCA87UL, 0xC2B2AE3D27D4EB4FUL, 0x165667B19E3779F9UL, 0x85EBCA77C2B2AE63UL);
    private static readonly Vector256<ulong> Key1 = Vector256.Create(0x27D4EB2F165667C5UL, 0xD6E8FEB86659FD93UL, 0xFF51AFD7ED558CCDUL, 0xC4CEB9FE1A85EC53UL);

    private Vector256<ulong> _a = Key0, _b = Key1, _c = ~Key0, _d = ~Key1;
    private ulong _tail = 0x9E3779B97F4A7C15UL;
    private long _length;
    private bool _ended;

    /// <summary>Adds the next bytes; every call but the last must pass a multiple of 128 bytes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Append(ReadOnlySpan<byte> data)
    {
        if (_ended)
        {
            throw new InvalidOperationException("Only the last Append may pass a length that is not a multiple of 128 bytes.");
        }
        ReadOnlySpan<ulong> words = MemoryMarshal.Cast<byte, ulong>(data);
        int blocks = words.Length / 16;
        Vector256<ulong> a = _a, b = _b, c = _c, d = _d;
        ref ulong start = ref MemoryMarshal.GetReference(words);
        for (int i = 0; i < blocks; i++)
        {
            ref ulong block = ref Unsafe.Add(ref start, i * 16);
            a = Mix(a, Vector256.LoadUnsafe(ref block), Key0);
            b = Mix(b, Vector256.LoadUnsafe(ref block, 4), Key1);
            c = Mix(c, Vector256.LoadUnsafe(ref block, 8), Key0);
            d = Mix(d, Vector256.LoadUnsafe(ref block, 12), Key1);
        }
        (_a, _b, _c, _d) = (a, b, c, d);
        ReadOnlySpan<byte> rest = data[(blocks * 128)..];
        foreach (byte value in rest)
        {
            _tail = BitOperations.RotateLeft((_tail ^ value) * 0x100000001B3UL, 5);
        }
        _ended = rest.Length > 0;
        _length += data.Length;
    }

    /// <summary>acc rotated by 17 bits, plus (data ^ key)'s low half times its high half, plus the data itself.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<ulong> Mix(Vector256<ulong> accumulator, Vector256<ulong> data, Vector256<ulong> key)
    {
        Vector256<ulong> keyed = data ^ key;
        Vector256<ulong> product = (keyed & Vector256.Create(0xFFFFFFFFUL)) * (keyed >>> 32);
        return ((accumulator << 17) | (accumulator >>> 47)) + product + data;
    }

    /// <summary>The checksum of everything appended.</summary>
    public ulong Value
    {
        get
        {
            ulong h = (ulong)_length * 0x9E3779B185EBCA87UL ^ _tail;
            foreach (Vector256<ulong> lane in (ReadOnlySpan<Vector256<ulong>>)[_a, _b, _c, _d])
            {
                for (int i = 0; i < 4; i++)
                {
                    h = Avalanche(h ^ Avalanche(lane.GetElement(i) + (ulong)i));
                }
            }
            return h;
        }
    }

    private static ulong Avalanche(ulong h)
    {
        h ^= h >> 33;
        h *= 0xFF51AFD7ED558CCDUL;
        h ^= h >> 33;
        h *= 0xC4CEB9FE1A85EC53UL;
        return h ^ (h >> 33);
    }
}
