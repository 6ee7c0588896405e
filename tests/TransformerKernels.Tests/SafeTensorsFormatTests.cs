using System.Text;

namespace TransformerKernels.Tests;

/// <summary>Malformed safetensors files fail on open with <see cref="SafeTensorsFormatException"/> naming the field or tensor.</summary>
public class SafeTensorsFormatTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("tk-format").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string File(byte[] bytes)
    {
        string path = Path.Combine(_directory, Guid.NewGuid() + ".safetensors");
        System.IO.File.WriteAllBytes(path, bytes);
        return path;
    }

    private string WithHeader(string json, int dataBytes)
    {
        byte[] header = Encoding.UTF8.GetBytes(json);
        return File([.. BitConverter.GetBytes((ulong)header.Length), .. header, .. new byte[dataBytes]]);
    }

    public static TheoryData<string, int, string> BadHeaders() => new()
    {
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]", 8, "not valid JSON" },
        { "[1,2]", 0, "not an object" },
        { "{\"a\":{\"dtype\":\"Q4\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, "dtype 'Q4'" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8, "needs 12 bytes" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,16]}}", 8, "outside the 8-byte data section" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12, "overlap" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}", 16, "appears twice" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", 8, "non-negative integer" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]}}", 8, "data_offsets [8, 0]" },
        { "{\"a\":{\"shape\":[2],\"data_offsets\":[0,8]}}", 8, "'dtype'" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[2]}}", 8, "data_offsets" },
        { "{\"__metadata__\":{\"x\":3}}", 0, "__metadata__ entry 'x'" },
    };

    [Theory]
    [MemberData(nameof(BadHeaders))]
    public void MalformedHeaderIsRejectedByName(string json, int dataBytes, string phrase)
    {
        var e = Assert.Throws<SafeTensorsFormatException>(() => SafeTensorsFile.Open(WithHeader(json, dataBytes)));
        Assert.Contains(phrase, e.Message);
    }

    [Fact]
    public void HeaderLengthBeyondTheFileIsRejected()
    {
        var e = Assert.Throws<SafeTensorsFormatException>(() => SafeTensorsFile.Open(File([.. BitConverter.GetBytes(ulong.MaxValue), .. "{}"u8.ToArray()])));
        Assert.Contains("header length", e.Message);
        Assert.Throws<SafeTensorsFormatException>(() => SafeTensorsFile.Open(File([1, 2, 3])));
    }

    [Fact]
    public void TruncatedBodyIsRejected()
    {
        byte[] whole = System.IO.File.ReadAllBytes(PyTorchParityTests.Fixture("encoder_post_relu.safetensors"));
        var e = Assert.Throws<SafeTensorsFormatException>(() => SafeTensorsFile.Open(File(whole[..^10])));
        Assert.Contains("outside", e.Message);
    }

    [Fact]
    public void FileIsReleasedAfterDispose()
    {
        string path = WithHeader("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8);
        using (SafeTensorsFile file = SafeTensorsFile.Open(path))
        {
            Assert.Equal([0f, 0f], file.ReadArray("a"));
        }
        System.IO.File.Delete(path);
        Assert.False(System.IO.File.Exists(path));
    }

    [Fact]
    public void IntegerTensorsAreValidatedButNotReadAsWeights()
    {
        string path = WithHeader("{\"ids\":{\"dtype\":\"I64\",\"shape\":[2],\"data_offsets\":[0,16]}}", 16);
        using SafeTensorsFile file = SafeTensorsFile.Open(path);
        Assert.Throws<SafeTensorsFormatException>(() => file.ReadArray("ids"));
    }
}
