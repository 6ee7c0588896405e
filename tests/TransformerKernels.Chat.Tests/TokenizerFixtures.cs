using System.Text.Json;

namespace TransformerKernels.Chat.Tests;

/// <summary>The tokenizer directories and reference ids tools/fixtures/tokenizer_dirs.py wrote under Data/.</summary>
internal static class TokenizerFixtures
{
    public static string Data => Path.Combine(AppContext.BaseDirectory, "Data");

    public static string BpeDirectory => Path.Combine(Data, "bpe");

    public static string BpeJsonDirectory => Path.Combine(Data, "bpe-json");

    /// <summary>(text, ids) pairs of "bpe" (the Python GPT-2 encoder) or "sentencepiece" (python3-sentencepiece).</summary>
    public static (string Text, int[] Ids)[] Expected(string kind)
    {
        using JsonDocument document = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(Data, "expected.json")));
        return [.. document.RootElement.GetProperty(kind).EnumerateArray()
            .Select(e => (e.GetProperty("text").GetString()!, e.GetProperty("ids").EnumerateArray().Select(i => i.GetInt32()).ToArray()))];
    }

    /// <summary>A new empty directory under the temp folder, deleted by disposing.</summary>
    public sealed class TempDirectory : IDisposable
    {
        public TempDirectory() => Directory.CreateDirectory(Path);

        public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "tk-chat-" + Guid.NewGuid().ToString("N"));

        public string File(string name) => System.IO.Path.Combine(Path, name);

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}
