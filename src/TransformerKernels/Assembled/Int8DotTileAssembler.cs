namespace TransformerKernels;

/// <summary>
/// Assembles the K loop of an int8 register tile with VPDPBUSD on zmm registers (AVX512-VNNI, which .NET 10 has no intrinsic
/// for): <c>rows</c> rows of u8 activations times one or two 16-column panels of s8 weights, int32 sums stored row-major.
/// </summary>
/// <remarks>
/// <para>C signature (System V x64): <c>void tile(const uint8_t* a, int64_t aStride, const int8_t* weights,
/// int64_t panelStride, int64_t groups, int32_t* dots)</c> — rdi, rsi, rdx, rcx, r8, r9. Row r of A starts at a + r·aStride;
/// group g of the tile's first panel is the 64 bytes at weights + 64g, of its second panel at weights + panelStride + 64g
/// (the packed layout of <see cref="LowPrecisionWeights"/>); dots receives rows × vectors × 16 int32, row by row.</para>
/// <para>Leaf function: only volatile registers (rax, rcx, rdx, rsi, rdi, r8–r11, zmm0–zmm29; on System V every vector
/// register is caller-saved), no stack, endbr64 first, one ret. Register plan: zmm0–23 accumulators (row r, vector j →
/// r·vectors + j), zmm24/25 the two weight vectors of a group, zmm26–29 activation broadcasts (rotated so consecutive rows
/// do not reuse one register). Row pointers: rdi rows 0–3, rax = a + 4·stride rows 4–7, r11 = a + 8·stride rows 8–11, each
/// row q of four at [base], [base + rsi], [base + rsi·2], [base + r10] with r10 = 3·stride.</para>
/// </remarks>
internal static class Int8DotTileAssembler
{
    /// <summary>Most rows a tile can have: 12 rows × 2 vectors = 24 accumulators, plus 2 weights and 4 broadcasts of 32 zmm.</summary>
    public const int MaxRows = 12;

    /// <summary>First zmm holding weights; accumulators are below it.</summary>
    private const int WeightRegister = 24;

    /// <summary>First of the four zmm activation broadcasts rotate through.</summary>
    private const int BroadcastRegister = 26;

    /// <summary>The encoded tile for <paramref name="rows"/> × <paramref name="vectors"/>·16 columns, with its listing.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Rows outside 1–12 or vectors other than 1 or 2.</exception>
    public static X86Encoder Assemble(int rows, int vectors)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rows, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(rows, MaxRows);
        ArgumentOutOfRangeException.ThrowIfLessThan(vectors, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(vectors, 2);

        var x = new X86Encoder();
        int loop = x.NewLabel(), done = x.NewLabel();
        x.Endbr64();
        for (int acc = 0; acc < rows * vectors; acc++)
        {
            x.Vpxord(acc, acc, acc);
        }
        if (rows > 3)
        {
            x.Lea(Gpr.R10, new MemoryOperand(Gpr.Rsi, Gpr.Rsi, 2));
        }
        if (rows > 4)
        {
            x.Lea(Gpr.Rax, new MemoryOperand(Gpr.Rdi, Gpr.Rsi, 4));
        }
        if (rows > 8)
        {
            x.Lea(Gpr.R11, new MemoryOperand(Gpr.Rdi, Gpr.Rsi, 8));
        }
        // groups ≤ 0: nothing to accumulate, store the zeros.
        x.Test(Gpr.R8, Gpr.R8);
        x.Jz(done);

        x.Place(loop);
        x.Vmovdqu32Load(WeightRegister, new MemoryOperand(Gpr.Rdx));
        if (vectors == 2)
        {
            x.Vmovdqu32Load(WeightRegister + 1, new MemoryOperand(Gpr.Rdx, Gpr.Rcx));
        }
        for (int r = 0; r < rows; r++)
        {
            int broadcast = BroadcastRegister + r % 4;
            x.VpbroadcastdLoad(broadcast, RowAddress(r));
            for (int j = 0; j < vectors; j++)
            {
                x.Vpdpbusd(r * vectors + j, broadcast, WeightRegister + j);
            }
        }
        x.AddImmediate(Gpr.Rdi, 4);
        if (rows > 4)
        {
            x.AddImmediate(Gpr.Rax, 4);
        }
        if (rows > 8)
        {
            x.AddImmediate(Gpr.R11, 4);
        }
        x.AddImmediate(Gpr.Rdx, 64);
        x.Dec(Gpr.R8);
        x.Jnz(loop);

        x.Place(done);
        for (int acc = 0; acc < rows * vectors; acc++)
        {
            x.Vmovdqu32Store(new MemoryOperand(Gpr.R9, Displacement: acc * 64), acc);
        }
        x.Vzeroupper();
        x.Ret();
        return x;
    }

    /// <summary>Row r's current group of four activations.</summary>
    private static MemoryOperand RowAddress(int r)
    {
        Gpr rowBase = r < 4 ? Gpr.Rdi : r < 8 ? Gpr.Rax : Gpr.R11;
        return (r % 4) switch
        {
            0 => new MemoryOperand(rowBase),
            1 => new MemoryOperand(rowBase, Gpr.Rsi),
            2 => new MemoryOperand(rowBase, Gpr.Rsi, 2),
            _ => new MemoryOperand(rowBase, Gpr.R10),
        };
    }
}
