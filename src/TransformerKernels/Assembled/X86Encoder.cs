using System.Globalization;

namespace TransformerKernels;

/// <summary>A general-purpose x86-64 register, numbered as the instruction encoding numbers it.</summary>
internal enum Gpr
{
    Rax = 0, Rcx = 1, Rdx = 2, Rbx = 3, Rsp = 4, Rbp = 5, Rsi = 6, Rdi = 7,
    R8 = 8, R9 = 9, R10 = 10, R11 = 11, R12 = 12, R13 = 13, R14 = 14, R15 = 15,
}

/// <summary>A memory operand <c>[base + index·scale + displacement]</c> (no index when <see cref="Index"/> is null).</summary>
internal readonly record struct MemoryOperand(Gpr Base, Gpr? Index = null, int Scale = 1, int Displacement = 0)
{
    /// <inheritdoc/>
    public override string ToString()
    {
        string text = Base.ToString().ToLowerInvariant();
        if (Index is { } index)
        {
            text += "+" + index.ToString().ToLowerInvariant() + (Scale == 1 ? "" : "*" + Scale.ToString(CultureInfo.InvariantCulture));
        }
        if (Displacement != 0)
        {
            text += (Displacement < 0 ? "-" : "+") + "0x" + Math.Abs((long)Displacement).ToString("x", CultureInfo.InvariantCulture);
        }
        return "[" + text + "]";
    }
}

/// <summary>
/// Encodes exactly the x86-64 instructions the assembled microkernels use (EVEX for the 512-bit ones, VEX for vzeroupper,
/// legacy REX.W for the loop bookkeeping) and keeps a listing, one line per instruction, for reviewers and profilers.
/// </summary>
/// <remarks>
/// Intel SDM vol. 2, §2.7 (EVEX): 62 P0 P1 P2 opcode ModRM [SIB] [disp]. P0 = R̄ X̄ B̄ R̄' 0 0 m m, P1 = W v̄v̄v̄v̄ 1 p p,
/// P2 = z L'L b V̄' a a a. Displacements are always written as disp32 (never the EVEX disp8·N compressed form), which costs a
/// few bytes and removes a whole class of scaling mistakes. The encoder refuses rsp and rbp in any operand: a kernel built
/// with it cannot touch the stack or the frame, which is half of the leaf contract (docs/assembled-kernels.md).
/// </remarks>
internal sealed class X86Encoder
{
    private readonly List<byte> _code = [];
    private readonly List<string> _listing = [];
    private readonly List<(int At, int Label)> _fixups = [];
    private readonly List<int> _labels = [];

    /// <summary>Bytes emitted so far.</summary>
    public int Length => _code.Count;

    /// <summary>One line per instruction: offset, bytes, and the instruction in Intel syntax.</summary>
    public IReadOnlyList<string> Listing => _listing;

    /// <summary>The encoded bytes, with every jump resolved.</summary>
    /// <exception cref="InvalidOperationException">A jump targets a label that was never placed.</exception>
    public byte[] ToArray()
    {
        byte[] code = [.. _code];
        foreach ((int at, int label) in _fixups)
        {
            int target = _labels[label];
            if (target < 0)
            {
                throw new InvalidOperationException($"Label {label} is jumped to but never placed.");
            }
            BitConverter.TryWriteBytes(code.AsSpan(at, 4), target - (at + 4));
        }
        return code;
    }

    /// <summary>A new label, placed later with <see cref="Place"/>.</summary>
    public int NewLabel()
    {
        _labels.Add(-1);
        return _labels.Count - 1;
    }

    /// <summary>Places <paramref name="label"/> at the current offset.</summary>
    public void Place(int label)
    {
        _labels[label] = _code.Count;
        _listing.Add($"L{label}:");
    }

    /// <summary>endbr64: the indirect-branch target marker (CET); a no-op on CPUs without it.</summary>
    public void Endbr64() => Emit("endbr64", 0xF3, 0x0F, 0x1E, 0xFA);

    /// <summary>ret.</summary>
    public void Ret() => Emit("ret", 0xC3);

    /// <summary>vzeroupper: clears the upper halves so later SSE code pays no transition penalty.</summary>
    public void Vzeroupper() => Emit("vzeroupper", 0xC5, 0xF8, 0x77);

    /// <summary>add r64, imm8.</summary>
    public void AddImmediate(Gpr register, sbyte value) => GprImmediate8("add", 0, register, value);

    /// <summary>sub r64, imm8.</summary>
    public void SubImmediate(Gpr register, sbyte value) => GprImmediate8("sub", 5, register, value);

    /// <summary>dec r64.</summary>
    public void Dec(Gpr register)
    {
        CheckGpr(register);
        Emit($"dec {Name(register)}", Rex(w: true, reg: 0, index: 0, rm: (int)register), 0xFF, ModRmRegister(1, (int)register));
    }

    /// <summary>test r64, r64.</summary>
    public void Test(Gpr left, Gpr right)
    {
        CheckGpr(left);
        CheckGpr(right);
        Emit($"test {Name(left)}, {Name(right)}", Rex(w: true, reg: (int)right, index: 0, rm: (int)left), 0x85, ModRmRegister((int)right, (int)left));
    }

    /// <summary>lea r64, [memory].</summary>
    public void Lea(Gpr destination, MemoryOperand memory)
    {
        CheckGpr(destination);
        var bytes = new List<byte> { Rex(w: true, reg: (int)destination, index: memory.Index is { } i ? (int)i : 0, rm: (int)memory.Base), 0x8D };
        AppendMemory(bytes, (int)destination, memory);
        Emit($"lea {Name(destination)}, {memory}", [.. bytes]);
    }

    /// <summary>jnz rel32 to <paramref name="label"/>.</summary>
    public void Jnz(int label) => Jump("jnz", 0x85, label);

    /// <summary>jz rel32 to <paramref name="label"/>.</summary>
    public void Jz(int label) => Jump("jz", 0x84, label);

    /// <summary>vpxord zmm, zmm, zmm (EVEX.512.66.0F.W0 EF /r): the idiom that zeroes an accumulator.</summary>
    public void Vpxord(int destination, int left, int right) =>
        EvexRegisters("vpxord", map: 1, pp: 1, opcode: 0xEF, destination, left, right);

    /// <summary>
    /// vpdpbusd zmm1, zmm2, zmm3 (EVEX.512.66.0F38.W0 50 /r): each int32 lane of zmm1 += the four u8 of zmm2's lane times the
    /// four s8 of zmm3's lane, in int32 — no intermediate int16, so nothing saturates.
    /// </summary>
    public void Vpdpbusd(int accumulator, int unsignedBytes, int signedBytes) =>
        EvexRegisters("vpdpbusd", map: 2, pp: 1, opcode: 0x50, accumulator, unsignedBytes, signedBytes);

    /// <summary>vpbroadcastd zmm, dword [memory] (EVEX.512.66.0F38.W0 58 /r).</summary>
    public void VpbroadcastdLoad(int destination, MemoryOperand memory) =>
        EvexMemory($"vpbroadcastd {Zmm(destination)}, dword ptr {memory}", map: 2, pp: 1, opcode: 0x58, destination, memory);

    /// <summary>vmovdqu32 zmm, zmmword [memory] (EVEX.512.F3.0F.W0 6F /r): an unaligned 64-byte load.</summary>
    public void Vmovdqu32Load(int destination, MemoryOperand memory) =>
        EvexMemory($"vmovdqu32 {Zmm(destination)}, zmmword ptr {memory}", map: 1, pp: 2, opcode: 0x6F, destination, memory);

    /// <summary>vmovdqu32 zmmword [memory], zmm (EVEX.512.F3.0F.W0 7F /r): an unaligned 64-byte store.</summary>
    public void Vmovdqu32Store(MemoryOperand memory, int source) =>
        EvexMemory($"vmovdqu32 zmmword ptr {memory}, {Zmm(source)}", map: 1, pp: 2, opcode: 0x7F, source, memory);

    private void Jump(string mnemonic, byte condition, int label)
    {
        if ((uint)label >= (uint)_labels.Count)
        {
            throw new ArgumentOutOfRangeException(nameof(label), label, "Not a label of this encoder.");
        }
        Emit($"{mnemonic} L{label}", 0x0F, condition, 0, 0, 0, 0);
        _fixups.Add((_code.Count - 4, label));
    }

    private void GprImmediate8(string mnemonic, int extension, Gpr register, sbyte value)
    {
        CheckGpr(register);
        Emit($"{mnemonic} {Name(register)}, 0x{value:x}", Rex(w: true, reg: 0, index: 0, rm: (int)register), 0x83, ModRmRegister(extension, (int)register), (byte)value);
    }

    private void EvexRegisters(string mnemonic, int map, int pp, byte opcode, int reg, int vvvv, int rm)
    {
        CheckZmm(reg);
        CheckZmm(vvvv);
        CheckZmm(rm);
        // Register-direct rm: B̄ extends bit 3 of rm and X̄ bit 4.
        byte p0 = (byte)((Inverted(reg, 3) << 7) | (Inverted(rm, 4) << 6) | (Inverted(rm, 3) << 5) | (Inverted(reg, 4) << 4) | map);
        Emit($"{mnemonic} {Zmm(reg)}, {Zmm(vvvv)}, {Zmm(rm)}", 0x62, p0, P1(vvvv, pp), P2(vvvv), opcode, ModRmRegister(reg & 7, rm & 7));
    }

    private void EvexMemory(string text, int map, int pp, byte opcode, int reg, MemoryOperand memory)
    {
        CheckZmm(reg);
        int index = memory.Index is { } i ? (int)i : 0;
        // Memory rm: B̄ extends the base, X̄ the index; vvvv is unused (1111b, V̄' = 1), which is what register 0 inverts to.
        byte p0 = (byte)((Inverted(reg, 3) << 7) | (Inverted(index, 3) << 6) | (Inverted((int)memory.Base, 3) << 5) | (Inverted(reg, 4) << 4) | map);
        var bytes = new List<byte> { 0x62, p0, P1(0, pp), P2(0), opcode };
        AppendMemory(bytes, reg, memory);
        Emit(text, [.. bytes]);
    }

    /// <summary>P1 = W0, v̄v̄v̄v̄, 1, pp.</summary>
    private static byte P1(int vvvv, int pp) => (byte)((((~vvvv) & 15) << 3) | 4 | pp);

    /// <summary>P2 = z0, L'L = 10 (512 bits), b0, V̄', aaa = 000 (no mask).</summary>
    private static byte P2(int vvvv) => (byte)(0x40 | (Inverted(vvvv, 4) << 3));

    private static int Inverted(int register, int bit) => ((register >> bit) & 1) ^ 1;

    private static byte Rex(bool w, int reg, int index, int rm) =>
        (byte)(0x40 | (w ? 8 : 0) | (((reg >> 3) & 1) << 2) | (((index >> 3) & 1) << 1) | ((rm >> 3) & 1));

    private static byte ModRmRegister(int reg, int rm) => (byte)(0xC0 | ((reg & 7) << 3) | (rm & 7));

    /// <summary>ModRM (mod 00, or 10 with disp32), then a SIB when there is an index.</summary>
    private static void AppendMemory(List<byte> bytes, int reg, MemoryOperand memory)
    {
        CheckGpr(memory.Base);
        int mod = memory.Displacement == 0 ? 0 : 2;
        if (memory.Base is Gpr.R13 && mod == 0)
        {
            mod = 2; // base 101b with mod 00 means RIP-relative / no base
        }
        if (memory.Index is { } index)
        {
            CheckGpr(index);
            int scaleBits = memory.Scale switch
            {
                1 => 0,
                2 => 1,
                4 => 2,
                8 => 3,
                _ => throw new ArgumentOutOfRangeException(nameof(memory), memory.Scale, "Scale must be 1, 2, 4 or 8."),
            };
            bytes.Add((byte)((mod << 6) | ((reg & 7) << 3) | 4));
            bytes.Add((byte)((scaleBits << 6) | (((int)index & 7) << 3) | ((int)memory.Base & 7)));
        }
        else
        {
            if (((int)memory.Base & 7) == 4)
            {
                throw new ArgumentException("r12 as a base needs a SIB byte this encoder does not emit; use another register.", nameof(memory));
            }
            bytes.Add((byte)((mod << 6) | ((reg & 7) << 3) | ((int)memory.Base & 7)));
        }
        if (mod == 2)
        {
            bytes.AddRange(BitConverter.GetBytes(memory.Displacement));
        }
    }

    private static void CheckGpr(Gpr register)
    {
        if (register is Gpr.Rsp or Gpr.Rbp)
        {
            throw new ArgumentException($"{Name(register)} is the stack or frame pointer; assembled kernels are leaf functions that never touch the stack.", nameof(register));
        }
        if ((uint)register > 15)
        {
            throw new ArgumentOutOfRangeException(nameof(register), register, "Not a general-purpose register.");
        }
    }

    private static void CheckZmm(int register)
    {
        if ((uint)register > 31)
        {
            throw new ArgumentOutOfRangeException(nameof(register), register, "zmm registers are 0–31.");
        }
    }

    private static string Name(Gpr register) => register.ToString().ToLowerInvariant();

    private static string Zmm(int register) => "zmm" + register.ToString(CultureInfo.InvariantCulture);

    private void Emit(string text, params byte[] bytes)
    {
        _listing.Add($"{_code.Count:x4}  {Convert.ToHexString(bytes).ToLowerInvariant(),-30}  {text}");
        _code.AddRange(bytes);
    }
}
