// A bounded load test for samples/EmbeddingServer on loopback: N clients, each posting one text of the fortunes corpus at a
// time (POST /v1/embeddings, OpenAI's body) for a fixed time; reports requests/s and p50/p99 latency per client count.
// Usage: server-load --url http://127.0.0.1:8080/ [--seconds 10] [--clients 1,8,64] [--corpus bench/corpus/fortunes.txt]
//        server-load --chat --url ... [--seconds 10] [--clients 1,8,32] [--max-tokens 64]: chat streams instead (ChatLoad.cs)
using System.Diagnostics;
using System.Globalization;
using System.Text;

string url = "http://127.0.0.1:8080/", corpus = "bench/corpus/fortunes.txt";
int seconds = 10;
int[] clientCounts = [1, 8, 64];
bool chat = args.Contains("--chat");
int maxTokens = 64;
args = [.. args.Where(a => a != "--chat")];
for (int i = 0; i + 1 < args.Length; i += 2)
{
    switch (args[i])
    {
        case "--max-tokens": maxTokens = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
        case "--url": url = args[i + 1]; break;
        case "--seconds": seconds = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
        case "--clients": clientCounts = [.. args[i + 1].Split(',').Select(c => int.Parse(c, CultureInfo.InvariantCulture))]; break;
        case "--corpus": corpus = args[i + 1]; break;
        default: Console.Error.WriteLine($"server-load: unknown option {args[i]}"); return 2;
    }
}
if (!url.StartsWith("http://127.0.0.1", StringComparison.Ordinal) && !url.StartsWith("http://localhost", StringComparison.Ordinal))
{
    Console.Error.WriteLine("server-load: loopback only (http://127.0.0.1:PORT/ or http://localhost:PORT/)");
    return 2;
}
if (chat)
{
    using var chatHttp = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 256 }) { BaseAddress = new Uri(url), Timeout = TimeSpan.FromMinutes(5) };
    Console.Write(await ChatLoad.RunAsync(chatHttp, clientCounts, seconds, maxTokens));
    return 0;
}
string[] bodies = [.. File.ReadAllLines(corpus).Where(l => l.Length > 0)
    .Select(text => "{\"input\":" + System.Text.Json.JsonSerializer.Serialize(text) + ",\"model\":\"all-MiniLM-L6-v2\"}")];
using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 256 }) { BaseAddress = new Uri(url) };
var report = new StringBuilder();
report.AppendLine("| clients | requests | requests/s | p50 | p90 | p99 | p99 ÷ p50 | errors |");
report.AppendLine("|---:|---:|---:|---:|---:|---:|---:|---:|");
foreach (int clients in clientCounts)
{
    var latencies = new List<double>[clients];
    int errors = 0, next = 0;
    var stop = DateTime.UtcNow.AddSeconds(seconds);
    var clock = Stopwatch.StartNew();
    await Task.WhenAll(Enumerable.Range(0, clients).Select(async c =>
    {
        latencies[c] = [];
        while (DateTime.UtcNow < stop)
        {
            string body = bodies[Interlocked.Increment(ref next) % bodies.Length];
            long start = Stopwatch.GetTimestamp();
            using HttpResponseMessage response = await http.PostAsync("v1/embeddings", new StringContent(body, Encoding.UTF8, "application/json"));
            await response.Content.ReadAsByteArrayAsync();
            if (response.IsSuccessStatusCode)
            {
                latencies[c].Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            }
            else
            {
                Interlocked.Increment(ref errors);
            }
        }
    }));
    double[] all = [.. latencies.SelectMany(l => l).Order()];
    double Percentile(double p) => all.Length == 0 ? double.NaN : all[Math.Min(all.Length - 1, (int)(p * all.Length))];
    report.AppendLine(string.Create(CultureInfo.InvariantCulture,
        $"| {clients} | {all.Length} | {all.Length / clock.Elapsed.TotalSeconds:F1} | {Percentile(0.50):F1} ms | {Percentile(0.90):F1} ms | {Percentile(0.99):F1} ms | {Percentile(0.99) / Percentile(0.50):F1} | {errors} |"));
    Console.Error.WriteLine($"{clients} clients done");
}
Console.Write(report);
return 0;
