using System.Buffers;
using System.Data.Common;
using System.Globalization;
using System.Text;
using System.Text.Json;
using LeadRouter.Data;
using LeadRouter.Data.Brokers;
using LeadRouter.Data.Leads;
using LeadRouter.Data.Leads.Intake;
using LeadRouter.Domain.Brokers;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace LeadRouter.Web.Features.Brokers;

/// <summary>
/// Everything one routing run writes, decided: the leads and their brokers, the unrouted leads by reason, the routing
/// log rows (lead, its source, the decision as JSON), the rotation groups whose state changed, and statements of the
/// caller to send along (SQL with <c>{0}</c>-style parameters, e.g. an import's counters). <see cref="Insert"/>, when
/// set, stores new leads (already carrying their broker or unrouted reason) before everything else, in the same round trip
/// on PostgreSQL.
/// </summary>
sealed record RoutingWritePlan(
    IReadOnlyList<Routed> Routed,
    IReadOnlyList<(string Reason, IReadOnlyList<long> LeadIds)> Unrouted,
    IReadOnlyList<(Routed Route, long? SourceId, string Decision)> Log,
    IReadOnlyList<(RoutingGroupKey Key, RoutingGroupState State)> Groups,
    RoutingTrigger Trigger,
    DateTimeOffset Now,
    IReadOnlyList<FormattableString> AlsoWrite,
    LeadStore.LeadInsert? Insert = null);

/// <summary>
/// The writes of a routing transaction as set-based SQL on the context's connection and transaction, whatever the
/// number of leads: the conditional lead update (owner only while the lead has none and is New), the unrouted reasons,
/// the routing log and the rotation groups. PostgreSQL sends them as one batch (one round trip) with typed arrays
/// (<c>unnest</c>, <c>= ANY</c>); SQLite runs them one after the other reading its rows from one JSON parameter
/// (<c>json_each</c>), with the lead table read <c>NOT INDEXED</c>, i.e. by rowid: without statistics SQLite would
/// otherwise walk the status index over every waiting lead of the database for each update. Stored values follow the
/// EF model: enums as their names, instants as UTC ticks on SQLite.
/// </summary>
static class RoutingWrites
{
    static readonly string Waiting = nameof(LeadStatus.New);
    static readonly string Pending = nameof(LeadStatus.Pending);

    const string LogColumns = """ "BrokerAssignments" ("LeadId", "BrokerId", "SourceId", "Priority", "Country", "Trigger", "Decision", "RoutedAt") """;

    /// <summary>Writes the plan; returns how many leads got their broker (fewer than planned: another owner came first).</summary>
    /// <exception cref="DbUpdateException">A lead is already in the routing log (unique index): retry the transaction.</exception>
    /// <exception cref="RouteLeads.ConcurrentRoutingException">Fewer new leads were inserted than planned: retry the transaction.</exception>
    /// <exception cref="DbException">With <see cref="RoutingWritePlan.Insert"/>, what the database refused, as it is: the
    /// leads are new, so no other run can hold them, and a refused lead is not a reason to retry.</exception>
    public static async Task<int> WriteAsync(LeadRouterDb db, RoutingWritePlan plan, CancellationToken ct)
    {
        if (db.Database.IsNpgsql()) return await WritePostgresAsync(db, plan, ct);
        if (plan.Insert is { } insert && await insert.RunAsync(ct) != insert.Count) throw new RouteLeads.ConcurrentRoutingException();
        try
        {
            return await WriteSqliteAsync(db, plan, ct);
        }
        catch (DbException e) when (plan.Insert is null)
        {
            throw Failed(e);
        }
    }

    static DbUpdateException Failed(DbException e) => new("Writing the routing run failed.", e);

    static async Task<int> WritePostgresAsync(LeadRouterDb db, RoutingWritePlan plan, CancellationToken ct)
    {
        var connection = db.Database.GetDbConnection();
        await using var batch = connection.CreateBatch();
        batch.Transaction = db.Database.CurrentTransaction?.GetDbTransaction()
            ?? throw new InvalidOperationException("Routing writes need the routing transaction.");
        var insert = plan.Insert?.AddTo(batch);
        DbBatchCommand? assign = null;
        if (plan.Routed.Count > 0)
            assign = batch.Add("""
                UPDATE "Leads" AS l SET "BrokerId" = r.b, "Status" = $1, "AssignedAt" = $2, "StatusChangedAt" = $2, "UnroutedReason" = NULL
                FROM unnest($3::bigint[], $4::bigint[]) AS r(l, b)
                WHERE l."Id" = r.l AND l."BrokerId" IS NULL AND l."AgentId" IS NULL AND l."Status" = $5
                """, Pending, plan.Now, plan.Routed.Select(r => r.LeadId).ToArray(), plan.Routed.Select(r => r.BrokerId).ToArray(), Waiting);
        foreach (var (reason, ids) in plan.Unrouted)
            batch.Add("""
                UPDATE "Leads" SET "UnroutedReason" = $1
                WHERE "Id" = ANY($2) AND "BrokerId" IS NULL AND "AgentId" IS NULL AND "Status" = $3
                """, reason, ids.ToArray(), Waiting);
        if (plan.Log.Count > 0)
            batch.Add($"""
                INSERT INTO {LogColumns}
                SELECT r.l, r.b, r.s, r.p, r.c, $1, r.d, $2
                FROM unnest($3::bigint[], $4::bigint[], $5::bigint[], $6::integer[], $7::text[], $8::text[]) AS r(l, b, s, p, c, d)
                """, plan.Trigger.ToString(), plan.Now, plan.Log.Select(x => x.Route.LeadId).ToArray(), plan.Log.Select(x => x.Route.BrokerId).ToArray(),
                plan.Log.Select(x => x.SourceId).ToArray(), plan.Log.Select(x => x.Route.Priority).ToArray(),
                plan.Log.Select(x => x.Route.GroupKey.Country).ToArray(), plan.Log.Select(x => x.Decision).ToArray());
        foreach (var (key, state) in plan.Groups)
        {
            batch.Add("""DELETE FROM "BrokerRotations" WHERE "Priority" = $1 AND "Country" = $2""", key.Priority, key.Country);
            batch.Add("""
                INSERT INTO "BrokerRotations" ("Priority", "Country", "BrokerId", "Current")
                SELECT $1, $2, r.b, r.c FROM unnest($3::bigint[], $4::bigint[]) AS r(b, c)
                """, key.Priority, key.Country, state.CurrentWeights.Keys.ToArray(), state.CurrentWeights.Values.ToArray());
        }
        foreach (var statement in plan.AlsoWrite)
            batch.Add(string.Format(CultureInfo.InvariantCulture, statement.Format,
                Enumerable.Range(1, statement.ArgumentCount).Select(i => (object)$"${i}").ToArray()), statement.GetArguments()!);
        if (batch.BatchCommands.Count == 0) return 0;
        try
        {
            await batch.ExecuteNonQueryAsync(ct);
        }
        catch (DbException e) when (insert is null)
        {
            throw Failed(e);
        }
        if (insert is not null && insert.RecordsAffected != plan.Insert!.Count) throw new RouteLeads.ConcurrentRoutingException();
        return assign?.RecordsAffected ?? 0;
    }

    static async Task<int> WriteSqliteAsync(LeadRouterDb db, RoutingWritePlan plan, CancellationToken ct)
    {
        var ticks = plan.Now.UtcTicks;
        var assigned = 0;
        if (plan.Routed.Count > 0)
        {
            var json = new StringBuilder(plan.Routed.Count * 16).Append('[');
            foreach (var r in plan.Routed) json.Append(CultureInfo.InvariantCulture, $"[{r.LeadId},{r.BrokerId}],");
            json[^1] = ']';
            var rows = json.ToString();
            assigned = await db.Database.ExecuteSqlInterpolatedAsync($"""
                UPDATE "Leads" NOT INDEXED SET "BrokerId" = r.b, "Status" = {Pending}, "AssignedAt" = {ticks}, "StatusChangedAt" = {ticks}, "UnroutedReason" = NULL
                FROM (SELECT "value" ->> 0 AS l, "value" ->> 1 AS b FROM json_each({rows})) AS r
                WHERE "Leads"."Id" = r.l AND "Leads"."BrokerId" IS NULL AND "Leads"."AgentId" IS NULL AND "Leads"."Status" = {Waiting}
                """, ct);
        }

        foreach (var (reason, ids) in plan.Unrouted)
        {
            var json = "[" + string.Join(',', ids.Select(id => id.ToString(CultureInfo.InvariantCulture))) + "]";
            await db.Database.ExecuteSqlInterpolatedAsync($"""
                UPDATE "Leads" NOT INDEXED SET "UnroutedReason" = {reason}
                WHERE "Id" IN (SELECT "value" FROM json_each({json})) AND "BrokerId" IS NULL AND "AgentId" IS NULL AND "Status" = {Waiting}
                """, ct);
        }

        if (plan.Log.Count > 0)
        {
            var buffer = new ArrayBufferWriter<byte>(plan.Log.Count * 256);
            using (var w = new Utf8JsonWriter(buffer))
            {
                w.WriteStartArray();
                foreach (var (route, source, decision) in plan.Log)
                {
                    w.WriteStartArray();
                    w.WriteNumberValue(route.LeadId);
                    w.WriteNumberValue(route.BrokerId);
                    if (source is { } s) w.WriteNumberValue(s);
                    else w.WriteNullValue();
                    w.WriteNumberValue(route.Priority);
                    w.WriteStringValue(route.GroupKey.Country);
                    w.WriteStringValue(decision);
                    w.WriteEndArray();
                }
                w.WriteEndArray();
            }
            var (json, trigger) = (Encoding.UTF8.GetString(buffer.WrittenSpan), plan.Trigger.ToString());
            await db.Database.ExecuteSqlRawAsync($$"""
                INSERT INTO {{LogColumns}}
                SELECT "value" ->> 0, "value" ->> 1, "value" ->> 2, "value" ->> 3, "value" ->> 4, {1}, "value" ->> 5, {2}
                FROM json_each({0})
                """, [json, trigger, ticks], ct);
        }

        foreach (var (key, state) in plan.Groups)
        {
            var json = "[" + string.Join(',', state.CurrentWeights.Select(kv => string.Create(CultureInfo.InvariantCulture, $"[{kv.Key},{kv.Value}]"))) + "]";
            await db.Database.ExecuteSqlInterpolatedAsync($"""
                DELETE FROM "BrokerRotations" WHERE "Priority" = {key.Priority} AND "Country" = {key.Country};
                INSERT INTO "BrokerRotations" ("Priority", "Country", "BrokerId", "Current")
                SELECT {key.Priority}, {key.Country}, "value" ->> 0, "value" ->> 1 FROM json_each({json});
                """, ct);
        }
        foreach (var statement in plan.AlsoWrite) await db.Database.ExecuteSqlInterpolatedAsync(statement, ct);
        return assigned;
    }
}
