using System.Diagnostics;
using LeadRouter.Data;
using LeadRouter.Data.Leads;
using LeadRouter.Web.Features.Replenishment;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using NpgsqlTypes;

namespace LeadRouter.Bench;

/// <summary>
/// <c>replenish</c>: a reserve of N leads (grades A+ 20 %, A 50 %, B 30 %, scores 0–999) and a working pool of 100
/// leads whose e-mails repeat 100 of the best reserve leads (bulk-inserted, not timed); times one
/// <see cref="Replenish.RunOnceAsync(ReplenishRequest, CancellationToken)"/> with a policy that asks for K leads:
/// lock, metrics, plan, conditional Reserve → New updates, run log, commit. <c>--warm</c> first does a dry run (same
/// plan, nothing changed) so the timed run does not pay for JIT and EF query compilation.
/// </summary>
static class ReplenishLoad
{
    const int PoolSize = 100;

    public static async Task<int> RunAsync(BenchArgs args, CancellationToken ct)
    {
        var reserve = args.Int("reserve", 1_000_000);
        var release = args.Int("release", 10_000);
        var profile = args.Flag("profile") ? new CommandProfile() : null;
        await using var bench = await BenchDatabase.CreateAsync(args.String("db"), ct, profile);
        Console.WriteLine($"replenish: release {release:N0} of {reserve:N0} reserve leads, {bench.Describe}, {BenchArgs.Machine}");

        var seeding = Stopwatch.StartNew();
        await SeedAsync(bench, reserve, ct);
        Console.WriteLine($"Seeded {reserve:N0} reserve and {PoolSize} pool leads in {seeding.Elapsed.TotalSeconds:N1} s (bulk path, not timed)");

        var replenish = bench.Get<Replenish>();
        var policy = Replenish.ParsePolicy($$"""
            {
              "lead_inventory_thresholds": { "min_total_leads": {{release + PoolSize}}, "target_total_leads": {{release + PoolSize}},
                                             "min_priority_leads": { "A+": 0, "A": 0, "B": 0 } },
              "upload_controls": { "max_upload_per_run": {{release}}, "max_daily_uploads": {{release * 10}}, "min_time_between_uploads_hours": 1 }
            }
            """);
        if (args.Flag("warm"))
        {
            var cold = Stopwatch.StartNew();
            var plan = await replenish.RunOnceAsync(new ReplenishRequest("bench", DryRun: true, Policy: policy), ct);
            Console.WriteLine($"Warm-up dry run (first run in the process: JIT and EF query compilation): planned {plan.Released:N0} in {cold.Elapsed.TotalSeconds:N2} s");
        }

        profile?.Reset();
        GC.Collect();
        var watch = new PhaseWatch();
        var result = await replenish.RunOnceAsync(new ReplenishRequest("bench", Policy: policy), ct);
        await watch.DisposeAsync();
        profile?.Print(watch.Elapsed);

        await using var db = await bench.Dbs.CreateDbContextAsync(ct);
        var released = await db.Leads.CountAsync(l => l.Status == LeadStatus.New, ct) - PoolSize;
        if (result.Released != release || released != release)
            throw new InvalidOperationException($"Released {result.Released}, {released} leads left reserve; expected {release}. {string.Join("; ", result.Reasons)}");

        Console.WriteLine($"Replenish on {bench.Describe}: {result.Released:N0} of {reserve:N0} reserve leads released in {watch.Elapsed.TotalSeconds:N2} s " +
            $"(CPU {watch.Cpu.TotalSeconds:N2} s); by grade {string.Join(", ", result.ByGrade.Select(g => $"{g.Key} {g.Value:N0}"))}, " +
            $"{result.DuplicatesSkipped} duplicates skipped; peak working set {PhaseWatch.Mb(watch.PeakWorkingSet)}, allocated {PhaseWatch.Mb(watch.Allocated)}; " +
            $"load average now {BenchArgs.LoadAverage}");
        return 0;
    }

    static string GradeOf(int i) => (i % 10) switch { < 2 => "A+", < 7 => "A", _ => "B" };

    static double ScoreOf(int i) => i * 7919L % 1000;

    /// <summary>Reserve lead i has e-mail r{i}@example.com; pool lead j repeats the e-mail of the j-th reserve lead with score 999.</summary>
    static async Task SeedAsync(BenchDatabase bench, int reserve, CancellationToken ct)
    {
        var now = DateTimeOffset.UtcNow;
        long sourceId, importId;
        await using (var db = await bench.Dbs.CreateDbContextAsync(ct))
        {
            var source = new Source { Name = "Reserve", Key = Source.KeyOf("Reserve"), CreatedAt = now };
            var import = new Import { FileName = "bench", CreatedAt = now, Rows = reserve, Accepted = reserve };
            db.AddRange(source, import);
            await db.SaveChangesAsync(ct);
            (sourceId, importId) = (source.Id, import.Id);
        }

        // The first PoolSize reserve leads with the top score (999) get a twin in the working pool.
        var best = Enumerable.Range(0, reserve).Where(i => ScoreOf(i) == 999).Take(PoolSize).ToList();
        var rows = Enumerable.Range(0, reserve).Select(i => (Key: $"email:r{i}@example.com", Email: $"r{i}@example.com", Status: "Reserve", Grade: GradeOf(i), Score: ScoreOf(i)))
            .Concat(best.Select(i => (Key: $"id:pool{i}", Email: $"r{i}@example.com", Status: "New", Grade: GradeOf(i), Score: 0.0)));
        if (bench.Target.Provider == DatabaseProvider.Postgres) await CopyAsync(bench.Target, rows, sourceId, importId, now, ct);
        else await InsertAsync(bench.Target, rows, sourceId, importId, now, ct);
    }

    static async Task InsertAsync(DatabaseTarget target, IEnumerable<(string Key, string Email, string Status, string Grade, double Score)> rows,
        long sourceId, long importId, DateTimeOffset now, CancellationToken ct)
    {
        await using var conn = new SqliteConnection(target.ConnectionString);
        await conn.OpenAsync(ct);
        await using (var tx = (SqliteTransaction)await conn.BeginTransactionAsync(ct))
        {
            await using var cmd = conn.CreateCommand();
            cmd.Transaction = tx;
            cmd.CommandText = """
                INSERT INTO "Leads" ("IdentityKey", "Email", "Name", "PhoneValid", "SourceId", "ImportId", "Status", "Grade", "Score", "CreatedAt")
                VALUES ($key, $email, 'Bench', 0, $source, $import, $status, $grade, $score, $created)
                """;
            var key = cmd.Parameters.Add("$key", SqliteType.Text);
            var email = cmd.Parameters.Add("$email", SqliteType.Text);
            var status = cmd.Parameters.Add("$status", SqliteType.Text);
            var grade = cmd.Parameters.Add("$grade", SqliteType.Text);
            var score = cmd.Parameters.Add("$score", SqliteType.Real);
            cmd.Parameters.AddWithValue("$source", sourceId);
            cmd.Parameters.AddWithValue("$import", importId);
            cmd.Parameters.AddWithValue("$created", now.UtcTicks);
            await cmd.PrepareAsync(ct);
            foreach (var r in rows)
            {
                (key.Value, email.Value, status.Value, grade.Value, score.Value) = (r.Key, r.Email, r.Status, r.Grade, r.Score);
                await cmd.ExecuteNonQueryAsync(ct);
            }

            await tx.CommitAsync(ct);
        }

        await using var analyze = conn.CreateCommand();
        analyze.CommandText = "ANALYZE";
        await analyze.ExecuteNonQueryAsync(ct);
    }

    static async Task CopyAsync(DatabaseTarget target, IEnumerable<(string Key, string Email, string Status, string Grade, double Score)> rows,
        long sourceId, long importId, DateTimeOffset now, CancellationToken ct)
    {
        await using var conn = new NpgsqlConnection(target.ConnectionString);
        await conn.OpenAsync(ct);
        await using (var copy = await conn.BeginBinaryImportAsync(
            """COPY "Leads" ("IdentityKey", "Email", "Name", "PhoneValid", "SourceId", "ImportId", "Status", "Grade", "Score", "CreatedAt") FROM STDIN (FORMAT BINARY)""", ct))
        {
            foreach (var r in rows)
            {
                await copy.StartRowAsync(ct);
                await copy.WriteAsync(r.Key, NpgsqlDbType.Varchar, ct);
                await copy.WriteAsync(r.Email, NpgsqlDbType.Text, ct);
                await copy.WriteAsync("Bench", NpgsqlDbType.Text, ct);
                await copy.WriteAsync(false, NpgsqlDbType.Boolean, ct);
                await copy.WriteAsync(sourceId, NpgsqlDbType.Bigint, ct);
                await copy.WriteAsync(importId, NpgsqlDbType.Bigint, ct);
                await copy.WriteAsync(r.Status, NpgsqlDbType.Varchar, ct);
                await copy.WriteAsync(r.Grade, NpgsqlDbType.Text, ct);
                await copy.WriteAsync(r.Score, NpgsqlDbType.Double, ct);
                await copy.WriteAsync(now, NpgsqlDbType.TimestampTz, ct);
            }

            await copy.CompleteAsync(ct);
        }

        await using var analyze = new NpgsqlCommand("""ANALYZE "Leads" """, conn);
        await analyze.ExecuteNonQueryAsync(ct);
    }
}
