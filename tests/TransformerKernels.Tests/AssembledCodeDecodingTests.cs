using Iced.Intel;

namespace TransformerKernels.Tests;

/// <summary>
/// Decodes every assembled tile with Iced (independent of the encoder that wrote it) and checks the leaf contract: endbr64
/// first, one ret and it is last, only the expected instructions, only volatile general-purpose registers, no stack
/// (no rsp/rbp, push, pop or call), the loop and exit jumps landing where the listing says, and each VPDPBUSD's registers.
/// </summary>
public class AssembledCodeDecodingTests
{
    private static readonly HashSet<Mnemonic> Allowed =
    [
        Mnemonic.Endbr64, Mnemonic.Vpxord, Mnemonic.Lea, Mnemonic.Test, Mnemonic.Je, Mnemonic.Vmovdqu32, Mnemonic.Vpbroadcastd,
        Mnemonic.Vpdpbusd, Mnemonic.Add, Mnemonic.Dec, Mnemonic.Jne, Mnemonic.Vzeroupper, Mnemonic.Ret,
    ];

    private static readonly HashSet<Register> Volatile =
        [Register.RAX, Register.RCX, Register.RDX, Register.RSI, Register.RDI, Register.R8, Register.R9, Register.R10, Register.R11];

    public static TheoryData<int, int> Tiles()
    {
        var data = new TheoryData<int, int>();
        for (int rows = 1; rows <= Int8DotTileAssembler.MaxRows; rows++)
        {
            data.Add(rows, 1);
            data.Add(rows, 2);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Tiles))]
    public void TileIsALeafOfExactlyTheListedInstructions(int rows, int vectors)
    {
        X86Encoder encoder = Int8DotTileAssembler.Assemble(rows, vectors);
        byte[] code = encoder.ToArray();
        List<Instruction> instructions = Decode(code);
        string variant = $"tile {rows}x{vectors * 16}";

        // The listing's offsets and mnemonics are the decoder's: every instruction boundary is where the encoder meant it.
        string[] listed = [.. encoder.Listing.Where(l => !l.StartsWith('L'))];
        Assert.Equal(listed.Length, instructions.Count);
        for (int i = 0; i < listed.Length; i++)
        {
            Assert.True(Convert.ToInt32(listed[i][..4], 16) == (int)instructions[i].IP, $"{variant}: '{listed[i]}' decodes at 0x{instructions[i].IP:x}");
            string mnemonic = listed[i][38..].Split(' ')[0].Replace("jnz", "jne").Replace("jz", "je");
            Assert.True(mnemonic == instructions[i].Mnemonic.ToString().ToLowerInvariant(), $"{variant}: listed '{listed[i]}', decoded {instructions[i]}");
        }

        Assert.Equal(Mnemonic.Endbr64, instructions[0].Mnemonic);
        Assert.Equal(Mnemonic.Ret, instructions[^1].Mnemonic);
        Assert.Single(instructions, i => i.Mnemonic == Mnemonic.Ret);
        foreach (Instruction instruction in instructions)
        {
            Assert.True(Allowed.Contains(instruction.Mnemonic), $"{variant}: unexpected {instruction}");
            Assert.False(instruction.IsStackInstruction && instruction.Mnemonic != Mnemonic.Ret, $"{variant}: {instruction} uses the stack");
            foreach (Register register in Registers(instruction))
            {
                Register full = register.GetFullRegister();
                Assert.True(full.IsZMM() || Volatile.Contains(full), $"{variant}: {instruction} uses {register}, not a volatile register");
            }
        }

        // Accumulators zmm0–23, weights zmm24/25, broadcasts zmm26–29: row r, vector j accumulates zmm(r·vectors + j).
        var dots = instructions.Where(i => i.Mnemonic == Mnemonic.Vpdpbusd).ToList();
        Assert.Equal(rows * vectors, dots.Count);
        for (int n = 0; n < dots.Count; n++)
        {
            int r = n / vectors, j = n % vectors;
            Assert.Equal(Register.ZMM0 + (r * vectors + j), dots[n].Op0Register);
            Assert.Equal(Register.ZMM26 + r % 4, dots[n].Op1Register);
            Assert.Equal(Register.ZMM24 + j, dots[n].Op2Register);
        }

        // One backward jne to the first weight load; the je skips the loop to the first store.
        Instruction loopJump = instructions.Single(i => i.Mnemonic == Mnemonic.Jne);
        Instruction exitJump = instructions.Single(i => i.Mnemonic == Mnemonic.Je);
        Instruction firstLoad = instructions.First(i => i.Mnemonic == Mnemonic.Vmovdqu32 && i.Op0Kind == OpKind.Register);
        Instruction firstStore = instructions.First(i => i.Mnemonic == Mnemonic.Vmovdqu32 && i.Op0Kind == OpKind.Memory);
        Assert.Equal(firstLoad.IP, loopJump.NearBranchTarget);
        Assert.Equal(firstStore.IP, exitJump.NearBranchTarget);
        Assert.Equal(rows * vectors, instructions.Count(i => i.Mnemonic == Mnemonic.Vmovdqu32 && i.Op0Kind == OpKind.Memory));
        Assert.Equal(rows, instructions.Count(i => i.Mnemonic == Mnemonic.Vpbroadcastd));
    }

    [Fact]
    public void EncoderRefusesTheStackAndFramePointers()
    {
        var x = new X86Encoder();
        Assert.Throws<ArgumentException>(() => x.AddImmediate(Gpr.Rsp, 8));
        Assert.Throws<ArgumentException>(() => x.Vmovdqu32Load(0, new MemoryOperand(Gpr.Rbp)));
        Assert.Throws<ArgumentException>(() => x.Lea(Gpr.Rax, new MemoryOperand(Gpr.Rdi, Gpr.Rsp)));
        Assert.Throws<ArgumentOutOfRangeException>(() => x.Vpdpbusd(32, 0, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => Int8DotTileAssembler.Assemble(13, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => Int8DotTileAssembler.Assemble(1, 3));
        int never = x.NewLabel();
        x.Jnz(never);
        Assert.Throws<InvalidOperationException>(() => x.ToArray());
    }

    [Fact]
    public void HighRegistersAndSibFormsDecodeAsWritten()
    {
        // Every register-extension bit of EVEX (R, R', X, B, V') and REX (R, X, B) set at least once.
        var x = new X86Encoder();
        x.Vpdpbusd(31, 17, 9);
        x.Vpdpbusd(8, 30, 23);
        x.VpbroadcastdLoad(19, new MemoryOperand(Gpr.R11, Gpr.R10, 8, -12));
        x.Vmovdqu32Store(new MemoryOperand(Gpr.R13, Gpr.R9, 4), 27);
        x.Vmovdqu32Load(12, new MemoryOperand(Gpr.R12, Gpr.Rsi, 1, 1 << 20));
        x.Lea(Gpr.R9, new MemoryOperand(Gpr.R8, Gpr.R15, 2, 100));
        x.Test(Gpr.R14, Gpr.Rcx);
        List<Instruction> decoded = Decode(x.ToArray());
        var formatter = new IntelFormatter();
        formatter.Options.MemorySizeOptions = MemorySizeOptions.Always;
        string[] expected =
        [
            "vpdpbusd zmm31,zmm17,zmm9",
            "vpdpbusd zmm8,zmm30,zmm23",
            "vpbroadcastd zmm19,dword ptr [r11+r10*8-0Ch]",
            "vmovdqu32 zmmword ptr [r13+r9*4],zmm27",
            "vmovdqu32 zmm12,zmmword ptr [r12+rsi+100000h]",
            "lea r9,[r8+r15*2+64h]",
            "test r14,rcx",
        ];
        Assert.Equal(expected, decoded.Select(i =>
        {
            var output = new StringOutput();
            formatter.Format(i, output);
            return output.ToStringAndReset().Replace(", ", ",");
        }));
    }

    private static List<Instruction> Decode(byte[] code)
    {
        var decoder = Decoder.Create(64, new ByteArrayCodeReader(code), ip: 0);
        var instructions = new List<Instruction>();
        while (decoder.IP < (ulong)code.Length)
        {
            decoder.Decode(out Instruction instruction);
            Assert.False(instruction.IsInvalid, $"invalid instruction at 0x{instruction.IP:x}");
            instructions.Add(instruction);
        }
        return instructions;
    }

    private static IEnumerable<Register> Registers(Instruction instruction)
    {
        for (int op = 0; op < instruction.OpCount; op++)
        {
            if (instruction.GetOpKind(op) == OpKind.Register)
            {
                yield return instruction.GetOpRegister(op);
            }
            else if (instruction.GetOpKind(op) == OpKind.Memory)
            {
                if (instruction.MemoryBase != Register.None)
                {
                    yield return instruction.MemoryBase;
                }
                if (instruction.MemoryIndex != Register.None)
                {
                    yield return instruction.MemoryIndex;
                }
            }
        }
    }
}
