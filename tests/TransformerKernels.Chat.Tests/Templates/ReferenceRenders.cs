using System.Text.Json;

namespace TransformerKernels.Chat.Tests.Templates;

/// <summary>
/// The renders python3-jinja2 made of the real chat templates and of the synthetic ones
/// (tools/fixtures/chat_templates.py → Data/templates/renders.json), read once per test run.
/// </summary>
internal static class ReferenceRenders
{
    public static readonly string Directory = Path.Combine(AppContext.BaseDirectory, "Data", "templates");

    private static readonly Lazy<JsonDocument> Document = new(() => JsonDocument.Parse(File.ReadAllBytes(Path.Combine(Directory, "renders.json"))));

    public static JsonElement Root => Document.Value.RootElement;

    public static IReadOnlyList<JsonElement> Cases => [.. Root.GetProperty("cases").EnumerateArray()];

    public static IReadOnlyList<JsonElement> Unsupported => [.. Root.GetProperty("unsupported").EnumerateArray()];

    /// <summary>The instant the fixture's strftime_now was fixed to, as a clock for our renderer.</summary>
    public static TimeProvider FixedClock
    {
        get
        {
            var local = DateTime.Parse(Root.GetProperty("strftime_now").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
            return new FixedTimeProvider(new DateTimeOffset(local, TimeSpan.Zero));
        }
    }

    public static string SourceOf(JsonElement testCase)
    {
        string name = testCase.GetProperty("template").GetString()!;
        return testCase.TryGetProperty("source", out var source) ? source.GetString()! : File.ReadAllText(Path.Combine(Directory, name + ".jinja"));
    }

    public static List<ChatTemplateMessage> MessagesOf(JsonElement testCase) =>
        [.. testCase.GetProperty("messages").EnumerateArray().Select(m => new ChatTemplateMessage(m.GetProperty("role").GetString()!, m.GetProperty("content").GetString()!))];

    public static Dictionary<string, object?> VariablesOf(JsonElement testCase) =>
        testCase.GetProperty("variables").EnumerateObject().ToDictionary(p => p.Name, p => ToClr(p.Value));

    /// <summary>JSON as the plain .NET values a caller would pass: strings, longs, doubles, bools, lists and dictionaries.</summary>
    public static object? ToClr(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.String => e.GetString(),
        JsonValueKind.Number => e.TryGetInt64(out long l) ? l : e.GetDouble(),
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        JsonValueKind.Array => e.EnumerateArray().Select(ToClr).ToList(),
        JsonValueKind.Object => e.EnumerateObject().ToDictionary(p => p.Name, p => ToClr(p.Value)),
        _ => null,
    };

    private sealed class FixedTimeProvider(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;

        public override TimeZoneInfo LocalTimeZone => TimeZoneInfo.Utc;
    }
}
