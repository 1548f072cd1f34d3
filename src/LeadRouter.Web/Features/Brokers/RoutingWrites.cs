using System.Buffers;
using System.Data.Common;
using System.Globalization;
using System.Text;
using System.Text.Json;
using LeadRouter.Data;
using LeadRouter.Data.Brokers;
using LeadRouter.Data.Leads;
using LeadRouter.Domain.Brokers;
using Microsoft.EntityFrameworkCore;

namespace LeadRouter.Web.Features.Brokers;

/// <summary>
/// The writes of a routing transaction as set-based SQL on the context's connection and transaction: one statement each
/// for the lead updates, the unrouted reasons of one reason, the routing log and one rotation group, whatever the number
/// of leads. SQLite reads the rows from one JSON parameter (<c>json_each</c>), PostgreSQL from typed arrays
/// (<c>unnest</c>, <c>= ANY</c>). On SQLite the lead table is read <c>NOT INDEXED</c>, i.e. by rowid only: without
/// statistics SQLite would otherwise walk the status index over every waiting lead of the database for each update.
/// Stored values follow the EF model: enums as their names, instants as UTC ticks on SQLite.
/// </summary>
static class RoutingWrites
{
    static readonly string Waiting = nameof(LeadStatus.New);
    static readonly string Pending = nameof(LeadStatus.Pending);

    /// <summary>Gives each lead its broker while it is still waiting (no owner, status New); returns the leads changed.</summary>
    public static async Task<int> AssignAsync(LeadRouterDb db, IReadOnlyList<Routed> routed, DateTimeOffset now, CancellationToken ct)
    {
        if (routed.Count == 0) return 0;
        if (db.Database.IsNpgsql())
        {
            var leads = routed.Select(r => r.LeadId).ToArray();
            var brokers = routed.Select(r => r.BrokerId).ToArray();
            return await db.Database.ExecuteSqlInterpolatedAsync($"""
                UPDATE "Leads" AS l SET "BrokerId" = r.b, "Status" = {Pending}, "AssignedAt" = {now}, "StatusChangedAt" = {now}, "UnroutedReason" = NULL
                FROM unnest({leads}, {brokers}) AS r(l, b)
                WHERE l."Id" = r.l AND l."BrokerId" IS NULL AND l."AgentId" IS NULL AND l."Status" = {Waiting}
                """, ct);
        }

        var json = new StringBuilder(routed.Count * 16).Append('[');
        foreach (var r in routed) json.Append(CultureInfo.InvariantCulture, $"[{r.LeadId},{r.BrokerId}],");
        json[^1] = ']';
        var (rows, ticks) = (json.ToString(), now.UtcTicks);
        return await db.Database.ExecuteSqlInterpolatedAsync($"""
            UPDATE "Leads" NOT INDEXED SET "BrokerId" = r.b, "Status" = {Pending}, "AssignedAt" = {ticks}, "StatusChangedAt" = {ticks}, "UnroutedReason" = NULL
            FROM (SELECT "value" ->> 0 AS l, "value" ->> 1 AS b FROM json_each({rows})) AS r
            WHERE "Leads"."Id" = r.l AND "Leads"."BrokerId" IS NULL AND "Leads"."AgentId" IS NULL AND "Leads"."Status" = {Waiting}
            """, ct);
    }

    /// <summary>Records why the leads stay unrouted, on those still waiting.</summary>
    public static async Task SetReasonAsync(LeadRouterDb db, IReadOnlyList<long> leadIds, string reason, CancellationToken ct)
    {
        if (leadIds.Count == 0) return;
        if (db.Database.IsNpgsql())
        {
            var ids = leadIds.ToArray();
            await db.Database.ExecuteSqlInterpolatedAsync($"""
                UPDATE "Leads" SET "UnroutedReason" = {reason}
                WHERE "Id" = ANY({ids}) AND "BrokerId" IS NULL AND "AgentId" IS NULL AND "Status" = {Waiting}
                """, ct);
            return;
        }

        var json = "[" + string.Join(',', leadIds.Select(id => id.ToString(CultureInfo.InvariantCulture))) + "]";
        await db.Database.ExecuteSqlInterpolatedAsync($"""
            UPDATE "Leads" NOT INDEXED SET "UnroutedReason" = {reason}
            WHERE "Id" IN (SELECT "value" FROM json_each({json})) AND "BrokerId" IS NULL AND "AgentId" IS NULL AND "Status" = {Waiting}
            """, ct);
    }

    /// <summary>
    /// Writes the routing log rows (<see cref="BrokerAssignment"/>) in one INSERT. A lead already in the log violates its
    /// unique index: that surfaces as <see cref="DbUpdateException"/>, so the routing transaction is retried.
    /// </summary>
    public static async Task InsertLogAsync(LeadRouterDb db, IReadOnlyList<(Routed Route, long? SourceId, string Decision)> rows,
        RoutingTrigger trigger, DateTimeOffset now, CancellationToken ct)
    {
        if (rows.Count == 0) return;
        var triggerName = trigger.ToString();
        try
        {
            if (db.Database.IsNpgsql())
            {
                var (leads, brokers) = (rows.Select(r => r.Route.LeadId).ToArray(), rows.Select(r => r.Route.BrokerId).ToArray());
                var (sources, priorities) = (rows.Select(r => r.SourceId).ToArray(), rows.Select(r => r.Route.Priority).ToArray());
                var (countries, decisions) = (rows.Select(r => r.Route.GroupKey.Country).ToArray(), rows.Select(r => r.Decision).ToArray());
                await db.Database.ExecuteSqlInterpolatedAsync($"""
                    INSERT INTO "BrokerAssignments" ("LeadId", "BrokerId", "SourceId", "Priority", "Country", "Trigger", "Decision", "RoutedAt")
                    SELECT r.l, r.b, r.s, r.p, r.c, {triggerName}, r.d, {now}
                    FROM unnest({leads}, {brokers}, {sources}, {priorities}, {countries}, {decisions}) AS r(l, b, s, p, c, d)
                    """, ct);
                return;
            }

            var buffer = new ArrayBufferWriter<byte>(rows.Count * 256);
            using (var w = new Utf8JsonWriter(buffer))
            {
                w.WriteStartArray();
                foreach (var (route, source, decision) in rows)
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
            var (json, ticks) = (Encoding.UTF8.GetString(buffer.WrittenSpan), now.UtcTicks);
            await db.Database.ExecuteSqlInterpolatedAsync($"""
                INSERT INTO "BrokerAssignments" ("LeadId", "BrokerId", "SourceId", "Priority", "Country", "Trigger", "Decision", "RoutedAt")
                SELECT "value" ->> 0, "value" ->> 1, "value" ->> 2, "value" ->> 3, "value" ->> 4, {triggerName}, "value" ->> 5, {ticks}
                FROM json_each({json})
                """, ct);
        }
        catch (DbException e)
        {
            throw new DbUpdateException("Writing the routing log failed.", e);
        }
    }

    /// <summary>Replaces one rotation group's stored state (broker → current weight) in one command.</summary>
    public static async Task SaveGroupAsync(LeadRouterDb db, RoutingGroupKey key, RoutingGroupState state, CancellationToken ct)
    {
        var sql = new StringBuilder("""DELETE FROM "BrokerRotations" WHERE "Priority" = {0} AND "Country" = {1};""");
        var values = new List<object> { key.Priority, key.Country };
        if (state.CurrentWeights.Count > 0)
        {
            sql.Append("""INSERT INTO "BrokerRotations" ("Priority", "Country", "BrokerId", "Current") VALUES """);
            foreach (var (brokerId, current) in state.CurrentWeights)
            {
                sql.Append(CultureInfo.InvariantCulture, $"({{0}}, {{1}}, {{{values.Count}}}, {{{values.Count + 1}}}),");
                values.Add(brokerId);
                values.Add(current);
            }
            sql.Length--;
        }
        await db.Database.ExecuteSqlRawAsync(sql.ToString(), values, ct);
    }
}
