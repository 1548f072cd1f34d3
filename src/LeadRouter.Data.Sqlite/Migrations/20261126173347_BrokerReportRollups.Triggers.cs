#nullable enable

using System;
using System.Linq;
using Microsoft.EntityFrameworkCore.Migrations;

namespace LeadRouter.Data.Sqlite.Migrations
{
    /// <summary>
    /// The triggers that keep the broker report's rollups (<c>BrokerReportDays</c>, <c>BrokerReportRevenue</c>,
    /// <c>BrokerReportResponseTimes</c>) equal to a recount from the routing log, deliveries, push attempts and postbacks,
    /// in the transaction of each write, and the backfill of the rows written before this migration. A delivery, attempt or
    /// postback counts in the cell (UTC routing day, broker, country, priority) of its lead's routing row for the same
    /// broker, and only while that row exists. "Leads with …" counts change when a lead's first such row comes or its last
    /// one goes. SQLite runs one writer at a time, so each trigger sees every committed row, and every cell has one
    /// stripe (<c>"Slot"</c> 0). A status is compared as
    /// <c>+d."Status"</c> so the planner looks a lead's deliveries up by its lead, never through the (status, due time) index.
    /// </summary>
    public partial class BrokerReportRollups
    {
        /// <summary>The UTC day of a ticks column as SQLite's <c>yyyy-MM-dd</c> text (how EF stores <see cref="System.DateOnly"/>).</summary>
        static string Day(string alias) => $"date({alias}.\"RoutedAt\" / 864000000000 * 86400 - 62135596800, 'unixepoch')";

        static string Pair(string alias, string row) => $"{alias}.\"LeadId\" = {row}.\"LeadId\" AND {alias}.\"BrokerId\" = {row}.\"BrokerId\"";

        const string Totals = "\"Day\", \"BrokerId\", \"Country\", \"Priority\", \"Slot\", \"Routed\", \"DeliveredLeads\", \"Delivered\", \"Rejected\", \"Dead\", " +
            "\"AcceptedLeads\", \"RejectedLeads\", \"DuplicateLeads\", \"ConvertedLeads\", \"Deposits\"";

        const string OnTotals = """
            ON CONFLICT ("Day", "BrokerId", "Country", "Priority", "Slot") DO UPDATE SET
                "Routed" = "Routed" + excluded."Routed", "DeliveredLeads" = "DeliveredLeads" + excluded."DeliveredLeads",
                "Delivered" = "Delivered" + excluded."Delivered", "Rejected" = "Rejected" + excluded."Rejected", "Dead" = "Dead" + excluded."Dead",
                "AcceptedLeads" = "AcceptedLeads" + excluded."AcceptedLeads", "RejectedLeads" = "RejectedLeads" + excluded."RejectedLeads",
                "DuplicateLeads" = "DuplicateLeads" + excluded."DuplicateLeads", "ConvertedLeads" = "ConvertedLeads" + excluded."ConvertedLeads",
                "Deposits" = "Deposits" + excluded."Deposits";
            """;

        const string OnRevenue = """
            ON CONFLICT ("Day", "BrokerId", "Country", "Priority", "Currency", "Slot") DO UPDATE SET
                "Deposits" = "Deposits" + excluded."Deposits", "AmountMinor" = "AmountMinor" + excluded."AmountMinor";
            """;

        const string OnTimes = """
            ON CONFLICT ("Day", "BrokerId", "Country", "Priority", "DurationMs", "Slot") DO UPDATE SET "Attempts" = "Attempts" + excluded."Attempts";
            """;

        /// <summary>A routing row (<paramref name="a"/> = NEW or OLD) adds or removes (<paramref name="s"/> = 1 or -1) itself and everything its pair has.</summary>
        static string Assignment(string a, int s) => $"""
            INSERT INTO "BrokerReportDays" ({Totals})
            SELECT {Day(a)}, {a}."BrokerId", {a}."Country", {a}."Priority", 0, {s},
                {s} * EXISTS (SELECT 1 FROM "Deliveries" d WHERE {Pair("d", a)} AND +d."Status" = 'Delivered'),
                {s} * (SELECT COUNT(*) FROM "Deliveries" d WHERE {Pair("d", a)} AND +d."Status" = 'Delivered'),
                {s} * (SELECT COUNT(*) FROM "Deliveries" d WHERE {Pair("d", a)} AND +d."Status" = 'Rejected'),
                {s} * (SELECT COUNT(*) FROM "Deliveries" d WHERE {Pair("d", a)} AND +d."Status" = 'Dead'),
                {s} * EXISTS (SELECT 1 FROM "LeadEvents" e WHERE {Pair("e", a)} AND e."Event" = 'Accepted'),
                {s} * EXISTS (SELECT 1 FROM "LeadEvents" e WHERE {Pair("e", a)} AND e."Event" = 'Rejected'),
                {s} * EXISTS (SELECT 1 FROM "LeadEvents" e WHERE {Pair("e", a)} AND e."Event" = 'Duplicate'),
                {s} * EXISTS (SELECT 1 FROM "LeadEvents" e WHERE {Pair("e", a)} AND e."Event" = 'Converted'),
                {s} * (SELECT COUNT(*) FROM "LeadEvents" e WHERE {Pair("e", a)} AND e."Event" = 'Deposit')
            WHERE true
            {OnTotals}
            INSERT INTO "BrokerReportRevenue" ("Day", "BrokerId", "Country", "Priority", "Slot", "Currency", "Deposits", "AmountMinor")
            SELECT {Day(a)}, {a}."BrokerId", {a}."Country", {a}."Priority", 0, e."Currency", {s} * COUNT(*), {s} * SUM(e."AmountMinor")
            FROM "LeadEvents" e
            WHERE {Pair("e", a)} AND e."Event" = 'Deposit' AND e."AmountMinor" IS NOT NULL AND e."Currency" IS NOT NULL
            GROUP BY e."Currency"
            {OnRevenue}
            INSERT INTO "BrokerReportResponseTimes" ("Day", "BrokerId", "Country", "Priority", "Slot", "DurationMs", "Attempts")
            SELECT {Day(a)}, {a}."BrokerId", {a}."Country", {a}."Priority", 0, l."DurationMs", {s} * COUNT(*)
            FROM "LeadPushLogs" l
            WHERE {Pair("l", a)} AND NOT l."Test"
            GROUP BY l."DurationMs"
            {OnTimes}
            """;

        /// <summary>A finished delivery adds or removes its status; the pair's "delivered" lead flips with its first or last delivered push.</summary>
        static string Delivery(string r, int s) => $"""
            INSERT INTO "BrokerReportDays" ({Totals})
            SELECT {Day("a")}, a."BrokerId", a."Country", a."Priority", 0, 0,
                {s} * ({r}."Status" = 'Delivered' AND NOT EXISTS (
                    SELECT 1 FROM "Deliveries" d WHERE {Pair("d", r)} AND +d."Status" = 'Delivered' AND d."Id" <> {r}."Id")),
                {s} * ({r}."Status" = 'Delivered'), {s} * ({r}."Status" = 'Rejected'), {s} * ({r}."Status" = 'Dead'),
                0, 0, 0, 0, 0
            FROM "BrokerAssignments" a
            WHERE {Pair("a", r)} AND {r}."Status" <> 'Pending'
            {OnTotals}
            """;

        /// <summary>A postback adds or removes itself: lead flags for accepted / rejected / duplicate / converted, deposits and revenue.</summary>
        static string Event(string r, int s)
        {
            string First(string ev) =>
                $"{s} * ({r}.\"Event\" = '{ev}' AND NOT EXISTS (SELECT 1 FROM \"LeadEvents\" e WHERE {Pair("e", r)} AND e.\"Event\" = '{ev}' AND e.\"Id\" <> {r}.\"Id\"))";
            return $"""
                INSERT INTO "BrokerReportDays" ({Totals})
                SELECT {Day("a")}, a."BrokerId", a."Country", a."Priority", 0, 0, 0, 0, 0, 0,
                    {First("Accepted")}, {First("Rejected")}, {First("Duplicate")}, {First("Converted")}, {s} * ({r}."Event" = 'Deposit')
                FROM "BrokerAssignments" a
                WHERE {Pair("a", r)} AND {r}."Event" IN ('Accepted', 'Rejected', 'Duplicate', 'Converted', 'Deposit')
                {OnTotals}
                INSERT INTO "BrokerReportRevenue" ("Day", "BrokerId", "Country", "Priority", "Slot", "Currency", "Deposits", "AmountMinor")
                SELECT {Day("a")}, a."BrokerId", a."Country", a."Priority", 0, {r}."Currency", {s}, {s} * {r}."AmountMinor"
                FROM "BrokerAssignments" a
                WHERE {Pair("a", r)} AND {r}."Event" = 'Deposit' AND {r}."AmountMinor" IS NOT NULL AND {r}."Currency" IS NOT NULL
                {OnRevenue}
                """;
        }

        /// <summary>A push attempt (not a test push) adds or removes one count at its duration.</summary>
        static string Attempt(string r, int s) => $"""
            INSERT INTO "BrokerReportResponseTimes" ("Day", "BrokerId", "Country", "Priority", "Slot", "DurationMs", "Attempts")
            SELECT {Day("a")}, a."BrokerId", a."Country", a."Priority", 0, {r}."DurationMs", {s}
            FROM "BrokerAssignments" a
            WHERE {Pair("a", r)} AND NOT {r}."Test"
            {OnTimes}
            """;

        static string Trigger(string name, string timing, string table, string? when, string body) => $"""
            CREATE TRIGGER "{name}" {timing} ON "{table}"{(when is null ? "" : " WHEN " + when)}
            BEGIN
            {body}
            END;
            """;

        static string Changed(params string[] columns) => string.Join(" OR ", columns.Select(c => $"OLD.\"{c}\" IS NOT NEW.\"{c}\""));

        static string Both(Func<string, int, string> apply) => apply("OLD", -1) + "\n" + apply("NEW", 1);

        static void CreateReportTriggers(MigrationBuilder b)
        {
            // Rows written before this migration (one writer at a time: nothing changes between this and the triggers).
            b.Sql($"""
                INSERT INTO "BrokerReportDays" ({Totals})
                SELECT {Day("a")}, a."BrokerId", a."Country", a."Priority", 0, COUNT(*),
                    SUM(EXISTS (SELECT 1 FROM "Deliveries" d WHERE {Pair("d", "a")} AND +d."Status" = 'Delivered')),
                    SUM((SELECT COUNT(*) FROM "Deliveries" d WHERE {Pair("d", "a")} AND +d."Status" = 'Delivered')),
                    SUM((SELECT COUNT(*) FROM "Deliveries" d WHERE {Pair("d", "a")} AND +d."Status" = 'Rejected')),
                    SUM((SELECT COUNT(*) FROM "Deliveries" d WHERE {Pair("d", "a")} AND +d."Status" = 'Dead')),
                    SUM(EXISTS (SELECT 1 FROM "LeadEvents" e WHERE {Pair("e", "a")} AND e."Event" = 'Accepted')),
                    SUM(EXISTS (SELECT 1 FROM "LeadEvents" e WHERE {Pair("e", "a")} AND e."Event" = 'Rejected')),
                    SUM(EXISTS (SELECT 1 FROM "LeadEvents" e WHERE {Pair("e", "a")} AND e."Event" = 'Duplicate')),
                    SUM(EXISTS (SELECT 1 FROM "LeadEvents" e WHERE {Pair("e", "a")} AND e."Event" = 'Converted')),
                    SUM((SELECT COUNT(*) FROM "LeadEvents" e WHERE {Pair("e", "a")} AND e."Event" = 'Deposit'))
                FROM "BrokerAssignments" a
                GROUP BY 1, 2, 3, 4;
                """);
            b.Sql($"""
                INSERT INTO "BrokerReportRevenue" ("Day", "BrokerId", "Country", "Priority", "Slot", "Currency", "Deposits", "AmountMinor")
                SELECT {Day("a")}, a."BrokerId", a."Country", a."Priority", 0, e."Currency", COUNT(*), SUM(e."AmountMinor")
                FROM "LeadEvents" e JOIN "BrokerAssignments" a ON {Pair("a", "e")}
                WHERE e."Event" = 'Deposit' AND e."AmountMinor" IS NOT NULL AND e."Currency" IS NOT NULL
                GROUP BY 1, 2, 3, 4, 5, 6;
                """);
            b.Sql($"""
                INSERT INTO "BrokerReportResponseTimes" ("Day", "BrokerId", "Country", "Priority", "Slot", "DurationMs", "Attempts")
                SELECT {Day("a")}, a."BrokerId", a."Country", a."Priority", 0, l."DurationMs", COUNT(*)
                FROM "LeadPushLogs" l JOIN "BrokerAssignments" a ON {Pair("a", "l")}
                WHERE NOT l."Test"
                GROUP BY 1, 2, 3, 4, 5, 6;
                """);

            const string Assignments = "BrokerAssignments";
            b.Sql(Trigger($"{Assignments}_report_insert", "AFTER INSERT", Assignments, null, Assignment("NEW", 1)));
            b.Sql(Trigger($"{Assignments}_report_delete", "AFTER DELETE", Assignments, null, Assignment("OLD", -1)));
            b.Sql(Trigger($"{Assignments}_report_update", "AFTER UPDATE", Assignments,
                Changed("LeadId", "BrokerId", "Country", "Priority", "RoutedAt"), Both(Assignment)));

            const string Deliveries = "Deliveries";
            b.Sql(Trigger($"{Deliveries}_report_insert", "AFTER INSERT", Deliveries, "NEW.\"Status\" <> 'Pending'", Delivery("NEW", 1)));
            b.Sql(Trigger($"{Deliveries}_report_delete", "AFTER DELETE", Deliveries, "OLD.\"Status\" <> 'Pending'", Delivery("OLD", -1)));
            b.Sql(Trigger($"{Deliveries}_report_update", "AFTER UPDATE", Deliveries, Changed("Status", "LeadId", "BrokerId"), Both(Delivery)));

            const string Events = "LeadEvents";
            b.Sql(Trigger($"{Events}_report_insert", "AFTER INSERT", Events, null, Event("NEW", 1)));
            b.Sql(Trigger($"{Events}_report_delete", "AFTER DELETE", Events, null, Event("OLD", -1)));
            b.Sql(Trigger($"{Events}_report_update", "AFTER UPDATE", Events,
                Changed("Event", "LeadId", "BrokerId", "AmountMinor", "Currency"), Both(Event)));

            const string Attempts = "LeadPushLogs";
            b.Sql(Trigger($"{Attempts}_report_insert", "AFTER INSERT", Attempts, "NOT NEW.\"Test\"", Attempt("NEW", 1)));
            b.Sql(Trigger($"{Attempts}_report_delete", "AFTER DELETE", Attempts, "NOT OLD.\"Test\"", Attempt("OLD", -1)));
            b.Sql(Trigger($"{Attempts}_report_update", "AFTER UPDATE", Attempts, Changed("LeadId", "BrokerId", "Test", "DurationMs"), Both(Attempt)));
        }

        static void DropReportTriggers(MigrationBuilder b)
        {
            foreach (var table in new[] { "BrokerAssignments", "Deliveries", "LeadEvents", "LeadPushLogs" })
                foreach (var op in new[] { "insert", "delete", "update" })
                    b.Sql($"DROP TRIGGER IF EXISTS \"{table}_report_{op}\";");
        }
    }
}
