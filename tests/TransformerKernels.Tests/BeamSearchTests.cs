using System.Text.Json;
using TransformerKernels.ChineseEnglish;

namespace TransformerKernels.Tests;

/// <summary>
/// Beam search on the trained translator against tools/fixtures/beam_search.py, an independent PyTorch beam search with
/// the same length penalty and stopping rule that re-runs the whole decoder for every hypothesis (no cache) and sums
/// scores in double. Most cases are ones where beam search and greedy decoding disagree, so a beam search that quietly
/// decodes greedily fails here; scores are compared too, so a wrong length penalty or a dropped end-token probability does.
/// </summary>
public sealed class BeamSearchTests : IDisposable
{
    // Scores are sums of up to 32 float log-probabilities (magnitudes up to ~10) against double sums over PyTorch's logits,
    // which differ from ours by ≤ 3e-6 each: measured at most 1.1e-5 on the three kernel paths; 1e-4 keeps a margin of 9×.
    private const double ScoreTolerance = 1e-4;

    private readonly ChineseEnglishTranslator _model = ChineseEnglishTranslator.Load(Path.Combine(AppContext.BaseDirectory, "model", TranslatorFiles.WeightsFileName));

    public void Dispose() => _model.Dispose();

    public sealed record Case(int[] Source, int Width, float LengthPenalty, int MaxLength, int[] Beam, double Score, int[] Greedy, string Words);

    public static TheoryData<int> CaseIndices()
    {
        var data = new TheoryData<int>();
        for (int i = 0; i < Cases.Length; i++)
        {
            data.Add(i);
        }
        return data;
    }

    private static readonly Case[] Cases = LoadCases();

    private static Case[] LoadCases()
    {
        using JsonDocument document = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "beam_search.json")));
        var options = new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };
        return document.RootElement.GetProperty("cases").Deserialize<Case[]>(options)!;
    }

    [Fact]
    public void TheFixtureCanTellBeamSearchFromGreedyDecoding()
    {
        Assert.True(Cases.Count(c => !c.Beam.SequenceEqual(c.Greedy)) >= 20, "too few cases where beam search and greedy decoding differ");
        Assert.Contains(Cases, c => c.MaxLength < 32 && c.Beam.Length == c.MaxLength); // hypotheses that never finished
        Assert.Equal(4, Cases.Select(c => c.LengthPenalty).Distinct().Count()); // length penalties 0, 0.6, 1 and 2
    }

    [Theory]
    [MemberData(nameof(CaseIndices))]
    public void MatchesThePyTorchReference(int index)
    {
        Case c = Cases[index];
        string name = $"case {index} (width {c.Width}, length penalty {c.LengthPenalty}, max {c.MaxLength}: \"{c.Words}\") on {KernelPaths.Active}";
        var output = new int[ChineseEnglishTranslator.MaxSeqLen];

        int length = _model.Translate(c.Source, output, Vocabulary.Start, Vocabulary.End, c.Width, c.LengthPenalty, c.MaxLength);
        Assert.True(c.Beam.SequenceEqual(output[..length]), $"{name}: Translate gave [{string.Join(", ", output[..length])}], PyTorch [{string.Join(", ", c.Beam)}]");

        var search = new BeamSearch();
        _model.StartDecoding(c.Source, 2 * c.Width);
        length = search.Run(_model, Vocabulary.Start, Vocabulary.End, c.Width, c.LengthPenalty, c.MaxLength, output);
        Assert.True(c.Beam.SequenceEqual(output[..length]), $"{name}: BeamSearch.Run differs");
        Assert.True(Math.Abs(search.BestScore - c.Score) <= ScoreTolerance, $"{name}: score {search.BestScore}, PyTorch {c.Score}");
        if (Environment.GetEnvironmentVariable("TK_TEST_ERROR_LOG") is { Length: > 0 } log)
        {
            File.AppendAllText(log, FormattableString.Invariant($"BeamSearchTests\t{KernelPaths.Active}\t{Math.Abs(search.BestScore - c.Score):E3}\t{ScoreTolerance:E1}\tcase {index}\n"));
        }

        length = _model.Translate(c.Source, output, Vocabulary.Start, Vocabulary.End, beamWidth: 1, maxLength: c.MaxLength);
        Assert.True(c.Greedy.SequenceEqual(output[..length]), $"{name}: greedy decoding differs from PyTorch's");
    }
}
