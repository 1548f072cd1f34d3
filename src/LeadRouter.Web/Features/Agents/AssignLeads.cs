using System.Data.Common;
using System.Globalization;
using System.Text;
using LeadRouter.Data;
using LeadRouter.Data.Agents;
using LeadRouter.Data.Leads;
using LeadRouter.Domain.Agents;
using LeadRouter.Web.Features.Platform;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;

namespace LeadRouter.Web.Features.Agents;

/// <summary>One agent's line in a run: pool count before and after, and the leads taken in this run.</summary>
public sealed record AgentRunLine(long AgentId, string Name, long Before, long After, int Received);

/// <summary>
/// The result of assigning one source's unassigned leads: how many were assigned, the per-agent breakdown,
/// who got the odd lead(s) when the split was uneven, and how many leads still wait (no agent could take them).
/// </summary>
public sealed record AssignmentRun(long SourceId, string Source, AssignmentMethod Method, AssignmentTrigger Trigger,
    int Assigned, int Waiting, IReadOnlyList<AgentRunLine> Agents, IReadOnlyList<string> OddLeadTo);

/// <summary>
/// Assigns a source's unassigned leads to its pool's agents: the single code path behind every trigger
/// (pool saved, import, manual, background loop). Loads, decides with <see cref="FairQueue.Plan"/>, and
/// applies in one transaction. The pool row is written first, which takes a row lock (PostgreSQL) or the
/// write lock (SQLite), so two runs on one pool never interleave; the lead update is conditional
/// (<c>AgentId IS NULL AND Status = New</c>) and the assignment log is unique per lead (DESIGN rule 1).
/// A 100k-lead backlog is one run: the lead updates go per agent with the ids as one parameter, and the history
/// rows are written with one set-based INSERT per chunk on the context's connection, inside the transaction.
/// </summary>
public sealed class LeadAssigner(IDbContextFactory<LeadRouterDb> dbs, TimeProvider clock, RunProgress progress, ILogger<LeadAssigner> log)
{
    /// <summary>Leads per UPDATE and history rows per INSERT statement.</summary>
    const int Chunk = 10_000;

    /// <summary>Assigns the leads of every pooled source with auto-assign on (or only <paramref name="source"/>).</summary>
    /// <returns>One run per pooled source that was looked at, also those with nothing to assign.</returns>
    public async Task<IReadOnlyList<AssignmentRun>> AssignAsync(AssignmentTrigger trigger, string? source, CancellationToken ct)
    {
        List<long> sourceIds;
        await using (var db = await dbs.CreateDbContextAsync(ct))
        {
            var key = source is null ? null : Source.KeyOf(source);
            sourceIds = await db.AgentPools
                .Where(p => key == null ? p.AutoAssign : p.Source!.Key == key)
                .OrderBy(p => p.SourceId).Select(p => p.SourceId).ToListAsync(ct);
        }

        var runs = new List<AssignmentRun>();
        foreach (var id in sourceIds)
            if (await AssignSourceAsync(id, trigger, ct) is { } run) runs.Add(run);
        return runs;
    }

    /// <summary>Assigns one source's unassigned leads; null when the source has no pool.</summary>
    public async Task<AssignmentRun?> AssignSourceAsync(long sourceId, AssignmentTrigger trigger, CancellationToken ct)
    {
        try
        {
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    return await TryAssignAsync(sourceId, trigger, ct);
                }
                catch (Exception e) when (attempt < 5 && e is DbUpdateException or ConcurrentAssignmentException)
                {
                    log.LogWarning(e, "Assignment run for source {SourceId} collided with another; retrying ({Attempt})", sourceId, attempt);
                    await Task.Delay(TimeSpan.FromMilliseconds(50 * attempt), ct);
                }
            }
        }
        finally
        {
            // A run that reported progress and did not finish (it failed or was cancelled) is not in progress any more.
            if (progress.Get(ProgressKey(sourceId)) is { } shown) progress.Finish(shown.Key, shown.Kind, shown.Title, "Stopped");
        }
    }

    /// <summary>The <see cref="RunProgress"/> key of a source's assignment runs: <c>source:{id}</c>.</summary>
    public static string ProgressKey(long sourceId) => $"source:{sourceId.ToString(CultureInfo.InvariantCulture)}";

    async Task<AssignmentRun?> TryAssignAsync(long sourceId, AssignmentTrigger trigger, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        // Imports and the background loop only feed pools with auto-assign on; saving a pool or a manual run always assigns.
        var autoOnly = trigger is AssignmentTrigger.Import or AssignmentTrigger.Background;
        var locked = await db.AgentPools.Where(p => p.SourceId == sourceId && (!autoOnly || p.AutoAssign))
            .ExecuteUpdateAsync(s => s.SetProperty(p => p.Version, p => p.Version + 1), ct);
        if (locked == 0) return null;

        var pool = await db.AgentPools.Include(p => p.Source).Include(p => p.Members).ThenInclude(m => m.Agent)
            .SingleAsync(p => p.SourceId == sourceId, ct);
        var members = pool.Members.OrderBy(m => m.Position).ToList();
        var open = await OpenLeadsAsync(db, members, ct);
        var state = new PoolState(pool.Method,
            members.Select(m => new PoolAgent(m.AgentId, m.Agent!.Name, m.Received, m.Credit, m.Agent.Weight,
                m.Agent.Active && !m.Agent.Away, m.Agent.Capacity, open.GetValueOrDefault(m.AgentId))).ToList(),
            pool.LastAgentId);
        var leadIds = await db.Leads
            .Where(l => l.SourceId == sourceId && l.Status == LeadStatus.New && l.AgentId == null)
            .OrderBy(l => l.Id).Select(l => l.Id).ToListAsync(ct);

        var key = ProgressKey(sourceId);
        var title = $"Assigning {pool.Source!.Name} leads";
        if (leadIds.Count > 0) progress.Report(key, WorkKind.Assignment, title, "Planning", 0, leadIds.Count);
        var plan = FairQueue.Plan(state, leadIds);

        var now = clock.GetUtcNow();
        long done = 0;
        foreach (var group in plan.Assignments.GroupBy(a => a.AgentId))
            foreach (var chunk in group.Select(a => a.LeadId).Chunk(Chunk))
            {
                progress.Report(key, WorkKind.Assignment, title, "Assigning leads", done, plan.Assignments.Count);
                done += chunk.Length;
                var agentId = group.Key;
                // EF.Parameter: the ids travel as one array/JSON parameter, not one parameter per id.
                var updated = await db.Leads
                    .Where(l => EF.Parameter(chunk).Contains(l.Id) && l.AgentId == null && l.Status == LeadStatus.New)
                    .ExecuteUpdateAsync(s => s
                        .SetProperty(l => l.AgentId, agentId)
                        .SetProperty(l => l.Status, LeadStatus.Pending)
                        .SetProperty(l => l.AssignedAt, now)
                        .SetProperty(l => l.StatusChangedAt, now), ct);
                if (updated != chunk.Length) throw new ConcurrentAssignmentException();
            }

        done = 0;
        foreach (var chunk in plan.Assignments.Chunk(Chunk))
        {
            if (plan.Assignments.Count > 0) progress.Report(key, WorkKind.Assignment, title, "Writing the history", done, plan.Assignments.Count);
            await InsertHistoryAsync(db, chunk, sourceId, pool.Method, trigger, now, ct);
            done += chunk.Length;
        }
        var taken = plan.Assignments.GroupBy(a => a.AgentId).ToDictionary(g => g.Key, g => g.Count());
        var before = members.ToDictionary(m => m.AgentId, m => m.Received);
        foreach (var m in members) m.Received += taken.GetValueOrDefault(m.AgentId);
        pool.LastAgentId = plan.LastAgentId;
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        if (leadIds.Count > 0) progress.Finish(key, WorkKind.Assignment, title, $"{plan.Assignments.Count} leads assigned");

        var lines = members.Select(m => new AgentRunLine(m.AgentId, m.Agent!.Name, before[m.AgentId], m.Received,
            taken.GetValueOrDefault(m.AgentId))).ToList();
        if (plan.Assignments.Count > 0)
            log.LogInformation("Assigned {Count} {Source} leads ({Trigger}, {Method})", plan.Assignments.Count, pool.Source!.Name, trigger, pool.Method);
        return new AssignmentRun(sourceId, pool.Source!.Name, pool.Method, trigger, plan.Assignments.Count,
            plan.Unassigned.Count, lines, OddLeadTo(lines));
    }

    /// <summary>When a run's split is uneven, the agents who took one more than the others in this run.</summary>
    static IReadOnlyList<string> OddLeadTo(IReadOnlyList<AgentRunLine> lines)
    {
        var served = lines.Where(l => l.Received > 0).ToList();
        if (served.Count < 2) return [];
        var min = served.Min(l => l.Received);
        var max = served.Max(l => l.Received);
        return max == min ? [] : served.Where(l => l.Received == max).Select(l => l.Name).ToList();
    }

    static async Task<Dictionary<long, int>> OpenLeadsAsync(LeadRouterDb db, List<AgentPoolMember> members, CancellationToken ct)
    {
        var capped = members.Where(m => m.Agent!.Capacity is not null).Select(m => m.AgentId).ToList();
        if (capped.Count == 0) return [];
        return await db.Leads
            .Where(l => l.AgentId != null && capped.Contains(l.AgentId.Value)
                && (l.Status == LeadStatus.Pending || l.Status == LeadStatus.Contacted || l.Status == LeadStatus.Qualified))
            .GroupBy(l => l.AgentId!.Value).Select(g => new { g.Key, Count = g.Count() })
            .ToDictionaryAsync(x => x.Key, x => x.Count, ct);
    }

    /// <summary>
    /// Writes one history row per planned assignment with a single INSERT … SELECT on the context's connection and
    /// transaction (EF's SaveChanges sends one INSERT per row on SQLite). Table, columns and stored values (enum
    /// names, UTC ticks on SQLite) come from the EF model. SQLite reads the rows from one JSON parameter
    /// (<c>json_each</c>), PostgreSQL from four <c>bigint[]</c> parameters (<c>unnest</c>). A unique-index violation
    /// surfaces as <see cref="DbUpdateException"/>, as it did through SaveChanges, so the run is retried.
    /// </summary>
    static async Task InsertHistoryAsync(LeadRouterDb db, PlannedAssignment[] rows, long sourceId, AssignmentMethod method,
        AssignmentTrigger trigger, DateTimeOffset now, CancellationToken ct)
    {
        var entity = db.Model.FindEntityType(typeof(Assignment))!;
        var table = StoreObjectIdentifier.Table(entity.GetTableName()!, entity.GetSchema());
        var sql = db.GetService<ISqlGenerationHelper>();
        string Column(string property) => sql.DelimitIdentifier(entity.FindProperty(property)!.GetColumnName(table)!);
        object Stored(string property, object value) =>
            entity.FindProperty(property)!.GetTypeMapping().Converter?.ConvertToProvider(value) ?? value;

        // Only identifiers from the model are spliced into the SQL; every value is a parameter.
        var into = $"INSERT INTO {sql.DelimitIdentifier(table.Name, table.Schema)} ({Column(nameof(Assignment.LeadId))}, " +
            $"{Column(nameof(Assignment.AgentId))}, {Column(nameof(Assignment.CountBefore))}, {Column(nameof(Assignment.CountAfter))}, " +
            $"{Column(nameof(Assignment.SourceId))}, {Column(nameof(Assignment.Method))}, {Column(nameof(Assignment.Trigger))}, " +
            $"{Column(nameof(Assignment.AssignedAt))})";
        object[] shared = [sourceId, Stored(nameof(Assignment.Method), method), Stored(nameof(Assignment.Trigger), trigger),
            Stored(nameof(Assignment.AssignedAt), now)];
        int inserted;
        try
        {
            if (db.Database.IsNpgsql())
            {
                var text = into + " SELECT r.l, r.a, r.b, r.c, {4}, {5}, {6}, {7} FROM unnest({0}, {1}, {2}, {3}) AS r(l, a, b, c)";
                inserted = await db.Database.ExecuteSqlRawAsync(text,
                    [rows.Select(r => r.LeadId).ToArray(), rows.Select(r => r.AgentId).ToArray(),
                     rows.Select(r => r.CountBefore).ToArray(), rows.Select(r => r.CountAfter).ToArray(), .. shared], ct);
            }
            else
            {
                var json = new StringBuilder(rows.Length * 32).Append('[');
                foreach (var r in rows)
                    json.Append(CultureInfo.InvariantCulture, $"[{r.LeadId},{r.AgentId},{r.CountBefore},{r.CountAfter}],");
                json[^1] = ']';
                var text = into + " SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, {1}, {2}, {3}, {4} FROM json_each({0})";
                inserted = await db.Database.ExecuteSqlRawAsync(text,
                    [json.ToString(), .. shared], ct);
            }
        }
        catch (DbException e)
        {
            throw new DbUpdateException("Writing the assignment history failed.", e);
        }

        if (inserted != rows.Length) throw new ConcurrentAssignmentException();
    }

    sealed class ConcurrentAssignmentException() : Exception("A lead of this run was assigned by another run; retrying.");
}
