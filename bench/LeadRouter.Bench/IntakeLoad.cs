using System.Diagnostics;
using System.Net;
using System.Text;
using LeadRouter.Data.Brokers;
using LeadRouter.Web.Features.Brokers;
using LeadRouter.Web.Features.Leads;
using Microsoft.EntityFrameworkCore;

namespace LeadRouter.Bench;

/// <summary>
/// <c>intake</c>: single-lead <c>POST /api/v1/leads</c> requests against the web app on loopback, C at a time. Two
/// phases in the same run, same endpoint, same process: the baseline (a source routed to nobody: no broker routing, no
/// agent pool, so the request is parse + normalise + de-duplicate + durable insert + answer) and the routed phase (a
/// source routed to brokers 50/30/20 without auto-push: the same, plus the routing transaction). Reports leads/s and
/// p50/p95/p99 latency (nearest rank) for each.
/// </summary>
static class IntakeLoad
{
    public static async Task<int> RunAsync(BenchArgs args, CancellationToken ct)
    {
        var requests = args.Int("requests", 5_000);
        var concurrency = args.Int("concurrency", 16);
        var warmup = args.Int("warmup", 2_000);
        var wrk = args.Flag("wrk");
        var seconds = args.Int("seconds", 15);
        Console.WriteLine(wrk
            ? $"intake: wrk, {seconds} s per phase after {WrkClient.Warmup.TotalSeconds} s of warm-up each, {concurrency} connections; {BenchArgs.Machine}"
            : $"intake: {requests:N0} requests per phase, concurrency {concurrency}, warm-up {warmup} per phase; {BenchArgs.Machine}");

        await using var db = await BenchDatabase.CreateAsync(args.String("db"), ct);
        await using var web = await BenchWebApp.StartAsync(db, new Dictionary<string, string?>(), ct);
        Console.WriteLine($"database: {db.Describe}; app on {web.Url}");
        using var client = await web.AdminClientAsync(concurrency, ct);

        var writer = web.Get<IntakeWriter>();
        var directory = web.Get<BrokerDirectory>();
        var brokers = new List<long>();
        foreach (var w in new[] { 50, 30, 20 })
            brokers.Add((await directory.AddAsync(new NewBroker($"bench-{w}", 5, w, ["AE"]), ct)).Id);
        await web.Get<SourceRoutes>().SetAsync("BENCH-ROUTED", RouteTarget.Brokers, ct);

        if (wrk) return await RunWrkAsync(web, db, client, brokers, concurrency, seconds, ct);

        // Warm-up of both paths (JIT, EF query compilation, connection pools), not timed.
        await LoadAsync(client, writer, "WARM-BASE", warmup, concurrency, ct);
        await web.Get<SourceRoutes>().SetAsync("WARM-ROUTED", RouteTarget.Brokers, ct);
        await LoadAsync(client, writer, "WARM-ROUTED", warmup, concurrency, ct);

        var baseline = await LoadAsync(client, writer, "BENCH-BASE", requests, concurrency, ct);
        Report("baseline (insert only)", baseline);
        var routed = await LoadAsync(client, writer, "BENCH-ROUTED", requests, concurrency, ct);
        Report("intake + routing", routed);
        Console.WriteLine($"routed / baseline: {routed.Rate / baseline.Rate:P0} of the baseline rate");

        var stored = await StoredAsync(db, brokers, ct);
        Console.WriteLine($"check: {stored.Routed:N0} routed leads stored ({stored.Unrouted} of that source without a broker), " +
            $"{stored.Baseline:N0} baseline leads without owner; per broker (incl. warm-up) {stored.PerBroker}");
        return stored.Routed == requests && stored.Unrouted == 0 && stored.Baseline == requests && baseline.Failed == 0 && routed.Failed == 0 ? 0 : 1;
    }

    /// <summary>
    /// The same two phases with the load from wrk (see <see cref="WrkClient"/>): each request a lead with a fresh e-mail
    /// (phase tag, wrk thread, request number). wrk runs for a time, not a count, and stops with requests in flight, so
    /// the check is that every lead wrk saw answered is stored (at most one more per connection may be stored).
    /// </summary>
    static async Task<int> RunWrkAsync(BenchWebApp web, BenchDatabase db, HttpClient client, List<long> brokers, int connections, int seconds, CancellationToken ct)
    {
        var token = client.DefaultRequestHeaders.Authorization!.Parameter!;
        var writer = web.Get<IntakeWriter>();
        var leads = new Uri(web.Url, "api/v1/leads");
        Task<WrkClient.Result> Wrk(string source, TimeSpan duration) => WrkClient.RunAsync(leads, token, connections, 2, duration, Lua(source), ct);

        await Wrk("WARM-BASE", WrkClient.Warmup);
        await web.Get<SourceRoutes>().SetAsync("WARM-ROUTED", RouteTarget.Brokers, ct);
        await Wrk("WARM-ROUTED", WrkClient.Warmup);

        var results = new List<(string Source, WrkClient.Result Result)>();
        foreach (var (name, source) in new[] { ("baseline (insert only)", "BENCH-BASE"), ("intake + routing", "BENCH-ROUTED") })
        {
            var (transactions, calls) = writer.Committed;
            var r = await Wrk(source, TimeSpan.FromSeconds(seconds));
            var committed = writer.Committed;
            Console.WriteLine($"{name,-24} {r.Describe("leads/s")}; {committed.Transactions - transactions:N0} transactions " +
                $"({(double)(committed.Calls - calls) / Math.Max(1, committed.Transactions - transactions):F1} calls each); load average {BenchArgs.LoadAverage}");
            results.Add((source, r));
        }
        Console.WriteLine($"routed / baseline: {results[1].Result.Rate / results[0].Result.Rate:P0} of the baseline rate");

        var stored = await StoredAsync(db, brokers, ct);
        Console.WriteLine($"check: {stored.Routed:N0} routed leads stored ({stored.Unrouted} of that source without a broker), " +
            $"{stored.Baseline:N0} baseline leads without owner (wrk saw {results[1].Result.Requests:N0} and {results[0].Result.Requests:N0} answered); " +
            $"per broker (incl. warm-up) {stored.PerBroker}");
        bool Matches(long count, WrkClient.Result r) => r.Errors == 0 && count >= r.Requests && count <= r.Requests + connections;
        return Matches(stored.Routed, results[1].Result) && stored.Unrouted == 0 && Matches(stored.Baseline, results[0].Result) ? 0 : 1;
    }

    /// <summary>What the run stored: routed leads of BENCH-ROUTED (and those of it without a broker), BENCH-BASE leads
    /// without an owner, and the routing log rows per broker (incl. warm-up) as "n / n / n".</summary>
    sealed record Stored(int Routed, int Unrouted, int Baseline, string PerBroker);

    static async Task<Stored> StoredAsync(BenchDatabase db, List<long> brokers, CancellationToken ct)
    {
        await using var check = await db.Dbs.CreateDbContextAsync(ct);
        var routed = await check.Leads.CountAsync(l => l.Source!.Name == "BENCH-ROUTED" && l.BrokerId != null, ct);
        var unrouted = await check.Leads.CountAsync(l => l.Source!.Name == "BENCH-ROUTED" && l.BrokerId == null, ct);
        var baseline = await check.Leads.CountAsync(l => l.Source!.Name == "BENCH-BASE" && l.BrokerId == null && l.AgentId == null, ct);
        var perBroker = await check.BrokerAssignments.GroupBy(a => a.BrokerId).Select(g => new { g.Key, N = g.Count() }).ToListAsync(ct);
        return new Stored(routed, unrouted, baseline, string.Join(" / ", brokers.Select(b => perBroker.SingleOrDefault(p => p.Key == b)?.N ?? 0)));
    }

    /// <summary>The body of wrk's <c>request()</c>: one lead of <paramref name="source"/> with an e-mail no other request has.</summary>
    static string Lua(string source)
    {
        var tag = $"{source.ToLowerInvariant()}.{Guid.NewGuid().ToString("N")[..8]}";
        return $$"""
            local body = string.format('{"name":"Bench Lead %d","email":"{{tag}}.%d.%d@example.com","phone":"+97150%07d","country":"AE","amount":%d,"source":"{{source}}"}',
              n, thread_id, n, (thread_id * 1000000 + n) % 10000000, 100 + n % 900)
            wrk.headers["Content-Type"] = "application/json"
            return wrk.format("POST", nil, nil, body)
            """;
    }

    sealed record Phase(int Requests, int Failed, TimeSpan Elapsed, double[] LatenciesMs, double CpuSeconds, long Transactions, long Calls)
    {
        public double Rate => Requests / Elapsed.TotalSeconds;
    }

    static void Report(string name, Phase p)
    {
        var sorted = p.LatenciesMs.Order().ToArray();
        double Rank(double q) => sorted[Math.Max(0, (int)Math.Ceiling(q * sorted.Length) - 1)];
        Console.WriteLine($"{name,-24} {p.Requests:N0} leads in {p.Elapsed.TotalSeconds:F2} s = {p.Rate:N0} leads/s; " +
            $"p50 {Rank(0.50):F1} ms, p95 {Rank(0.95):F1} ms, p99 {Rank(0.99):F1} ms, max {sorted[^1]:F1} ms; " +
            $"failed {p.Failed}; process CPU {p.CpuSeconds:F1} s; {p.Transactions:N0} transactions ({(double)p.Calls / Math.Max(1, p.Transactions):F1} calls each); " +
            $"load average {BenchArgs.LoadAverage}");
    }

    static async Task<Phase> LoadAsync(HttpClient client, IntakeWriter writer, string source, int count, int concurrency, CancellationToken ct)
    {
        var (transactions, calls) = writer.Committed;
        var latencies = new double[count];
        var failed = 0;
        var next = -1;
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var tag = Guid.NewGuid().ToString("N")[..8];
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            for (int i; (i = Interlocked.Increment(ref next)) < count;)
            {
                var body = $$"""{"name":"Bench Lead {{i}}","email":"{{source.ToLowerInvariant()}}.{{tag}}.{{i}}@example.com","phone":"+97150{{i % 10_000_000:D7}}","country":"AE","amount":{{100 + i % 900}},"source":"{{source}}"}""";
                var start = Stopwatch.GetTimestamp();
                using var response = await client.PostAsync("api/v1/leads", new StringContent(body, Encoding.UTF8, "application/json"), ct);
                await response.Content.LoadIntoBufferAsync(ct);
                latencies[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                if (response.StatusCode != HttpStatusCode.OK && Interlocked.Increment(ref failed) <= 3)
                    Console.Error.WriteLine($"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(ct)}");
            }
        }, ct)));
        watch.Stop();
        var committed = writer.Committed;
        return new Phase(count, failed, watch.Elapsed, latencies, (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds,
            committed.Transactions - transactions, committed.Calls - calls);
    }
}
