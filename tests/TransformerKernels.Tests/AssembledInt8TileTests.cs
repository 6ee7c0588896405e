using System.Reflection;
using System.Runtime.Intrinsics;

namespace TransformerKernels.Tests;

/// <summary>
/// The assembled VPDPBUSD tiles against the exact int32 oracle (<see cref="AssembledInt8Tiles.ExactDot"/>), bit for bit: every
/// tile (rows 1–12 × one or two panels) on every generated GEMM's inner dimension and row stride, with 8-bit weights ±127 and
/// activations up to 255 (sums an int16 pair step would saturate). The GEMM-level tests (LowPrecisionGemmTests) run the
/// tiles inside the generated workers when Avx512Vnni is the active int8 path.
/// </summary>
public unsafe class AssembledInt8TileTests
{
    internal delegate void TileCall(byte* a, long stride, sbyte* weights, long panelStride, long groups, int* dots);

    [Fact]
    public void TilesAreUsedWhereTheCpuHasAvx512VnniUnlessTurnedOff()
    {
        bool expected = CpuFeatures.Avx512Vnni && Vector512.IsHardwareAccelerated && Environment.GetEnvironmentVariable("TK_ASSEMBLED_KERNELS") != "0";
        Assert.True(expected == AssembledInt8Tiles.IsAvailable, $"AVX512-VNNI {CpuFeatures.Avx512Vnni}, Vector512 {Vector512.IsHardwareAccelerated}: {AssembledInt8Tiles.Status}");
        Assert.False(string.IsNullOrEmpty(AssembledInt8Tiles.Status));
        if (!AssembledInt8Tiles.IsAvailable && CpuFeatures.Avx512Vnni)
        {
            Assert.Contains("not used: " + AssembledInt8Tiles.Status, Int8Paths.Describe()); // --verbose says why
        }
    }

    public static TheoryData<string> Gemms() => GemmTests.Gemms();

    [Theory]
    [MemberData(nameof(Gemms))]
    public void EveryTileMatchesTheInt32OracleOnThisShape(string name)
    {
        if (!AssembledInt8Tiles.IsAvailable)
        {
            return; // TilesAreUsedWhereTheCpuHasAvx512VnniUnlessTurnedOff checks that this is expected
        }
        Type gemm = TestData.SharedGemmOf(GemmTests.Resolve(name));
        int groups = PrivateConstant(gemm, "Groups"), ldq = PrivateConstant(gemm, "Ldq");
        foreach (int rows in Enumerable.Range(1, 12))
        {
            foreach (int vectors in new[] { 1, 2 })
            {
                string? wrong = RunAgainstOracle((a, s, w, p, g, d) => AssembledInt8Tiles.Tile(rows, vectors)(a, s, w, p, g, d), rows, vectors, groups, ldq, seed: rows * 10 + vectors);
                Assert.True(wrong is null, $"{name} (groups {groups}, ldq {ldq}) assembled tile {rows}x{vectors * 16}: {wrong}");
            }
        }
    }

    [Fact]
    public void ZeroGroupsStoreZeros()
    {
        if (!AssembledInt8Tiles.IsAvailable)
        {
            return;
        }
        string? wrong = RunAgainstOracle((a, s, w, p, g, d) => AssembledInt8Tiles.Tile(12, 2)(a, s, w, p, g, d), 12, 2, groups: 0, ldq: 4, seed: 1);
        Assert.True(wrong is null, wrong);
    }

    [Fact]
    public void TheKnownAnswerCheckRefusesACorruptedTile()
    {
        if (!AssembledInt8Tiles.IsAvailable)
        {
            return;
        }
        (byte[] code, int[] offsets) = AssembledInt8Tiles.AssembleAll();
        // Change "add rdx, 0x40" (advance the weights one group) of the 12×32 tile to "add rdx, 0x0": a valid instruction
        // that reads in bounds but sums the first group over and over.
        X86Encoder tile = Int8DotTileAssembler.Assemble(12, 2);
        string line = tile.Listing.Single(l => l.EndsWith("add rdx, 0x40", StringComparison.Ordinal));
        int at = offsets[(12 - 1) * 2 + 1] + Convert.ToInt32(line[..4], 16) + 3; // REX.W 83 /0, then the immediate
        Assert.Equal(0x40, code[at]);
        code[at] = 0;
        byte* start = ExecutableMemory.Map(code, "tk-test-corrupted-tile", null, out _, out string? failure);
        Assert.True(start != null, failure);
        nint[] entries = [.. offsets.Select(o => (nint)(start + o))];
        string? wrong = AssembledInt8Tiles.KnownAnswerCheck(entries);
        Assert.NotNull(wrong);
        Assert.Contains("tile 12x32", wrong);
    }

    /// <summary>Fills u8 rows (stride ldq, bytes past 4·groups poisoned) and two s8 panels, runs the tile, compares every sum.</summary>
    internal static string? RunAgainstOracle(TileCall tile, int rows, int vectors, int groups, int ldq, int seed)
    {
        int panelBytes = 64 * groups;
        var random = new Random(seed);
        byte[] a = new byte[rows * ldq + 4];
        sbyte[] w = new sbyte[2 * panelBytes + 64];
        int[] dots = new int[rows * 32 + 16];
        for (int i = 0; i < a.Length; i++)
        {
            int column = i % ldq;
            a[i] = column >= 4 * groups ? (byte)0xFF : random.Next(8) == 0 ? (byte)255 : (byte)random.Next(256);
        }
        for (int i = 0; i < w.Length; i++)
        {
            w[i] = random.Next(8) == 0 ? (sbyte)(random.Next(2) == 0 ? 127 : -127) : (sbyte)random.Next(-127, 128);
        }
        Array.Fill(dots, 0x5A5A5A5A);
        fixed (byte* pa = a)
        fixed (sbyte* pw = w)
        fixed (int* pd = dots)
        {
            tile(pa, ldq, pw, panelBytes, groups, pd);
            int width = vectors * 16;
            for (int r = 0; r < rows; r++)
            {
                for (int column = 0; column < width; column++)
                {
                    int expected = AssembledInt8Tiles.ExactDot(pa + r * ldq, pw + column / 16 * panelBytes, column % 16, groups);
                    if (dots[r * width + column] != expected)
                    {
                        return $"row {r} column {column}: {dots[r * width + column]}, expected {expected}";
                    }
                }
            }
            for (int i = rows * width; i < dots.Length; i++)
            {
                if (dots[i] != 0x5A5A5A5A)
                {
                    return $"wrote past its {rows * width} sums (int {i})";
                }
            }
        }
        return null;
    }

    private static int PrivateConstant(Type type, string name) =>
        (int)type.GetField(name, BindingFlags.NonPublic | BindingFlags.Static)!.GetRawConstantValue()!;
}
