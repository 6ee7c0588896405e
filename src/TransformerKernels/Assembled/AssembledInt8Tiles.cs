using System.ComponentModel;
using System.Runtime.InteropServices;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace TransformerKernels;

/// <summary>
/// The process's assembled VPDPBUSD int8 tiles (<see cref="Int8DotTileAssembler"/>): rows 1–12 × one or two 16-column panels,
/// assembled and mapped once, each checked against an exact integer product before it may be used. If any step fails —
/// a CPU without AVX512-VNNI, <c>TK_ASSEMBLED_KERNELS=0</c>, a mapping the OS refuses, a wrong known answer — none is used,
/// <see cref="IsAvailable"/> is false, <see cref="Status"/> says why, and the int8 GEMMs run their C# paths.
/// </summary>
/// <remarks>
/// Calls go through <c>delegate* unmanaged</c> with the full GC transition (no SuppressGCTransition): a long tile must not
/// hold a garbage collection up. The tiles touch only native memory (packed weights, quantized rows, stack tiles).
/// </remarks>
public static unsafe class AssembledInt8Tiles
{
    /// <summary>The mapping's name in /proc/PID/maps and in perf (<c>/memfd:tk-int8-vpdpbusd-tiles</c>).</summary>
    public const string MappingName = "tk-int8-vpdpbusd-tiles";

    private const int Kinds = Int8DotTileAssembler.MaxRows * 2;

    // Entry points by (rows − 1)·2 + (vectors − 1); all zero unless IsAvailable.
    private static readonly nint[] s_entries = new nint[Kinds];

    /// <summary>Whether the tiles are mapped and passed their known-answer check.</summary>
    public static bool IsAvailable { get; }

    /// <summary>"mapped … (memfd), N tiles checked", or why the tiles are not used.</summary>
    public static string Status { get; }

    /// <summary>How the tiles were made executable (when available).</summary>
    internal static ExecutableMapping Mapping { get; }

    /// <summary>Start of the mapped code (0 when not available), for profilers and tests.</summary>
    public static nint CodeStart { get; }

    static AssembledInt8Tiles()
    {
        string? refusal = Environment.GetEnvironmentVariable("TK_ASSEMBLED_KERNELS") == "0" ? "turned off by TK_ASSEMBLED_KERNELS=0"
            : !CpuFeatures.Avx512Vnni ? "this CPU has no AVX512-VNNI (CPUID leaf 7 ECX bit 11)"
            : !(Avx512BW.IsSupported && Vector512.IsHardwareAccelerated) ? "the runtime has 512-bit vectors off (DOTNET_EnableAVX512=0 or no OS zmm support)"
            : null;
        if (refusal is not null)
        {
            Status = refusal;
            return;
        }
        (byte[] code, int[] offsets) = AssembleAll();
        byte* start = ExecutableMemory.Map(code, MappingName, only: null, out ExecutableMapping how, out string? failure);
        if (start == null)
        {
            Status = "the OS refused an executable mapping: " + failure;
            return;
        }
        var entries = new nint[Kinds];
        for (int i = 0; i < Kinds; i++)
        {
            entries[i] = (nint)(start + offsets[i]);
        }
        string? wrong = KnownAnswerCheck(entries);
        if (wrong is not null)
        {
            Status = "known-answer check failed: " + wrong;
            return;
        }
        entries.CopyTo(s_entries, 0);
        CodeStart = (nint)start;
        Mapping = how;
        IsAvailable = true;
        Status = $"{Kinds} VPDPBUSD zmm tiles ({code.Length} bytes) mapped read+execute ({(how == ExecutableMapping.Memfd ? "memfd " + MappingName : "mprotect")}), known answers checked";
    }

    /// <summary>
    /// The tile for <paramref name="rows"/> × <paramref name="vectors"/>·16 columns: <c>(a, aStride, weights, panelStride,
    /// groups, dots)</c> as <see cref="Int8DotTileAssembler"/> documents. Called by generated GEMMs; null when not available.
    /// </summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static delegate* unmanaged<byte*, long, sbyte*, long, long, int*, void> Tile(int rows, int vectors) =>
        (delegate* unmanaged<byte*, long, sbyte*, long, long, int*, void>)s_entries[(rows - 1) * 2 + vectors - 1];

    /// <summary>Every tile's bytes, concatenated (each entry 64-byte aligned), and each tile's offset.</summary>
    internal static (byte[] Code, int[] Offsets) AssembleAll()
    {
        var code = new List<byte>();
        var offsets = new int[Kinds];
        for (int rows = 1; rows <= Int8DotTileAssembler.MaxRows; rows++)
        {
            for (int vectors = 1; vectors <= 2; vectors++)
            {
                while (code.Count % 64 != 0)
                {
                    code.Add(0xCC); // int3 between tiles: a stray jump traps instead of running the next tile
                }
                offsets[(rows - 1) * 2 + vectors - 1] = code.Count;
                code.AddRange(Int8DotTileAssembler.Assemble(rows, vectors).ToArray());
            }
        }
        return ([.. code], offsets);
    }

    /// <summary>
    /// Runs every tile on fixed data with extreme values (255 × ±127 in every lane of some groups, which saturates an int16
    /// pair sum) against exact int32 sums; returns the first mismatch, or null. Also checks no byte past the tile is written.
    /// </summary>
    internal static string? KnownAnswerCheck(nint[] entries)
    {
        const int groups = 9, stride = 4 * groups + 8, panelBytes = 64 * groups;
        byte* a = (byte*)NativeMemory.AlignedAlloc(Int8DotTileAssembler.MaxRows * stride, 64);
        sbyte* w = (sbyte*)NativeMemory.AlignedAlloc(2 * panelBytes, 64);
        int* dots = (int*)NativeMemory.AlignedAlloc((Int8DotTileAssembler.MaxRows * 32 + 16) * sizeof(int), 64);
        try
        {
            uint seed = 12345;
            for (int i = 0; i < Int8DotTileAssembler.MaxRows * stride; i++)
            {
                a[i] = i % 7 == 0 ? (byte)255 : (byte)(Next(ref seed) & 0xFF);
            }
            for (int i = 0; i < 2 * panelBytes; i++)
            {
                w[i] = i / 64 % 3 == 0 ? (sbyte)(i % 2 == 0 ? 127 : -127) : (sbyte)((int)(Next(ref seed) % 255) - 127);
            }
            for (int rows = 1; rows <= Int8DotTileAssembler.MaxRows; rows++)
            {
                for (int vectors = 1; vectors <= 2; vectors++)
                {
                    int count = rows * vectors * 16;
                    new Span<int>(dots, Int8DotTileAssembler.MaxRows * 32 + 16).Fill(unchecked((int)0xDEADBEEF));
                    var tile = (delegate* unmanaged<byte*, long, sbyte*, long, long, int*, void>)entries[(rows - 1) * 2 + vectors - 1];
                    tile(a, stride, w, panelBytes, groups, dots);
                    for (int r = 0; r < rows; r++)
                    {
                        for (int column = 0; column < vectors * 16; column++)
                        {
                            int expected = ExactDot(a + r * stride, w + column / 16 * panelBytes, column % 16, groups);
                            int actual = dots[r * vectors * 16 + column];
                            if (actual != expected)
                            {
                                return $"tile {rows}x{vectors * 16} row {r} column {column}: {actual}, expected {expected}";
                            }
                        }
                    }
                    if (dots[count] != unchecked((int)0xDEADBEEF))
                    {
                        return $"tile {rows}x{vectors * 16} wrote past its {count} sums";
                    }
                }
            }
            return null;
        }
        finally
        {
            NativeMemory.AlignedFree(a);
            NativeMemory.AlignedFree(w);
            NativeMemory.AlignedFree(dots);
        }
    }

    /// <summary>Σ over groups and the 4 bytes of lane <paramref name="lane"/>, in int32 (the scalar oracle of one VPDPBUSD lane).</summary>
    internal static int ExactDot(byte* row, sbyte* panel, int lane, int groups)
    {
        int sum = 0;
        for (int g = 0; g < groups; g++)
        {
            for (int b = 0; b < 4; b++)
            {
                sum += row[4 * g + b] * panel[64 * g + 4 * lane + b];
            }
        }
        return sum;
    }

    private static uint Next(ref uint state)
    {
        state = state * 1664525u + 1013904223u;
        return state >> 8;
    }
}
