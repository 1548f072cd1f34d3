using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using LeadRouter.Data;
using LeadRouter.Data.Leads;
using LeadRouter.Data.Members;
using LeadRouter.Web;
using LeadRouter.Web.Features.Members;
using LeadRouter.Web.Features.Platform;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace LeadRouter.Bench;

/// <summary>
/// <c>downloads</c>: the web app on a random loopback port over a fresh database; one Gold member with an N-lead file
/// (one member import, one distribution run) and a login. After a warm-up, R requests to
/// <c>GET /api/users/leads/download/{file_id}</c> with C in flight at a time (bearer token), and the same for
/// <c>GET /health</c> as the baseline of this server in this run. Reports throughput and nearest-rank percentiles.
/// </summary>
static class DownloadsLoad
{
    const string Password = "Bench-Downloads-2026!";

    public static async Task<int> RunAsync(BenchArgs args, CancellationToken ct)
    {
        var leads = args.Int("leads", 500);
        var concurrency = args.Int("concurrency", 50);
        var requests = args.Int("requests", 2_000);
        await using var bench = await BenchDatabase.CreateAsync(args.String("db"), ct);
        Console.WriteLine($"downloads: {leads:N0}-lead file, {requests:N0} requests, {concurrency} at a time, {bench.Describe}, {BenchArgs.Machine}");

        var app = LeadRouterWebApp.Build(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory, EnvironmentName = "Production" }, b =>
        {
            b.Configuration["Db"] = bench.Target.ConnectionString;
            b.Configuration["urls"] = "http://127.0.0.1:0";
            b.Configuration["Members:SchedulerEnabled"] = "false";
            b.Logging.SetMinimumLevel(LogLevel.Warning);
        });
        await using var _ = app;
        await app.Services.MigrateAsync(ct);
        await app.StartAsync(ct);
        try
        {
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
            var uri = new Uri(address);
            if (!IPAddress.IsLoopback(IPAddress.Parse(uri.Host))) throw new InvalidOperationException($"Not a loopback address: {address}");
            var (fileId, email) = await SeedAsync(app.Services, leads, ct);

            using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = concurrency, PooledConnectionLifetime = TimeSpan.FromMinutes(10) })
            {
                BaseAddress = uri,
                Timeout = TimeSpan.FromSeconds(60),
            };
            var login = await http.PostAsJsonAsync("/api/v1/auth/login", new { email, password = Password }, ct);
            login.EnsureSuccessStatusCode();
            var token = (await login.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("accessToken").GetString();
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);

            var download = $"/api/users/leads/download/{fileId}";
            using (var first = await http.GetAsync(download, ct))
            {
                first.EnsureSuccessStatusCode();
                var csv = await first.Content.ReadAsStringAsync(ct);
                var lines = csv.Split("\r\n", StringSplitOptions.RemoveEmptyEntries).Length;
                Console.WriteLine($"File {fileId}: {first.Content.Headers.ContentType}, {csv.Length:N0} bytes, {lines - 1} lead rows + header");
                if (lines - 1 != leads) throw new InvalidOperationException($"The file has {lines - 1} rows, expected {leads}.");
            }

            // Warm-up (not counted): JIT, connection pools, EF query caches.
            await FireAsync(http, "/health", Math.Min(requests, 200), concurrency, ct);
            await FireAsync(http, download, Math.Min(requests, 200), concurrency, ct);

            var health = await FireAsync(http, "/health", requests, concurrency, ct);
            Print("GET /health (baseline)", health);
            var files = await FireAsync(http, download, requests, concurrency, ct);
            Print($"GET {download}", files);

            await using var db = await app.Services.GetRequiredService<IDbContextFactory<LeadRouterDb>>().CreateDbContextAsync(ct);
            var counted = await db.MemberFiles.Where(f => f.Id == fileId).Select(f => f.DownloadCount).SingleAsync(ct);
            Console.WriteLine($"Download count stored: {counted:N0} (expected {requests + Math.Min(requests, 200) + 1:N0}); load average now {BenchArgs.LoadAverage}");
        }
        finally
        {
            await app.StopAsync(CancellationToken.None);
        }

        return 0;
    }

    /// <summary>One member import of N leads, a Gold member with a login, one distribution run; returns the member's file.</summary>
    static async Task<(long FileId, string Email)> SeedAsync(IServiceProvider services, int leads, CancellationToken ct)
    {
        var now = DateTimeOffset.UtcNow;
        long importId;
        await using (var db = await services.GetRequiredService<IDbContextFactory<LeadRouterDb>>().CreateDbContextAsync(ct))
        {
            var source = new Source { Name = "META", Key = Source.KeyOf("META"), CreatedAt = now };
            var import = new Import { FileName = "bench-downloads", Purpose = ImportPurpose.Members, CreatedAt = now, Rows = leads, Accepted = leads };
            db.AddRange(source, import);
            await db.SaveChangesAsync(ct);
            for (var i = 0; i < leads; i++)
                db.Leads.Add(new Lead
                {
                    IdentityKey = $"email:lead{i}@example.com",
                    Email = $"lead{i}@example.com",
                    Name = $"Lead {i}",
                    Address = $"{i} Market Street, Springfield",
                    SourceId = source.Id,
                    ImportId = import.Id,
                    Status = LeadStatus.New,
                    CreatedAt = now,
                });
            await db.SaveChangesAsync(ct);
            importId = import.Id;
        }

        const string email = "bench.member@example.com";
        await using (var scope = services.CreateAsyncScope())
        {
            var directory = scope.ServiceProvider.GetRequiredService<MemberDirectory>();
            await directory.AddAsync(new NewMember("bench.member", email, "Gold", Password: Password), ct);
        }

        var outcome = await services.GetRequiredService<RunDistribution>().RunImportAsync(importId, "bench", ct);
        if (outcome is not DistributionOutcome.Ran { Report: { Status: DistributionRunStatus.Completed } report } || report.ByMember.Single().FileId is not { } fileId)
            throw new InvalidOperationException($"The distribution did not give the member a file: {outcome}");
        return (fileId, email);
    }

    sealed record Batch(TimeSpan Wall, double[] LatenciesMs, long Bytes, int Failures, TimeSpan Cpu);

    /// <summary>R GET requests, C in flight at a time (each worker takes the next number until R are sent).</summary>
    static async Task<Batch> FireAsync(HttpClient http, string path, int requests, int concurrency, CancellationToken ct)
    {
        var latencies = new double[requests];
        var next = -1;
        long bytes = 0;
        var failures = 0;
        var cpuAtStart = Process.GetCurrentProcess().TotalProcessorTime;
        var wall = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, Math.Min(concurrency, requests)).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < requests)
            {
                var start = Stopwatch.GetTimestamp();
                using var response = await http.GetAsync(path, HttpCompletionOption.ResponseContentRead, ct);
                var body = await response.Content.ReadAsByteArrayAsync(ct);
                latencies[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                Interlocked.Add(ref bytes, body.Length);
                if (!response.IsSuccessStatusCode) Interlocked.Increment(ref failures);
            }
        }, ct)).ToArray();
        await Task.WhenAll(workers);
        var elapsed = wall.Elapsed;
        Array.Sort(latencies);
        return new Batch(elapsed, latencies, bytes, failures, Process.GetCurrentProcess().TotalProcessorTime - cpuAtStart);
    }

    /// <summary>Nearest rank: the smallest value with at least p % of the values at or below it.</summary>
    static double Percentile(double[] sorted, double p) => sorted[Math.Clamp((int)Math.Ceiling(p / 100 * sorted.Length) - 1, 0, sorted.Length - 1)];

    static void Print(string what, Batch b) =>
        Console.WriteLine($"{what}: {b.LatenciesMs.Length:N0} requests in {b.Wall.TotalSeconds:N2} s = {b.LatenciesMs.Length / b.Wall.TotalSeconds:N0} req/s, " +
            $"{b.Failures} failed, {b.Bytes / (double)b.LatenciesMs.Length:N0} bytes each; latency ms p50 {Percentile(b.LatenciesMs, 50):N1}, " +
            $"p95 {Percentile(b.LatenciesMs, 95):N1}, p99 {Percentile(b.LatenciesMs, 99):N1}, max {b.LatenciesMs[^1]:N1}; " +
            $"CPU {b.Cpu.TotalSeconds:N2} s (server and client, one process)");
}
