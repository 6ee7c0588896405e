using System.Text.Json;

namespace TransformerKernels.Embeddings.Tests;

/// <summary>The committed fixtures (tools/fixtures/sentence_transformers.py) and their expected outputs.</summary>
internal static class Fixtures
{
    public const string Cls = "st-cls", MeanNormalize = "st-mean-normalize", Max = "st-max", CrossEncoder = "cross-encoder";

    /// <summary>Tolerance against the float64 PyTorch reference of float32 weights: our float32 arithmetic through 2 layers.</summary>
    public const double Tolerance = 1e-4;

    public static string Directory(string name) => Path.Combine(AppContext.BaseDirectory, "Data", name);

    public static EmbeddingCase[] Embeddings(string name)
    {
        using JsonDocument document = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Data", name + ".expected.json")));
        return [.. document.RootElement.GetProperty("cases").EnumerateArray().Select(c => new EmbeddingCase(
            c.GetProperty("text").GetString()!,
            [.. c.GetProperty("ids").EnumerateArray().Select(v => v.GetInt32())],
            [.. c.GetProperty("embedding").EnumerateArray().Select(v => v.GetDouble())]))];
    }

    public static PairCase[] Pairs()
    {
        using JsonDocument document = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Data", CrossEncoder + ".expected.json")));
        return [.. document.RootElement.GetProperty("cases").EnumerateArray().Select(c => new PairCase(
            c.GetProperty("query").GetString()!, c.GetProperty("document").GetString()!,
            [.. c.GetProperty("ids").EnumerateArray().Select(v => v.GetInt32())],
            [.. c.GetProperty("token_types").EnumerateArray().Select(v => v.GetInt32())],
            c.GetProperty("logit").GetDouble(), c.GetProperty("score").GetDouble()))];
    }

    /// <summary>A writable copy of a fixture directory, for tests that damage it.</summary>
    public static string Copy(string name)
    {
        string target = Path.Combine(Path.GetTempPath(), "tk-embeddings-tests", Guid.NewGuid().ToString("N"), name);
        foreach (string file in System.IO.Directory.EnumerateFiles(Directory(name), "*", SearchOption.AllDirectories))
        {
            string destination = Path.Combine(target, Path.GetRelativePath(Directory(name), file));
            System.IO.Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
            File.Copy(file, destination);
        }
        return target;
    }

    public static double MaxDifference(ReadOnlySpan<float> actual, IReadOnlyList<double> expected)
    {
        Assert.Equal(expected.Count, actual.Length);
        double max = 0;
        for (int i = 0; i < actual.Length; i++)
        {
            max = Math.Max(max, Math.Abs(actual[i] - expected[i]));
        }
        return max;
    }

    public static double Norm(ReadOnlySpan<float> v)
    {
        double sum = 0;
        foreach (float x in v)
        {
            sum += (double)x * x;
        }
        return Math.Sqrt(sum);
    }
}

internal sealed record EmbeddingCase(string Text, int[] Ids, double[] Embedding);

internal sealed record PairCase(string Query, string Document, int[] Ids, int[] TokenTypes, double Logit, double Score);
