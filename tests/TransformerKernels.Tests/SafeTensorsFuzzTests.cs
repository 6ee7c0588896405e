using System.Text;
using CsCheck;
using Xunit.Abstractions;

namespace TransformerKernels.Tests;

/// <summary>
/// Property test over 10,000+ mutated safetensors files (CsCheck: seeded generation with shrinking, so a failure comes
/// back as the smallest mutation that breaks the loader, and runs in-process in CI time — SharpFuzz would need an
/// instrumented build and a fuzzing driver). Every case either loads, or fails with <see cref="SafeTensorsFormatException"/>
/// — never IndexOutOfRange, AccessViolation, OutOfMemory or a hang — and leaves the file neither open nor mapped. The
/// seed changes every run and is logged (<see cref="FuzzCases"/>); every case is time-boxed.
/// </summary>
public sealed class SafeTensorsFuzzTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("tk-fuzz").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static readonly string[] DTypes = ["F32", "F16", "BF16", "I64", "F64", "BOOL", "Q4_0", "", "f32", "F32 "];

    /// <summary>A small valid file: three tensors and metadata.</summary>
    private static byte[] ValidFile()
    {
        string path = Path.GetTempFileName();
        SafeTensorsWriter.Write(path, [("a", [2, 3], [1, 2, 3, 4, 5, 6]), ("b", [4], [7, 8, 9, 10]), ("c", [1, 1, 2], [11, 12])],
            new Dictionary<string, string> { ["format"] = "pt" });
        byte[] bytes = File.ReadAllBytes(path);
        File.Delete(path);
        return bytes;
    }

    private static byte[] Mutate(byte[] valid, int kind, int position, byte value)
    {
        int headerLength = (int)BitConverter.ToUInt64(valid, 0);
        int inHeader = 8 + position % headerLength;
        var bytes = (byte[])valid.Clone();
        switch (kind)
        {
            case 0: // flip a byte anywhere
                bytes[position % bytes.Length] ^= (byte)(value | 1);
                return bytes;
            case 1: // truncate
                return bytes[..(position % bytes.Length)];
            case 2: // corrupt the header length
                BitConverter.GetBytes((ulong)position * (ulong)(value + 1) * 977UL).CopyTo(bytes, 0);
                return bytes;
            case 3: // change a digit of the header (offsets, shapes)
                int digit = Array.FindIndex(bytes, inHeader, b => b is >= (byte)'0' and <= (byte)'9');
                if (digit >= 0 && digit < 8 + headerLength)
                {
                    bytes[digit] = (byte)("0123456789-." [value % 12]);
                }
                return bytes;
            case 4: // a structural character in the header
                bytes[inHeader] = (byte)"{}[]\",: "[value % 8];
                return bytes;
            case 5: // insert a byte
                int at = position % bytes.Length;
                return [.. bytes[..at], value, .. bytes[at..]];
            case 6: // duplicate a name, swap a dtype, or make offsets overlap, at the text level
                string header = Encoding.UTF8.GetString(bytes, 8, headerLength);
                string edited = (value % 3) switch
                {
                    0 => header.Replace("\"b\"", "\"a\""),
                    1 => header.Replace("\"F32\"", "\"" + DTypes[position % DTypes.Length] + "\""),
                    _ => header.Replace("[24,40]", "[20,36]").Replace("[24,", "[" + (position % 64) + ","),
                };
                byte[] encoded = Encoding.UTF8.GetBytes(edited);
                return [.. BitConverter.GetBytes((ulong)encoded.Length), .. encoded, .. bytes[(8 + headerLength)..]];
            default: // random bytes appended
                return [.. bytes, .. Enumerable.Repeat(value, position % 64)];
        }
    }

    [Fact]
    public void MutatedFilesFailOnlyWithTheLoadersOwnException()
    {
        byte[] valid = ValidFile();
        string path = Path.Combine(_directory, "case.safetensors");
        int loaded = 0, rejected = 0, cases = 0;
        string seed = FuzzCases.Seed(output);
        Gen.Select(Gen.Int[0, 7], Gen.Int[0, int.MaxValue], Gen.Byte).Sample((kind, position, value) => FuzzCases.TimeBoxed(() =>
        {
            File.WriteAllBytes(path, Mutate(valid, kind, position, value));
            try
            {
                using SafeTensorsFile file = SafeTensorsFile.Open(path);
                foreach (TensorInfo tensor in file.Tensors.Values)
                {
                    if (tensor.DType is TensorDType.F32 or TensorDType.F16 or TensorDType.BF16)
                    {
                        file.ReadArray(tensor.Name);
                    }
                }
                loaded++;
            }
            catch (SafeTensorsFormatException e)
            {
                Assert.False(string.IsNullOrWhiteSpace(e.Message));
                rejected++;
            }
            // The handle and the mapping are released (checked on a sample of cases, and at the end for all).
            if (++cases % 64 == 0)
            {
                Assert.Equal(0, FuzzCases.OpenReferences(path));
            }
        }, seed), iter: 10_000, threads: 1, seed: seed);
        Assert.Equal(0, FuzzCases.OpenReferences(path));
        Assert.True(rejected > 1000 && loaded > 100, $"mutations should both break and keep files valid: {rejected} rejected, {loaded} loaded");
    }

    [Fact]
    public void MutatedCheckpointsFailWithLoaderExceptionsOnly()
    {
        byte[] valid = File.ReadAllBytes(PyTorchParityTests.Fixture("encoder_post_relu.safetensors"));
        string path = Path.Combine(_directory, "model.safetensors");
        string seed = FuzzCases.Seed(output);
        Gen.Select(Gen.Int[0, 7], Gen.Int[0, int.MaxValue], Gen.Byte).Sample((kind, position, value) => FuzzCases.TimeBoxed(() =>
        {
            File.WriteAllBytes(path, Mutate(valid, kind, position, value));
            try
            {
                using var model = FixtureEncoderPostRelu.Load(path);
            }
            catch (Exception e) when (e is SafeTensorsFormatException or ModelWeightsException)
            {
            }
        }, seed), iter: 1_000, threads: 1, seed: seed);
        Assert.Equal(0, FuzzCases.OpenReferences(path));
    }

    [Fact]
    public void TheOpenFileCheckSeesAnOpenMappedFile()
    {
        // The check the fuzz cases rely on can fail: a loaded file is both open and mapped until disposed.
        string path = Path.Combine(_directory, "open.safetensors");
        File.WriteAllBytes(path, ValidFile());
        SafeTensorsFile file = SafeTensorsFile.Open(path);
        Assert.True(FuzzCases.OpenReferences(path) > 0, "a mapped file must be seen");
        file.Dispose();
        Assert.Equal(0, FuzzCases.OpenReferences(path));
    }

    [Fact]
    public void AHangingCaseFailsInsteadOfHangingTheRun()
    {
        using var release = new ManualResetEventSlim();
        var started = System.Diagnostics.Stopwatch.StartNew();
        Assert.Throws<TimeoutException>(() => FuzzCases.TimeBoxed(() => release.Wait(TimeSpan.FromMinutes(1)), "test", TimeSpan.FromSeconds(1)));
        release.Set();
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(10));
    }
}
