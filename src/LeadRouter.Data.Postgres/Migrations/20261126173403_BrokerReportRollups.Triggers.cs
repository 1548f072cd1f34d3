#nullable enable

using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.EntityFrameworkCore.Migrations;

namespace LeadRouter.Data.Postgres.Migrations
{
    /// <summary>
    /// The triggers that keep the broker report's rollups (<c>BrokerReportDays</c>, <c>BrokerReportRevenue</c>,
    /// <c>BrokerReportResponseTimes</c>) equal to a recount from the routing log, deliveries, push attempts and postbacks,
    /// in the transaction of each write, and the backfill of the rows written before this migration. A delivery, attempt or
    /// postback counts in the cell (UTC routing day, broker, country, priority) of its lead's routing row for the same
    /// broker, and only while that row exists. "Leads with …" counts change when a lead's first such row comes or its last
    /// one goes.
    /// <para>
    /// The triggers are statement triggers over transition tables: a statement that writes many rows (a routing run that
    /// inserts its routing rows in one statement, a bulk load) updates each rollup row once, with <c>INSERT … ON CONFLICT
    /// DO UPDATE</c> of the summed changes, instead of once per row (PostgreSQL keeps every version of a row updated
    /// repeatedly in one transaction, so per-row counters would get slower with every row).
    /// </para>
    /// <para>
    /// Concurrency (READ COMMITTED): every trigger first locks the rows of its leads in id order (<c>FOR NO KEY UPDATE</c>,
    /// the lock the routing UPDATE of a lead also takes), so transactions writing about the same lead apply their changes
    /// one after the other, and each statement after the lock runs on a fresh snapshot that sees the other's committed rows.
    /// That keeps the "first / last row of a lead" flips exact (before = now − this statement's change) and closes the gap
    /// between a routing row and a delivery or postback of its lead written at the same time. Each cell is striped over
    /// 16 rows by lead id (<c>"Slot"</c>): a lock on a rollup row is held until commit, and concurrent pushes and
    /// postbacks of different leads would otherwise all queue on the one row of their broker, country and day. The rows
    /// written before this migration are counted in stripe 0. From migration <c>BrokerReportLockOrder</c> on, each upsert
    /// writes its rollup rows in key order (see <see cref="Keys"/>), so two statements never lock shared rollup rows in
    /// opposite orders.
    /// </para>
    /// </summary>
    public partial class BrokerReportRollups
    {
        const string Totals = "\"Day\", \"BrokerId\", \"Country\", \"Priority\", \"Slot\", \"Routed\", \"DeliveredLeads\", \"Delivered\", \"Rejected\", \"Dead\", " +
            "\"AcceptedLeads\", \"RejectedLeads\", \"DuplicateLeads\", \"ConvertedLeads\", \"Deposits\"";

        const string OnTotals = """
            ON CONFLICT ("Day", "BrokerId", "Country", "Priority", "Slot") DO UPDATE SET
                "Routed" = t."Routed" + EXCLUDED."Routed", "DeliveredLeads" = t."DeliveredLeads" + EXCLUDED."DeliveredLeads",
                "Delivered" = t."Delivered" + EXCLUDED."Delivered", "Rejected" = t."Rejected" + EXCLUDED."Rejected", "Dead" = t."Dead" + EXCLUDED."Dead",
                "AcceptedLeads" = t."AcceptedLeads" + EXCLUDED."AcceptedLeads", "RejectedLeads" = t."RejectedLeads" + EXCLUDED."RejectedLeads",
                "DuplicateLeads" = t."DuplicateLeads" + EXCLUDED."DuplicateLeads", "ConvertedLeads" = t."ConvertedLeads" + EXCLUDED."ConvertedLeads",
                "Deposits" = t."Deposits" + EXCLUDED."Deposits";
            """;

        const string OnRevenue = """
            ON CONFLICT ("Day", "BrokerId", "Country", "Priority", "Currency", "Slot") DO UPDATE SET
                "Deposits" = t."Deposits" + EXCLUDED."Deposits", "AmountMinor" = t."AmountMinor" + EXCLUDED."AmountMinor";
            """;

        const string OnTimes = """
            ON CONFLICT ("Day", "BrokerId", "Country", "Priority", "DurationMs", "Slot") DO UPDATE SET "Attempts" = t."Attempts" + EXCLUDED."Attempts";
            """;

        /// <summary>
        /// The functions only look rows up by indexed keys (a lead and broker, filtering status or event in the aggregate, never
        /// in the WHERE, so no other index looks useful), so they forbid sequential scans: their plans are cached per session,
        /// and one made while a table was nearly empty (a new database, or a bulk load before its first ANALYZE) would
        /// otherwise keep scanning the whole table as it grows.
        /// </summary>
        const string PointLookups = "SET enable_seqscan = off";

        /// <summary>
        /// The rows a statement changed, as <c>(columns…, s)</c> with s = 1 for a row as it is now and -1 for a row as it was:
        /// the transition tables of an INSERT (<c>n</c>), a DELETE (<c>o</c>) or an UPDATE (both, only rows whose
        /// <paramref name="watched"/> columns changed).
        /// </summary>
        static string Changes(string op, string columns, string watched)
        {
            string Select(string table, int s) => $"SELECT {Qualified(table, columns)}, {s} AS s FROM {table}";
            var changed = $"FROM o JOIN n ON n.\"Id\" = o.\"Id\" WHERE ({Qualified("o", watched)}) IS DISTINCT FROM ({Qualified("n", watched)})";
            return op switch
            {
                "insert" => Select("n", 1),
                "delete" => Select("o", -1),
                _ => $"SELECT {Qualified("o", columns)}, -1 AS s {changed} UNION ALL SELECT {Qualified("n", columns)}, 1 AS s {changed}",
            };
        }

        static string Qualified(string table, string columns) =>
            string.Join(", ", System.Linq.Enumerable.Select(columns.Split(','), c => $"{table}.\"{c.Trim()}\""));

        static string Function(string name, string changes, string body, bool replace) => $$"""
            {{(replace ? "CREATE OR REPLACE FUNCTION" : "CREATE FUNCTION")}} {{name}}() RETURNS trigger LANGUAGE plpgsql {{PointLookups}} AS $fn$
            BEGIN
                IF NOT EXISTS ({{changes}}) THEN RETURN NULL; END IF;
                -- The leads' rows, in id order: writes about one lead from other transactions wait here (or we wait for them).
                PERFORM 1 FROM "Leads" WHERE "Id" IN (SELECT c."LeadId" FROM ({{changes}}) c) ORDER BY "Id" FOR NO KEY UPDATE;
            {{body}}
                RETURN NULL;
            END $fn$;
            """;

        const string DayOf = "(a.\"RoutedAt\" AT TIME ZONE 'UTC')::date";

        /// <summary>
        /// The GROUP BY of a rollup upsert over its first <paramref name="keys"/> columns (the rollup row's key). When
        /// <paramref name="ordered"/> (from migration <c>BrokerReportLockOrder</c> on), the rows are also ordered by those
        /// columns, so the upsert writes, and locks, its rollup rows in key order: two transactions that both update some of
        /// the same rollup rows then wait for each other at most, instead of each holding a row the other needs next.
        /// </summary>
        static string Keys(int keys, bool ordered)
        {
            var columns = string.Join(", ", Enumerable.Range(1, keys));
            return ordered ? $"GROUP BY {columns} ORDER BY {columns}" : $"GROUP BY {columns}";
        }

        /// <summary>The stripe of a lead's rows in the rollups (<c>"Slot"</c>): its id mod 16.</summary>
        static string Slot(string alias) => $"({alias}.\"LeadId\" % 16)::smallint";

        /// <summary>Routing rows add (or remove) themselves and everything their (lead, broker) pairs have so far.</summary>
        static string AssignmentBody(string changes, bool ordered) => $"""
                WITH c AS ({changes}),
                r AS (
                    SELECT (c."RoutedAt" AT TIME ZONE 'UTC')::date AS day, c."BrokerId", c."Country", c."Priority", {Slot("c")} AS slot, c.s, x.*, e.*
                    FROM c
                    CROSS JOIN LATERAL (SELECT COUNT(*) FILTER (WHERE x."Status" = 'Delivered') AS delivered,
                            COUNT(*) FILTER (WHERE x."Status" = 'Rejected') AS rejected, COUNT(*) FILTER (WHERE x."Status" = 'Dead') AS dead
                        FROM "Deliveries" x WHERE x."LeadId" = c."LeadId" AND x."BrokerId" = c."BrokerId") x
                    CROSS JOIN LATERAL (SELECT COUNT(*) FILTER (WHERE e."Event" = 'Accepted') AS accepted,
                            COUNT(*) FILTER (WHERE e."Event" = 'Rejected') AS rejected_events, COUNT(*) FILTER (WHERE e."Event" = 'Duplicate') AS duplicates,
                            COUNT(*) FILTER (WHERE e."Event" = 'Converted') AS converted, COUNT(*) FILTER (WHERE e."Event" = 'Deposit') AS deposits
                        FROM "LeadEvents" e WHERE e."LeadId" = c."LeadId" AND e."BrokerId" = c."BrokerId") e)
                INSERT INTO "BrokerReportDays" AS t ({Totals})
                SELECT day, "BrokerId", "Country", "Priority", slot, SUM(s), SUM(s * (delivered > 0)::int), SUM(s * delivered), SUM(s * rejected), SUM(s * dead),
                    SUM(s * (accepted > 0)::int), SUM(s * (rejected_events > 0)::int), SUM(s * (duplicates > 0)::int), SUM(s * (converted > 0)::int),
                    SUM(s * deposits)
                FROM r {Keys(5, ordered)}
                {OnTotals}
                WITH c AS ({changes})
                INSERT INTO "BrokerReportRevenue" AS t ("Day", "BrokerId", "Country", "Priority", "Slot", "Currency", "Deposits", "AmountMinor")
                SELECT (c."RoutedAt" AT TIME ZONE 'UTC')::date, c."BrokerId", c."Country", c."Priority", {Slot("c")}, e."Currency", SUM(c.s), SUM(c.s * e."AmountMinor")
                FROM c JOIN "LeadEvents" e ON e."LeadId" = c."LeadId" AND e."BrokerId" = c."BrokerId"
                WHERE e."Event" = 'Deposit' AND e."AmountMinor" IS NOT NULL AND e."Currency" IS NOT NULL
                {Keys(6, ordered)}
                {OnRevenue}
                WITH c AS ({changes})
                INSERT INTO "BrokerReportResponseTimes" AS t ("Day", "BrokerId", "Country", "Priority", "Slot", "DurationMs", "Attempts")
                SELECT (c."RoutedAt" AT TIME ZONE 'UTC')::date, c."BrokerId", c."Country", c."Priority", {Slot("c")}, l."DurationMs", SUM(c.s)
                FROM c JOIN "LeadPushLogs" l ON l."LeadId" = c."LeadId" AND l."BrokerId" = c."BrokerId"
                WHERE NOT l."Test"
                {Keys(6, ordered)}
                {OnTimes}
            """;

        /// <summary>
        /// Finished deliveries add or remove their status. A pair's "delivered" lead flips when its count of delivered pushes
        /// goes from 0 or to 0: after = the count now, before = after - this statement's change.
        /// </summary>
        static string DeliveryBody(string changes, bool ordered) => $"""
                WITH c AS ({changes}),
                p AS (
                    SELECT c."LeadId", c."BrokerId", COALESCE(SUM(c.s) FILTER (WHERE c."Status" = 'Delivered'), 0) AS delivered,
                        COALESCE(SUM(c.s) FILTER (WHERE c."Status" = 'Rejected'), 0) AS rejected, COALESCE(SUM(c.s) FILTER (WHERE c."Status" = 'Dead'), 0) AS dead
                    FROM c WHERE c."Status" <> 'Pending' GROUP BY 1, 2),
                f AS (
                    SELECT {DayOf} AS day, a."BrokerId", a."Country", a."Priority", {Slot("p")} AS slot, p.delivered, p.rejected, p.dead, x.now_delivered
                    FROM p JOIN "BrokerAssignments" a ON a."LeadId" = p."LeadId" AND a."BrokerId" = p."BrokerId"
                    CROSS JOIN LATERAL (SELECT COUNT(*) FILTER (WHERE x."Status" = 'Delivered') AS now_delivered
                        FROM "Deliveries" x WHERE x."LeadId" = p."LeadId" AND x."BrokerId" = p."BrokerId") x)
                INSERT INTO "BrokerReportDays" AS t ({Totals})
                SELECT day, "BrokerId", "Country", "Priority", slot, 0, SUM((now_delivered > 0)::int - (now_delivered - delivered > 0)::int), SUM(delivered), SUM(rejected), SUM(dead),
                    0, 0, 0, 0, 0
                FROM f {Keys(5, ordered)}
                {OnTotals}
            """;

        /// <summary>Postbacks add or remove themselves: lead flags (first / last of a kind, as for deliveries), deposits and revenue.</summary>
        static string EventBody(string changes, bool ordered)
        {
            string Delta(string ev) => $"COALESCE(SUM(c.s) FILTER (WHERE c.\"Event\" = '{ev}'), 0)";
            string Now(string ev) => $"COUNT(*) FILTER (WHERE e.\"Event\" = '{ev}')";
            string Flag(string delta, string now) => $"SUM(({now} > 0)::int - ({now} - {delta} > 0)::int)";
            return $"""
                    WITH c AS ({changes}),
                    p AS (
                        SELECT c."LeadId", c."BrokerId", {Delta("Accepted")} AS accepted, {Delta("Rejected")} AS rejected,
                            {Delta("Duplicate")} AS duplicates, {Delta("Converted")} AS converted, {Delta("Deposit")} AS deposits
                        FROM c GROUP BY 1, 2),
                    f AS (
                        SELECT {DayOf} AS day, a."BrokerId", a."Country", a."Priority", {Slot("p")} AS slot, p.accepted, p.rejected, p.duplicates, p.converted, p.deposits,
                            e.now_accepted, e.now_rejected, e.now_duplicates, e.now_converted
                        FROM p JOIN "BrokerAssignments" a ON a."LeadId" = p."LeadId" AND a."BrokerId" = p."BrokerId"
                        CROSS JOIN LATERAL (SELECT {Now("Accepted")} AS now_accepted, {Now("Rejected")} AS now_rejected,
                                {Now("Duplicate")} AS now_duplicates, {Now("Converted")} AS now_converted
                            FROM "LeadEvents" e WHERE e."LeadId" = p."LeadId" AND e."BrokerId" = p."BrokerId") e)
                    INSERT INTO "BrokerReportDays" AS t ({Totals})
                    SELECT day, "BrokerId", "Country", "Priority", slot, 0, 0, 0, 0, 0,
                        {Flag("accepted", "now_accepted")}, {Flag("rejected", "now_rejected")}, {Flag("duplicates", "now_duplicates")},
                        {Flag("converted", "now_converted")}, SUM(deposits)
                    FROM f {Keys(5, ordered)}
                    {OnTotals}
                    WITH c AS ({changes})
                    INSERT INTO "BrokerReportRevenue" AS t ("Day", "BrokerId", "Country", "Priority", "Slot", "Currency", "Deposits", "AmountMinor")
                    SELECT {DayOf}, a."BrokerId", a."Country", a."Priority", {Slot("c")}, c."Currency", SUM(c.s), SUM(c.s * c."AmountMinor")
                    FROM c JOIN "BrokerAssignments" a ON a."LeadId" = c."LeadId" AND a."BrokerId" = c."BrokerId"
                    WHERE c."Event" = 'Deposit' AND c."AmountMinor" IS NOT NULL AND c."Currency" IS NOT NULL
                    {Keys(6, ordered)}
                    {OnRevenue}
                """;
        }

        /// <summary>Push attempts (not test pushes) add or remove one count each at their duration.</summary>
        static string AttemptBody(string changes, bool ordered) => $"""
                WITH c AS ({changes})
                INSERT INTO "BrokerReportResponseTimes" AS t ("Day", "BrokerId", "Country", "Priority", "Slot", "DurationMs", "Attempts")
                SELECT {DayOf}, a."BrokerId", a."Country", a."Priority", {Slot("c")}, c."DurationMs", SUM(c.s)
                FROM c JOIN "BrokerAssignments" a ON a."LeadId" = c."LeadId" AND a."BrokerId" = c."BrokerId"
                WHERE NOT c."Test"
                {Keys(6, ordered)}
                {OnTimes}
            """;

        /// <summary>
        /// Per table: the function and statement trigger of each operation, over that statement's transition tables. The
        /// functions' upserts run in key order when <paramref name="ordered"/>; <paramref name="replace"/> makes them
        /// <c>CREATE OR REPLACE</c>.
        /// </summary>
        static IEnumerable<(string Function, string Trigger)> TableTriggers(
            string table, string columns, string watched, string? relevant, Func<string, bool, string> body, bool ordered, bool replace)
        {
            foreach (var op in new[] { "insert", "delete", "update" })
            {
                var changes = Changes(op, columns, watched);
                if (relevant is not null) changes = $"SELECT * FROM ({changes}) r WHERE {relevant}";
                var function = $"lr_report_{table.ToLowerInvariant()}_{op}";
                var referencing = op switch { "insert" => "NEW TABLE AS n", "delete" => "OLD TABLE AS o", _ => "OLD TABLE AS o NEW TABLE AS n" };
                yield return (Function(function, changes, body(changes, ordered), replace), $"""
                    CREATE TRIGGER "{table}_report_{op}" AFTER {op.ToUpperInvariant()} ON "{table}"
                        REFERENCING {referencing} FOR EACH STATEMENT EXECUTE FUNCTION {function}();
                    """);
            }
        }

        static void CreateReportTriggers(MigrationBuilder b)
        {
            // No writer may change these tables between the backfill and the triggers.
            b.Sql("""LOCK TABLE "BrokerAssignments", "Deliveries", "LeadEvents", "LeadPushLogs" IN SHARE ROW EXCLUSIVE MODE;""");
            b.Sql($"""
                INSERT INTO "BrokerReportDays" ({Totals})
                SELECT (a."RoutedAt" AT TIME ZONE 'UTC')::date, a."BrokerId", a."Country", a."Priority", 0, COUNT(*),
                    COUNT(*) FILTER (WHERE EXISTS (SELECT 1 FROM "Deliveries" x WHERE x."LeadId" = a."LeadId" AND x."BrokerId" = a."BrokerId" AND x."Status" = 'Delivered')),
                    COALESCE(SUM((SELECT COUNT(*) FROM "Deliveries" x WHERE x."LeadId" = a."LeadId" AND x."BrokerId" = a."BrokerId" AND x."Status" = 'Delivered')), 0),
                    COALESCE(SUM((SELECT COUNT(*) FROM "Deliveries" x WHERE x."LeadId" = a."LeadId" AND x."BrokerId" = a."BrokerId" AND x."Status" = 'Rejected')), 0),
                    COALESCE(SUM((SELECT COUNT(*) FROM "Deliveries" x WHERE x."LeadId" = a."LeadId" AND x."BrokerId" = a."BrokerId" AND x."Status" = 'Dead')), 0),
                    COUNT(*) FILTER (WHERE EXISTS (SELECT 1 FROM "LeadEvents" e WHERE e."LeadId" = a."LeadId" AND e."BrokerId" = a."BrokerId" AND e."Event" = 'Accepted')),
                    COUNT(*) FILTER (WHERE EXISTS (SELECT 1 FROM "LeadEvents" e WHERE e."LeadId" = a."LeadId" AND e."BrokerId" = a."BrokerId" AND e."Event" = 'Rejected')),
                    COUNT(*) FILTER (WHERE EXISTS (SELECT 1 FROM "LeadEvents" e WHERE e."LeadId" = a."LeadId" AND e."BrokerId" = a."BrokerId" AND e."Event" = 'Duplicate')),
                    COUNT(*) FILTER (WHERE EXISTS (SELECT 1 FROM "LeadEvents" e WHERE e."LeadId" = a."LeadId" AND e."BrokerId" = a."BrokerId" AND e."Event" = 'Converted')),
                    COALESCE(SUM((SELECT COUNT(*) FROM "LeadEvents" e WHERE e."LeadId" = a."LeadId" AND e."BrokerId" = a."BrokerId" AND e."Event" = 'Deposit')), 0)
                FROM "BrokerAssignments" a
                GROUP BY 1, 2, 3, 4;
                """);
            b.Sql("""
                INSERT INTO "BrokerReportRevenue" ("Day", "BrokerId", "Country", "Priority", "Slot", "Currency", "Deposits", "AmountMinor")
                SELECT (a."RoutedAt" AT TIME ZONE 'UTC')::date, a."BrokerId", a."Country", a."Priority", 0, e."Currency", COUNT(*), SUM(e."AmountMinor")
                FROM "LeadEvents" e JOIN "BrokerAssignments" a ON a."LeadId" = e."LeadId" AND a."BrokerId" = e."BrokerId"
                WHERE e."Event" = 'Deposit' AND e."AmountMinor" IS NOT NULL AND e."Currency" IS NOT NULL
                GROUP BY 1, 2, 3, 4, 5, 6;
                """);
            b.Sql("""
                INSERT INTO "BrokerReportResponseTimes" ("Day", "BrokerId", "Country", "Priority", "Slot", "DurationMs", "Attempts")
                SELECT (a."RoutedAt" AT TIME ZONE 'UTC')::date, a."BrokerId", a."Country", a."Priority", 0, l."DurationMs", COUNT(*)
                FROM "LeadPushLogs" l JOIN "BrokerAssignments" a ON a."LeadId" = l."LeadId" AND a."BrokerId" = l."BrokerId"
                WHERE NOT l."Test"
                GROUP BY 1, 2, 3, 4, 5, 6;
                """);

            foreach (var (function, trigger) in ReportTriggers(ordered: false, replace: false))
            {
                b.Sql(function);
                b.Sql(trigger);
            }
        }

        /// <summary>The functions and statement triggers of the four tables the rollups count.</summary>
        static IEnumerable<(string Function, string Trigger)> ReportTriggers(bool ordered, bool replace) =>
            TableTriggers("BrokerAssignments", "LeadId, BrokerId, Country, Priority, RoutedAt",
                    "LeadId, BrokerId, Country, Priority, RoutedAt", null, AssignmentBody, ordered, replace)
                .Concat(TableTriggers("Deliveries", "Id, LeadId, BrokerId, Status", "LeadId, BrokerId, Status", "r.\"Status\" <> 'Pending'",
                    DeliveryBody, ordered, replace))
                .Concat(TableTriggers("LeadEvents", "Id, LeadId, BrokerId, Event, AmountMinor, Currency",
                    "LeadId, BrokerId, Event, AmountMinor, Currency",
                    "r.\"Event\" IN ('Accepted', 'Rejected', 'Duplicate', 'Converted', 'Deposit')", EventBody, ordered, replace))
                .Concat(TableTriggers("LeadPushLogs", "LeadId, BrokerId, Test, DurationMs", "LeadId, BrokerId, Test, DurationMs",
                    "NOT r.\"Test\" AND r.\"LeadId\" IS NOT NULL", AttemptBody, ordered, replace));

        /// <summary>
        /// <c>CREATE OR REPLACE</c> of every report trigger function, with its upserts in key order or (to go back) as this
        /// migration made them. The triggers stay as they are: they call the functions by name.
        /// </summary>
        internal static IEnumerable<string> ReplaceReportFunctions(bool ordered) =>
            ReportTriggers(ordered, replace: true).Select(t => t.Function);

        static void DropReportTriggers(MigrationBuilder b)
        {
            foreach (var table in new[] { "BrokerAssignments", "Deliveries", "LeadEvents", "LeadPushLogs" })
                foreach (var op in new[] { "insert", "delete", "update" })
                    b.Sql($"DROP TRIGGER IF EXISTS \"{table}_report_{op}\" ON \"{table}\";");
            foreach (var table in new[] { "BrokerAssignments", "Deliveries", "LeadEvents", "LeadPushLogs" })
                foreach (var op in new[] { "insert", "delete", "update" })
                    b.Sql($"DROP FUNCTION IF EXISTS lr_report_{table.ToLowerInvariant()}_{op}();");
        }
    }
}
