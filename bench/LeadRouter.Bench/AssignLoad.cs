using System.Diagnostics;
using LeadRouter.Data;
using LeadRouter.Data.Agents;
using LeadRouter.Data.Leads;
using LeadRouter.Domain.Agents;
using LeadRouter.Web.Features.Agents;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using NpgsqlTypes;

namespace LeadRouter.Bench;

/// <summary>
/// <c>assign</c>: a backlog of unassigned leads of one source (bulk-inserted, not timed) and a fair pool of K agents;
/// times one <see cref="LeadAssigner.AssignSourceAsync"/> run (load, plan, conditional updates, history rows, commit).
/// </summary>
static class AssignLoad
{
    public static async Task<int> RunAsync(BenchArgs args, CancellationToken ct)
    {
        var leads = args.Int("leads", 100_000);
        var agents = args.Int("agents", 10);
        var profile = args.Flag("profile") ? new CommandProfile() : null;
        await using var bench = await BenchDatabase.CreateAsync(args.String("db"), ct, profile);
        Console.WriteLine($"assign: {leads:N0} leads, {agents} agents, {bench.Describe}, {BenchArgs.Machine}");

        var seeding = Stopwatch.StartNew();
        var sourceId = await SeedAsync(bench, leads, agents, ct);
        Console.WriteLine($"Seeded {leads:N0} leads in {seeding.Elapsed.TotalSeconds:N1} s (bulk path, not timed)");

        var assigner = bench.Get<LeadAssigner>();
        profile?.Reset();
        GC.Collect();
        var watch = new PhaseWatch();
        var run = await assigner.AssignSourceAsync(sourceId, AssignmentTrigger.Manual, ct)
            ?? throw new InvalidOperationException("The source has no pool.");
        await watch.DisposeAsync();
        profile?.Print(watch.Elapsed);

        await using var db = await bench.Dbs.CreateDbContextAsync(ct);
        var history = await db.Assignments.CountAsync(ct);
        var left = await db.Leads.CountAsync(l => l.AgentId == null, ct);
        var spread = run.Agents.Max(a => a.Received) - run.Agents.Min(a => a.Received);
        if (run.Assigned != leads || history != leads || left != 0)
            throw new InvalidOperationException($"Assigned {run.Assigned}, history rows {history}, unassigned left {left}; expected {leads}.");

        Console.WriteLine($"LeadAssigner on {bench.Describe}: {run.Assigned:N0} leads to {agents} agents in {watch.Elapsed.TotalSeconds:N2} s = " +
            $"{run.Assigned / watch.Elapsed.TotalSeconds:N0} leads/s (CPU {watch.Cpu.TotalSeconds:N2} s); per agent {run.Agents.Min(a => a.Received):N0}–{run.Agents.Max(a => a.Received):N0} " +
            $"(spread {spread}); peak working set {PhaseWatch.Mb(watch.PeakWorkingSet)}, allocated {PhaseWatch.Mb(watch.Allocated)}; " +
            $"load average now {BenchArgs.LoadAverage}");
        return 0;
    }

    /// <summary>One source, K agents in a fair pool, N unassigned leads; returns the source id.</summary>
    static async Task<long> SeedAsync(BenchDatabase bench, int leads, int agents, CancellationToken ct)
    {
        var now = DateTimeOffset.UtcNow;
        long sourceId, importId;
        await using (var db = await bench.Dbs.CreateDbContextAsync(ct))
        {
            var source = new Source { Name = "META", Key = Source.KeyOf("META"), CreatedAt = now };
            var import = new Import { FileName = "bench", CreatedAt = now, Rows = leads, Accepted = leads };
            var team = Enumerable.Range(1, agents).Select(i => new Agent { Name = $"Agent {i:00}", CreatedAt = now }).ToList();
            db.AddRange(source, import);
            db.Agents.AddRange(team);
            await db.SaveChangesAsync(ct);
            db.AgentPools.Add(new AgentPool
            {
                SourceId = source.Id,
                Method = AssignmentMethod.Fair,
                UpdatedAt = now,
                Members = team.Select((a, i) => new AgentPoolMember { AgentId = a.Id, Position = i }).ToList(),
            });
            await db.SaveChangesAsync(ct);
            (sourceId, importId) = (source.Id, import.Id);
        }

        if (bench.Target.Provider == DatabaseProvider.Postgres) await CopyLeadsAsync(bench.Target, leads, sourceId, importId, now, ct);
        else await InsertLeadsAsync(bench.Target, leads, sourceId, importId, now, ct);
        return sourceId;
    }

    /// <summary>Bulk-inserts N plain leads of one source and import (SQLite: prepared INSERTs in one transaction).</summary>
    internal static async Task InsertLeadsAsync(DatabaseTarget target, int leads, long sourceId, long importId, DateTimeOffset now, CancellationToken ct)
    {
        await using var conn = new SqliteConnection(target.ConnectionString);
        await conn.OpenAsync(ct);
        await using var tx = (SqliteTransaction)await conn.BeginTransactionAsync(ct);
        await using var cmd = conn.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = """
            INSERT INTO "Leads" ("IdentityKey", "Email", "Name", "PhoneValid", "SourceId", "ImportId", "Status", "CreatedAt")
            VALUES ($key, $email, $name, 0, $source, $import, 'New', $created)
            """;
        var key = cmd.Parameters.Add("$key", SqliteType.Text);
        var email = cmd.Parameters.Add("$email", SqliteType.Text);
        var name = cmd.Parameters.Add("$name", SqliteType.Text);
        cmd.Parameters.AddWithValue("$source", sourceId);
        cmd.Parameters.AddWithValue("$import", importId);
        cmd.Parameters.AddWithValue("$created", now.UtcTicks);
        await cmd.PrepareAsync(ct);
        for (var i = 0; i < leads; i++)
        {
            email.Value = $"lead{i}@example.com";
            key.Value = $"email:lead{i}@example.com";
            name.Value = $"Lead {i}";
            await cmd.ExecuteNonQueryAsync(ct);
        }

        await tx.CommitAsync(ct);
    }

    /// <summary>Bulk-inserts N plain leads of one source and import (PostgreSQL: binary COPY, then ANALYZE).</summary>
    internal static async Task CopyLeadsAsync(DatabaseTarget target, int leads, long sourceId, long importId, DateTimeOffset now, CancellationToken ct)
    {
        await using var conn = new NpgsqlConnection(target.ConnectionString);
        await conn.OpenAsync(ct);
        await using (var copy = await conn.BeginBinaryImportAsync(
            """COPY "Leads" ("IdentityKey", "Email", "Name", "PhoneValid", "SourceId", "ImportId", "Status", "CreatedAt") FROM STDIN (FORMAT BINARY)""", ct))
        {
            for (var i = 0; i < leads; i++)
            {
                await copy.StartRowAsync(ct);
                await copy.WriteAsync($"email:lead{i}@example.com", NpgsqlDbType.Varchar, ct);
                await copy.WriteAsync($"lead{i}@example.com", NpgsqlDbType.Text, ct);
                await copy.WriteAsync($"Lead {i}", NpgsqlDbType.Text, ct);
                await copy.WriteAsync(false, NpgsqlDbType.Boolean, ct);
                await copy.WriteAsync(sourceId, NpgsqlDbType.Bigint, ct);
                await copy.WriteAsync(importId, NpgsqlDbType.Bigint, ct);
                await copy.WriteAsync("New", NpgsqlDbType.Varchar, ct);
                await copy.WriteAsync(now, NpgsqlDbType.TimestampTz, ct);
            }

            await copy.CompleteAsync(ct);
        }

        await using var analyze = new NpgsqlCommand("""ANALYZE "Leads" """, conn);
        await analyze.ExecuteNonQueryAsync(ct);
    }
}
