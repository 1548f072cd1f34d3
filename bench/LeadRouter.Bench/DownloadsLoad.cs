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
/// With <c>--client-process</c> the load comes from a second process (this program in its hidden
/// <c>downloads-client</c> mode), so the server's GC, thread pool and cores are not shared with the client's.
/// </summary>
static class DownloadsLoad
{
    const string Password = "Bench-Downloads-2026!";
    /// <summary>Default untimed warm-up requests per endpoint: with fewer, the tiered JIT of the server (and of a client
    /// process) is still compiling during the timed phases on 2 cores.</summary>
    const int Warmup = 1_000;

    /// <summary>The hidden mode the bench runs itself in as the client process.</summary>
    public const string ClientMode = "downloads-client";

    /// <summary>The client process's bearer token (an environment variable, so it does not show in the process list).</summary>
    const string TokenVariable = "LEADROUTER_BENCH_TOKEN";

    public static async Task<int> RunAsync(BenchArgs args, CancellationToken ct)
    {
        var leads = args.Int("leads", 500);
        var concurrency = args.Int("concurrency", 50);
        var requests = args.Int("requests", 2_000);
        var clientProcess = args.Flag("client-process");
        var warmup = args.Int("warmup", Warmup);
        var wrk = args.Flag("wrk");
        var seconds = args.Int("seconds", 10);
        await using var bench = await BenchDatabase.CreateAsync(args.String("db"), ct);
        Console.WriteLine($"downloads: {leads:N0}-lead file, {requests:N0} requests, {concurrency} at a time, {bench.Describe}, " +
            $"client {(wrk ? $"wrk ({seconds} s per phase after {WrkClient.Warmup.TotalSeconds} s of warm-up each)" : clientProcess ? "in its own process" : "in the server's process")}, {BenchArgs.Machine}");

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

            long wrkDownloads = 0;
            if (wrk)
            {
                await WrkClient.RunAsync(new Uri(uri, "/health"), token!, concurrency, 2, WrkClient.Warmup, null, ct);
                var warm = await WrkClient.RunAsync(new Uri(uri, download), token!, concurrency, 2, WrkClient.Warmup, null, ct);
                var health = await WrkClient.RunAsync(new Uri(uri, "/health"), token!, concurrency, 2, TimeSpan.FromSeconds(seconds), null, ct);
                Console.WriteLine($"GET /health (baseline): {health.Describe()}");
                var files = await WrkClient.RunAsync(new Uri(uri, download), token!, concurrency, 2, TimeSpan.FromSeconds(seconds), null, ct);
                Console.WriteLine($"GET {download}: {files.Describe()}");
                wrkDownloads = files.Requests + warm.Requests + 1;
            }
            else if (clientProcess)
            {
                await RunClientProcessAsync(uri, token!, fileId, requests, concurrency, warmup, ct);
            }
            else
            {
                // Warm-up (not counted): JIT, connection pools, EF query caches.
                await FireAsync(http, "/health", warmup, concurrency, ct);
                await FireAsync(http, download, warmup, concurrency, ct);

                var health = await FireAsync(http, "/health", requests, concurrency, ct);
                Print("GET /health (baseline)", health, OneProcessCpu(health));
                var files = await FireAsync(http, download, requests, concurrency, ct);
                Print($"GET {download}", files, OneProcessCpu(files));
            }

            await using var db = await app.Services.GetRequiredService<IDbContextFactory<LeadRouterDb>>().CreateDbContextAsync(ct);
            var counted = await db.MemberFiles.Where(f => f.Id == fileId).Select(f => f.DownloadCount).SingleAsync(ct);
            var (groups, countedDownloads) = app.Services.GetRequiredService<DownloadCounts>().Committed;
            var expected = wrk ? $"at least {wrkDownloads:N0}: wrk's completed downloads, plus the warm-up's, plus the check" : $"{requests + warmup + 1:N0}";
            Console.WriteLine($"Download count stored: {counted:N0} (expected {expected}); " +
                $"{groups:N0} count transactions ({countedDownloads / (double)Math.Max(groups, 1):N1} downloads each); load average now {BenchArgs.LoadAverage}");
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

    /// <summary>
    /// Runs the client as a second OS process and prints its two phases. The client reports each phase as a JSON line on
    /// its stdout when it starts and when it ends (with its latencies), so this process's CPU over the phase is the
    /// server's alone; its stderr is passed through.
    /// </summary>
    static async Task RunClientProcessAsync(Uri server, string token, long fileId, int requests, int concurrency, int warmup, CancellationToken ct)
    {
        var start = new ProcessStartInfo(Environment.ProcessPath ?? throw new InvalidOperationException("No path of this process."))
        {
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        // Started as `dotnet LeadRouter.Bench.dll`: the host needs the assembly again; as the apphost, it does not.
        if (Path.GetFileNameWithoutExtension(start.FileName).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
            start.ArgumentList.Add(typeof(DownloadsLoad).Assembly.Location);
        foreach (var a in new[] { ClientMode, "--url", server.ToString(), "--file-id", $"{fileId}", "--requests", $"{requests}",
                     "--concurrency", $"{concurrency}", "--warmup", $"{warmup}" })
            start.ArgumentList.Add(a);
        start.Environment[TokenVariable] = token;

        using var client = Process.Start(start) ?? throw new InvalidOperationException("The client process did not start.");
        Console.WriteLine($"Client process {client.Id} started");
        var phases = 0;
        try
        {
            var serverCpuAtStart = TimeSpan.Zero;
            while (await client.StandardOutput.ReadLineAsync(ct) is { } line)
            {
                var report = JsonSerializer.Deserialize<ClientReport>(line, Json) ?? throw new InvalidOperationException($"Not a client report: {line}");
                if (report.Event == "start")
                {
                    serverCpuAtStart = Process.GetCurrentProcess().TotalProcessorTime;
                    continue;
                }
                var serverCpu = Process.GetCurrentProcess().TotalProcessorTime - serverCpuAtStart;
                var batch = new Batch(TimeSpan.FromMilliseconds(report.WallMs), report.LatenciesMs!, report.Bytes, report.Failures, serverCpu);
                var cpu = $"server {serverCpu.TotalSeconds:N2} s (this process), client {report.CpuMs / 1000:N2} s (its own process)";
                Print(report.Phase == "health" ? "GET /health (baseline)" : $"GET {report.Phase}", batch, cpu);
                phases++;
            }
            await client.WaitForExitAsync(ct);
        }
        finally
        {
            if (!client.HasExited) client.Kill(entireProcessTree: true);
        }
        if (client.ExitCode != 0 || phases != 2)
            throw new InvalidOperationException($"The client process exited with {client.ExitCode} after {phases} of 2 phases.");
    }

    /// <summary>
    /// The client process (<c>downloads-client --url U --file-id F --requests R --concurrency C --warmup W</c>, token in
    /// <c>LEADROUTER_BENCH_TOKEN</c>): warms up on <c>/health</c> and the download, then times R requests of each, C in
    /// flight. Writes only JSON lines to stdout: <c>{"phase","event":"start"}</c> as a phase starts, then
    /// <c>{"phase","event":"end","wallMs","latenciesMs":[…sorted],"bytes","failures","cpuMs"}</c>.
    /// </summary>
    public static async Task<int> RunClientAsync(BenchArgs args, CancellationToken ct)
    {
        var url = new Uri(args.String("url") ?? throw new BenchArgsException("--url is required."));
        if (!IPAddress.TryParse(url.Host, out var ip) || !IPAddress.IsLoopback(ip)) throw new BenchArgsException($"Not a loopback address: {url}");
        var fileId = args.Int("file-id", 0);
        if (fileId == 0) throw new BenchArgsException("--file-id is required.");
        var requests = args.Int("requests", 2_000);
        var concurrency = args.Int("concurrency", 50);
        var warmup = args.Int("warmup", Warmup);
        var token = Environment.GetEnvironmentVariable(TokenVariable) ?? throw new BenchArgsException($"{TokenVariable} is not set.");

        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = concurrency, PooledConnectionLifetime = TimeSpan.FromMinutes(10) })
        {
            BaseAddress = url,
            Timeout = TimeSpan.FromSeconds(60),
        };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var download = $"/api/users/leads/download/{fileId}";
        await FireAsync(http, "/health", warmup, concurrency, ct);
        await FireAsync(http, download, warmup, concurrency, ct);
        foreach (var (phase, path) in new[] { ("health", "/health"), (download, download) })
        {
            Console.WriteLine(JsonSerializer.Serialize(new ClientReport(phase, "start", 0, null, 0, 0, 0), Json));
            var b = await FireAsync(http, path, requests, concurrency, ct);
            Console.WriteLine(JsonSerializer.Serialize(new ClientReport(phase, "end", b.Wall.TotalMilliseconds, b.LatenciesMs, b.Bytes, b.Failures, b.Cpu.TotalMilliseconds), Json));
        }
        return 0;
    }

    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>One line of the client process's stdout (see <see cref="RunClientAsync"/>).</summary>
    sealed record ClientReport(string Phase, string Event, double WallMs, double[]? LatenciesMs, long Bytes, int Failures, double CpuMs);

    /// <summary>One timed phase: wall time, sorted latencies, body bytes, failed requests, and CPU (see where it is printed).</summary>
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

    static void Print(string what, Batch b, string cpu) =>
        Console.WriteLine($"{what}: {b.LatenciesMs.Length:N0} requests in {b.Wall.TotalSeconds:N2} s = {b.LatenciesMs.Length / b.Wall.TotalSeconds:N0} req/s, " +
            $"{b.Failures} failed, {b.Bytes / (double)b.LatenciesMs.Length:N0} bytes each; latency ms p50 {Percentile(b.LatenciesMs, 50):N1}, " +
            $"p95 {Percentile(b.LatenciesMs, 95):N1}, p99 {Percentile(b.LatenciesMs, 99):N1}, max {b.LatenciesMs[^1]:N1}; " +
            $"CPU {cpu}");

    static string OneProcessCpu(Batch b) => $"{b.Cpu.TotalSeconds:N2} s (server and client, one process)";
}
