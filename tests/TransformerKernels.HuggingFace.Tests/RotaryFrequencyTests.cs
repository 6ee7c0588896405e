using System.Text.Json;

namespace TransformerKernels.HuggingFace.Tests;

/// <summary><see cref="RotaryFrequencies.Compute"/> against Hugging Face's inv_freq (default, linear, llama3) computed by hf_families.py in float64.</summary>
public sealed class RotaryFrequencyTests
{
    public static TheoryData<int> Cases() => [.. Enumerable.Range(0, Load().GetArrayLength())];

    private static JsonElement Load() => JsonDocument.Parse(File.ReadAllText(Reference.Data("rope_frequencies.json"))).RootElement.Clone();

    [Theory]
    [MemberData(nameof(Cases))]
    public void FrequenciesMatchHuggingFace(int index)
    {
        JsonElement c = Load()[index];
        JsonElement scaling = c.GetProperty("rope_scaling");
        RopeScaling kind = RopeScaling.None;
        double factor = 1, low = 1, high = 4;
        int original = 8192;
        if (scaling.ValueKind == JsonValueKind.Object)
        {
            string type = (scaling.TryGetProperty("rope_type", out JsonElement t) ? t : scaling.GetProperty("type")).GetString()!;
            kind = type == "linear" ? RopeScaling.Linear : RopeScaling.Llama3;
            factor = scaling.GetProperty("factor").GetDouble();
            if (kind == RopeScaling.Llama3)
            {
                low = scaling.GetProperty("low_freq_factor").GetDouble();
                high = scaling.GetProperty("high_freq_factor").GetDouble();
                original = scaling.GetProperty("original_max_position_embeddings").GetInt32();
            }
        }
        double[] expected = [.. c.GetProperty("inv_freq").EnumerateArray().Select(v => v.GetDouble())];
        double[] actual = RotaryFrequencies.Compute(c.GetProperty("theta").GetDouble(), c.GetProperty("dim").GetInt32(), kind, factor, low, high, original);
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-12 * expected[i], $"case {index} ({kind}), pair {i}: {actual[i]:R}, expected {expected[i]:R}");
        }
    }

    [Fact]
    public void TheLlama3FixtureHasFrequenciesInEveryBand()
    {
        // original 16, low 1, high 4: wavelengths above 16 are divided by 8, below 4 kept, between blended. The fixture's
        // head of 16 has pair 0 (wavelength 2π) blended and pairs 1… divided: the scaling changes every pair it tests.
        double[] unscaled = RotaryFrequencies.Compute(10000, 16, RopeScaling.None, 1, 1, 4, 16);
        double[] scaled = RotaryFrequencies.Compute(10000, 16, RopeScaling.Llama3, 8, 1, 4, 16);
        Assert.InRange(scaled[0] / unscaled[0], 0.126, 0.999);
        Assert.All(Enumerable.Range(1, 7), i => Assert.Equal(0.125, scaled[i] / unscaled[i], 12));
    }

    [Theory]
    [InlineData(RopeScaling.Linear, 0.5, 1, 4, 16)]
    [InlineData(RopeScaling.Llama3, 8, 4, 1, 16)]
    [InlineData(RopeScaling.Llama3, 8, 1, 4, 0)]
    public void ParametersOutsideWhatTheScalingAcceptsAreRefused(RopeScaling kind, double factor, double low, double high, int original) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => RotaryFrequencies.Compute(10000, 16, kind, factor, low, high, original));
}
