#nullable enable

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
    /// Concurrency (READ COMMITTED): every trigger first locks its lead's row (<c>FOR NO KEY UPDATE</c>, the lock the
    /// routing UPDATE of the lead also takes), so two transactions writing about the same lead apply their changes one
    /// after the other, and each statement after the lock runs on a fresh snapshot that sees the other's committed rows.
    /// That keeps the "first / last row of a lead" checks exact and closes the gap between a routing row and a delivery or
    /// postback of its lead written at the same time. The counters are updated with <c>INSERT … ON CONFLICT DO UPDATE</c>.
    /// </para>
    /// </summary>
    public partial class BrokerReportRollups
    {
        const string Totals = "\"Day\", \"BrokerId\", \"Country\", \"Priority\", \"Routed\", \"DeliveredLeads\", \"Delivered\", \"Rejected\", \"Dead\", " +
            "\"AcceptedLeads\", \"RejectedLeads\", \"DuplicateLeads\", \"ConvertedLeads\", \"Deposits\"";

        const string OnTotals = """
            ON CONFLICT ("Day", "BrokerId", "Country", "Priority") DO UPDATE SET
                "Routed" = t."Routed" + EXCLUDED."Routed", "DeliveredLeads" = t."DeliveredLeads" + EXCLUDED."DeliveredLeads",
                "Delivered" = t."Delivered" + EXCLUDED."Delivered", "Rejected" = t."Rejected" + EXCLUDED."Rejected", "Dead" = t."Dead" + EXCLUDED."Dead",
                "AcceptedLeads" = t."AcceptedLeads" + EXCLUDED."AcceptedLeads", "RejectedLeads" = t."RejectedLeads" + EXCLUDED."RejectedLeads",
                "DuplicateLeads" = t."DuplicateLeads" + EXCLUDED."DuplicateLeads", "ConvertedLeads" = t."ConvertedLeads" + EXCLUDED."ConvertedLeads",
                "Deposits" = t."Deposits" + EXCLUDED."Deposits";
            """;

        const string OnRevenue = """
            ON CONFLICT ("Day", "BrokerId", "Country", "Priority", "Currency") DO UPDATE SET
                "Deposits" = t."Deposits" + EXCLUDED."Deposits", "AmountMinor" = t."AmountMinor" + EXCLUDED."AmountMinor";
            """;

        const string OnTimes = """
            ON CONFLICT ("Day", "BrokerId", "Country", "Priority", "DurationMs") DO UPDATE SET "Attempts" = t."Attempts" + EXCLUDED."Attempts";
            """;

        /// <summary>
        /// The functions only look rows up by indexed keys, so they forbid sequential scans: their plans are cached per
        /// session, and one made while a table was nearly empty (a new database, or a bulk load before its first ANALYZE)
        /// would otherwise keep scanning the whole table as it grows.
        /// </summary>
        const string PointLookups = "SET enable_seqscan = off";

        const string Functions = $$"""
            -- A routing row adds (s = 1) or removes (s = -1) itself and everything its (lead, broker) pair has so far.
            CREATE FUNCTION lr_report_assignment(p_lead bigint, p_broker bigint, p_country text, p_priority integer, p_routed_at timestamptz, s integer)
            RETURNS void LANGUAGE plpgsql {{PointLookups}} AS $fn$
            DECLARE
                d date := (p_routed_at AT TIME ZONE 'UTC')::date;
            BEGIN
                PERFORM 1 FROM "Leads" WHERE "Id" = p_lead FOR NO KEY UPDATE;
                -- A lead routed now has nothing yet: count the routing row alone.
                IF NOT EXISTS (SELECT 1 FROM "Deliveries" x WHERE x."LeadId" = p_lead AND x."BrokerId" = p_broker)
                    AND NOT EXISTS (SELECT 1 FROM "LeadEvents" e WHERE e."LeadId" = p_lead AND e."BrokerId" = p_broker)
                    AND NOT EXISTS (SELECT 1 FROM "LeadPushLogs" l WHERE l."LeadId" = p_lead AND l."BrokerId" = p_broker) THEN
                    INSERT INTO "BrokerReportDays" AS t ({{Totals}})
                    VALUES (d, p_broker, p_country, p_priority, s, 0, 0, 0, 0, 0, 0, 0, 0, 0)
                    ON CONFLICT ("Day", "BrokerId", "Country", "Priority") DO UPDATE SET "Routed" = t."Routed" + EXCLUDED."Routed";
                    RETURN;
                END IF;
                INSERT INTO "BrokerReportDays" AS t ({{Totals}})
                SELECT d, p_broker, p_country, p_priority, s,
                    s * (EXISTS (SELECT 1 FROM "Deliveries" x WHERE x."LeadId" = p_lead AND x."BrokerId" = p_broker AND x."Status" = 'Delivered'))::int,
                    s * (SELECT COUNT(*) FROM "Deliveries" x WHERE x."LeadId" = p_lead AND x."BrokerId" = p_broker AND x."Status" = 'Delivered'),
                    s * (SELECT COUNT(*) FROM "Deliveries" x WHERE x."LeadId" = p_lead AND x."BrokerId" = p_broker AND x."Status" = 'Rejected'),
                    s * (SELECT COUNT(*) FROM "Deliveries" x WHERE x."LeadId" = p_lead AND x."BrokerId" = p_broker AND x."Status" = 'Dead'),
                    s * (EXISTS (SELECT 1 FROM "LeadEvents" e WHERE e."LeadId" = p_lead AND e."BrokerId" = p_broker AND e."Event" = 'Accepted'))::int,
                    s * (EXISTS (SELECT 1 FROM "LeadEvents" e WHERE e."LeadId" = p_lead AND e."BrokerId" = p_broker AND e."Event" = 'Rejected'))::int,
                    s * (EXISTS (SELECT 1 FROM "LeadEvents" e WHERE e."LeadId" = p_lead AND e."BrokerId" = p_broker AND e."Event" = 'Duplicate'))::int,
                    s * (EXISTS (SELECT 1 FROM "LeadEvents" e WHERE e."LeadId" = p_lead AND e."BrokerId" = p_broker AND e."Event" = 'Converted'))::int,
                    s * (SELECT COUNT(*) FROM "LeadEvents" e WHERE e."LeadId" = p_lead AND e."BrokerId" = p_broker AND e."Event" = 'Deposit')
                {{OnTotals}}
                INSERT INTO "BrokerReportRevenue" AS t ("Day", "BrokerId", "Country", "Priority", "Currency", "Deposits", "AmountMinor")
                SELECT d, p_broker, p_country, p_priority, e."Currency", s * COUNT(*), s * SUM(e."AmountMinor")
                FROM "LeadEvents" e
                WHERE e."LeadId" = p_lead AND e."BrokerId" = p_broker AND e."Event" = 'Deposit' AND e."AmountMinor" IS NOT NULL AND e."Currency" IS NOT NULL
                GROUP BY e."Currency"
                {{OnRevenue}}
                INSERT INTO "BrokerReportResponseTimes" AS t ("Day", "BrokerId", "Country", "Priority", "DurationMs", "Attempts")
                SELECT d, p_broker, p_country, p_priority, l."DurationMs", s * COUNT(*)
                FROM "LeadPushLogs" l
                WHERE l."LeadId" = p_lead AND l."BrokerId" = p_broker AND NOT l."Test"
                GROUP BY l."DurationMs"
                {{OnTimes}}
            END $fn$;

            -- A finished delivery adds or removes its status; the pair's delivered lead flips with its first or last delivered push.
            CREATE FUNCTION lr_report_delivery(p_id bigint, p_lead bigint, p_broker bigint, p_status text, s integer)
            RETURNS void LANGUAGE plpgsql {{PointLookups}} AS $fn$
            DECLARE
                a record;
            BEGIN
                IF p_status = 'Pending' THEN RETURN; END IF;
                PERFORM 1 FROM "Leads" WHERE "Id" = p_lead FOR NO KEY UPDATE;
                SELECT "Country", "Priority", "RoutedAt" INTO a FROM "BrokerAssignments" WHERE "LeadId" = p_lead AND "BrokerId" = p_broker;
                IF NOT FOUND THEN RETURN; END IF;
                INSERT INTO "BrokerReportDays" AS t ({{Totals}})
                VALUES ((a."RoutedAt" AT TIME ZONE 'UTC')::date, p_broker, a."Country", a."Priority", 0,
                    s * (p_status = 'Delivered' AND NOT EXISTS (SELECT 1 FROM "Deliveries" x
                        WHERE x."LeadId" = p_lead AND x."BrokerId" = p_broker AND x."Status" = 'Delivered' AND x."Id" <> p_id))::int,
                    s * (p_status = 'Delivered')::int, s * (p_status = 'Rejected')::int, s * (p_status = 'Dead')::int,
                    0, 0, 0, 0, 0)
                {{OnTotals}}
            END $fn$;

            -- A postback adds or removes itself: lead flags for accepted / rejected / duplicate / converted, deposits, revenue.
            CREATE FUNCTION lr_report_event(p_id bigint, p_lead bigint, p_broker bigint, p_event text, p_amount bigint, p_currency text, s integer)
            RETURNS void LANGUAGE plpgsql {{PointLookups}} AS $fn$
            DECLARE
                a record;
                first_of_kind boolean;
            BEGIN
                IF p_event NOT IN ('Accepted', 'Rejected', 'Duplicate', 'Converted', 'Deposit') THEN RETURN; END IF;
                PERFORM 1 FROM "Leads" WHERE "Id" = p_lead FOR NO KEY UPDATE;
                SELECT "Country", "Priority", "RoutedAt" INTO a FROM "BrokerAssignments" WHERE "LeadId" = p_lead AND "BrokerId" = p_broker;
                IF NOT FOUND THEN RETURN; END IF;
                first_of_kind := NOT EXISTS (SELECT 1 FROM "LeadEvents" e
                    WHERE e."LeadId" = p_lead AND e."BrokerId" = p_broker AND e."Event" = p_event AND e."Id" <> p_id);
                INSERT INTO "BrokerReportDays" AS t ({{Totals}})
                VALUES ((a."RoutedAt" AT TIME ZONE 'UTC')::date, p_broker, a."Country", a."Priority", 0, 0, 0, 0, 0,
                    s * (p_event = 'Accepted' AND first_of_kind)::int, s * (p_event = 'Rejected' AND first_of_kind)::int,
                    s * (p_event = 'Duplicate' AND first_of_kind)::int, s * (p_event = 'Converted' AND first_of_kind)::int,
                    s * (p_event = 'Deposit')::int)
                {{OnTotals}}
                IF p_event = 'Deposit' AND p_amount IS NOT NULL AND p_currency IS NOT NULL THEN
                    INSERT INTO "BrokerReportRevenue" AS t ("Day", "BrokerId", "Country", "Priority", "Currency", "Deposits", "AmountMinor")
                    VALUES ((a."RoutedAt" AT TIME ZONE 'UTC')::date, p_broker, a."Country", a."Priority", p_currency, s, s * p_amount)
                    {{OnRevenue}}
                END IF;
            END $fn$;

            -- A push attempt (not a test push) adds or removes one count at its duration.
            CREATE FUNCTION lr_report_attempt(p_lead bigint, p_broker bigint, p_test boolean, p_ms integer, s integer)
            RETURNS void LANGUAGE plpgsql {{PointLookups}} AS $fn$
            DECLARE
                a record;
            BEGIN
                IF p_test OR p_lead IS NULL THEN RETURN; END IF;
                PERFORM 1 FROM "Leads" WHERE "Id" = p_lead FOR NO KEY UPDATE;
                SELECT "Country", "Priority", "RoutedAt" INTO a FROM "BrokerAssignments" WHERE "LeadId" = p_lead AND "BrokerId" = p_broker;
                IF NOT FOUND THEN RETURN; END IF;
                INSERT INTO "BrokerReportResponseTimes" AS t ("Day", "BrokerId", "Country", "Priority", "DurationMs", "Attempts")
                VALUES ((a."RoutedAt" AT TIME ZONE 'UTC')::date, p_broker, a."Country", a."Priority", p_ms, s)
                {{OnTimes}}
            END $fn$;

            CREATE FUNCTION lr_report_assignments_changed() RETURNS trigger LANGUAGE plpgsql AS $fn$
            BEGIN
                IF TG_OP <> 'INSERT' THEN
                    PERFORM lr_report_assignment(OLD."LeadId", OLD."BrokerId", OLD."Country", OLD."Priority", OLD."RoutedAt", -1);
                END IF;
                IF TG_OP <> 'DELETE' THEN
                    PERFORM lr_report_assignment(NEW."LeadId", NEW."BrokerId", NEW."Country", NEW."Priority", NEW."RoutedAt", 1);
                END IF;
                RETURN NULL;
            END $fn$;

            CREATE FUNCTION lr_report_deliveries_changed() RETURNS trigger LANGUAGE plpgsql AS $fn$
            BEGIN
                IF TG_OP <> 'INSERT' THEN PERFORM lr_report_delivery(OLD."Id", OLD."LeadId", OLD."BrokerId", OLD."Status", -1); END IF;
                IF TG_OP <> 'DELETE' THEN PERFORM lr_report_delivery(NEW."Id", NEW."LeadId", NEW."BrokerId", NEW."Status", 1); END IF;
                RETURN NULL;
            END $fn$;

            CREATE FUNCTION lr_report_events_changed() RETURNS trigger LANGUAGE plpgsql AS $fn$
            BEGIN
                IF TG_OP <> 'INSERT' THEN
                    PERFORM lr_report_event(OLD."Id", OLD."LeadId", OLD."BrokerId", OLD."Event", OLD."AmountMinor", OLD."Currency", -1);
                END IF;
                IF TG_OP <> 'DELETE' THEN
                    PERFORM lr_report_event(NEW."Id", NEW."LeadId", NEW."BrokerId", NEW."Event", NEW."AmountMinor", NEW."Currency", 1);
                END IF;
                RETURN NULL;
            END $fn$;

            CREATE FUNCTION lr_report_attempts_changed() RETURNS trigger LANGUAGE plpgsql AS $fn$
            BEGIN
                IF TG_OP <> 'INSERT' THEN PERFORM lr_report_attempt(OLD."LeadId", OLD."BrokerId", OLD."Test", OLD."DurationMs", -1); END IF;
                IF TG_OP <> 'DELETE' THEN PERFORM lr_report_attempt(NEW."LeadId", NEW."BrokerId", NEW."Test", NEW."DurationMs", 1); END IF;
                RETURN NULL;
            END $fn$;
            """;

        static string Changed(params string[] columns) =>
            string.Join(" OR ", System.Linq.Enumerable.Select(columns, c => $"OLD.\"{c}\" IS DISTINCT FROM NEW.\"{c}\""));

        static string Triggers(string table, string function, string? insertWhen, string? deleteWhen, string updateWhen) => $"""
            CREATE TRIGGER "{table}_report_insert" AFTER INSERT ON "{table}" FOR EACH ROW{(insertWhen is null ? "" : $" WHEN ({insertWhen})")} EXECUTE FUNCTION {function}();
            CREATE TRIGGER "{table}_report_delete" AFTER DELETE ON "{table}" FOR EACH ROW{(deleteWhen is null ? "" : $" WHEN ({deleteWhen})")} EXECUTE FUNCTION {function}();
            CREATE TRIGGER "{table}_report_update" AFTER UPDATE ON "{table}" FOR EACH ROW WHEN ({updateWhen}) EXECUTE FUNCTION {function}();
            """;

        static void CreateReportTriggers(MigrationBuilder b)
        {
            // No writer may change these tables between the backfill and the triggers.
            b.Sql("""LOCK TABLE "BrokerAssignments", "Deliveries", "LeadEvents", "LeadPushLogs" IN SHARE ROW EXCLUSIVE MODE;""");
            b.Sql($"""
                INSERT INTO "BrokerReportDays" ({Totals})
                SELECT (a."RoutedAt" AT TIME ZONE 'UTC')::date, a."BrokerId", a."Country", a."Priority", COUNT(*),
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
                INSERT INTO "BrokerReportRevenue" ("Day", "BrokerId", "Country", "Priority", "Currency", "Deposits", "AmountMinor")
                SELECT (a."RoutedAt" AT TIME ZONE 'UTC')::date, a."BrokerId", a."Country", a."Priority", e."Currency", COUNT(*), SUM(e."AmountMinor")
                FROM "LeadEvents" e JOIN "BrokerAssignments" a ON a."LeadId" = e."LeadId" AND a."BrokerId" = e."BrokerId"
                WHERE e."Event" = 'Deposit' AND e."AmountMinor" IS NOT NULL AND e."Currency" IS NOT NULL
                GROUP BY 1, 2, 3, 4, 5;
                """);
            b.Sql("""
                INSERT INTO "BrokerReportResponseTimes" ("Day", "BrokerId", "Country", "Priority", "DurationMs", "Attempts")
                SELECT (a."RoutedAt" AT TIME ZONE 'UTC')::date, a."BrokerId", a."Country", a."Priority", l."DurationMs", COUNT(*)
                FROM "LeadPushLogs" l JOIN "BrokerAssignments" a ON a."LeadId" = l."LeadId" AND a."BrokerId" = l."BrokerId"
                WHERE NOT l."Test"
                GROUP BY 1, 2, 3, 4, 5;
                """);

            b.Sql(Functions);
            b.Sql(Triggers("BrokerAssignments", "lr_report_assignments_changed", null, null,
                Changed("LeadId", "BrokerId", "Country", "Priority", "RoutedAt")));
            b.Sql(Triggers("Deliveries", "lr_report_deliveries_changed", "NEW.\"Status\" <> 'Pending'", "OLD.\"Status\" <> 'Pending'",
                Changed("Status", "LeadId", "BrokerId")));
            b.Sql(Triggers("LeadEvents", "lr_report_events_changed", null, null,
                Changed("Event", "LeadId", "BrokerId", "AmountMinor", "Currency")));
            b.Sql(Triggers("LeadPushLogs", "lr_report_attempts_changed", "NOT NEW.\"Test\"", "NOT OLD.\"Test\"",
                Changed("LeadId", "BrokerId", "Test", "DurationMs")));
        }

        static void DropReportTriggers(MigrationBuilder b)
        {
            foreach (var table in new[] { "BrokerAssignments", "Deliveries", "LeadEvents", "LeadPushLogs" })
                foreach (var op in new[] { "insert", "delete", "update" })
                    b.Sql($"DROP TRIGGER IF EXISTS \"{table}_report_{op}\" ON \"{table}\";");
            b.Sql("""
                DROP FUNCTION IF EXISTS lr_report_assignments_changed(), lr_report_deliveries_changed(), lr_report_events_changed(),
                    lr_report_attempts_changed(), lr_report_assignment(bigint, bigint, text, integer, timestamptz, integer),
                    lr_report_delivery(bigint, bigint, bigint, text, integer),
                    lr_report_event(bigint, bigint, bigint, text, bigint, text, integer),
                    lr_report_attempt(bigint, bigint, boolean, integer, integer);
                """);
        }
    }
}
