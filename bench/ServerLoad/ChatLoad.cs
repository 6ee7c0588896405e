using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;

/// <summary>
/// Chat streams against POST /v1/chat/completions: C concurrent clients, each streaming greedy completions of a fixed
/// prompt (max_tokens fixed, include_usage) one after another for a fixed time. Reports aggregate and per-stream tokens/s
/// (completion tokens from usage over the wall time) and time to first token (first content chunk) p50/p99.
/// </summary>
internal static class ChatLoad
{
    public static async Task<string> RunAsync(HttpClient http, int[] clientCounts, int seconds, int maxTokens)
    {
        string body = JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["model"] = "fortune-llama", ["temperature"] = 0, ["max_tokens"] = maxTokens, ["stream"] = true,
            ["stream_options"] = new Dictionary<string, object> { ["include_usage"] = true },
            ["messages"] = new[] { new Dictionary<string, string> { ["role"] = "user", ["content"] = "A man is known by" } },
        });
        var report = new StringBuilder();
        report.AppendLine("| streams | completions | tokens | aggregate tokens/s | per-stream tokens/s | TTFT p50 | TTFT p99 | errors |");
        report.AppendLine("|---:|---:|---:|---:|---:|---:|---:|---:|");
        var aggregate = new Dictionary<int, double>();
        var ttft50 = new Dictionary<int, double>();
        foreach (int clients in clientCounts)
        {
            var firstTokens = new List<double>();
            long tokens = 0;
            int completions = 0, errors = 0;
            var stop = DateTime.UtcNow.AddSeconds(seconds);
            var clock = Stopwatch.StartNew();
            await Task.WhenAll(Enumerable.Range(0, clients).Select(async _ =>
            {
                while (DateTime.UtcNow < stop)
                {
                    long start = Stopwatch.GetTimestamp();
                    using var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
                    using HttpResponseMessage response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
                    if (!response.IsSuccessStatusCode)
                    {
                        Interlocked.Increment(ref errors);
                        continue;
                    }
                    using var events = new StreamReader(await response.Content.ReadAsStreamAsync());
                    double first = double.NaN;
                    long used = 0;
                    while (await events.ReadLineAsync() is { } line)
                    {
                        if (double.IsNaN(first) && line.Contains("\"delta\":{\"content\":", StringComparison.Ordinal))
                        {
                            first = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                        }
                        if (line.StartsWith("data: {", StringComparison.Ordinal) && line.Contains("\"completion_tokens\":", StringComparison.Ordinal))
                        {
                            using JsonDocument chunk = JsonDocument.Parse(line[6..]);
                            used = chunk.RootElement.GetProperty("usage").GetProperty("completion_tokens").GetInt64();
                        }
                    }
                    lock (firstTokens)
                    {
                        firstTokens.Add(first);
                        tokens += used;
                        completions++;
                    }
                }
            }));
            double wall = clock.Elapsed.TotalSeconds;
            double[] sorted = [.. firstTokens.Where(t => !double.IsNaN(t)).Order()];
            double Percentile(double p) => sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)(p * sorted.Length))];
            aggregate[clients] = tokens / wall;
            ttft50[clients] = Percentile(0.5);
            report.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| {clients} | {completions} | {tokens} | {tokens / wall:F0} | {tokens / wall / clients:F1} | {Percentile(0.50):F1} ms | {Percentile(0.99):F1} ms | {errors} |"));
            Console.Error.WriteLine($"{clients} streams done");
        }
        if (aggregate.ContainsKey(1) && aggregate.ContainsKey(8))
        {
            report.AppendLine();
            report.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"8 streams ÷ 1 stream: aggregate tokens/s {aggregate[8] / aggregate[1]:F2}× (target ≥ 4×), TTFT p50 {ttft50[8] / ttft50[1]:F2}× (target ≤ 3×)."));
        }
        return report.ToString();
    }
}
