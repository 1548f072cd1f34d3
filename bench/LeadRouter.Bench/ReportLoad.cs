using System.Data.Common;
using System.Diagnostics;
using LeadRouter.Data;
using LeadRouter.Data.Brokers;
using LeadRouter.Data.Leads;
using LeadRouter.Web.Features.Brokers;
using Microsoft.EntityFrameworkCore;

namespace LeadRouter.Bench;

/// <summary>
/// <c>report</c>: N leads routed to 10 brokers over 90 days in 20 countries, one delivery and one push attempt each, and
/// P postbacks (accepted, deposits in USD/EUR, conversions), all inserted set-based in SQL (not timed); then times
/// <see cref="BrokerReport.RunAsync"/> over the 90 days grouped by day (the first call in the process), by month, by day
/// again and by week, <c>--repeat K</c> times, with the process CPU time of each call. <c>--keep</c> leaves the seeded
/// database in place and prints its connection string; <c>--existing DB</c> runs the reports on such a database instead
/// of seeding one (pass the same <c>--leads</c>).
/// </summary>
static class ReportLoad
{
    public static async Task<int> RunAsync(BenchArgs args, CancellationToken ct)
    {
        var leads = args.Int("leads", 1_000_000);
        var postbacks = args.Int("postbacks", 200_000);
        var repeat = args.Int("repeat", 1);
        var existing = args.String("existing");
        await using var bench = existing is null ? await BenchDatabase.CreateAsync(args.String("db"), ct) : BenchDatabase.Existing(existing);
        Console.WriteLine($"report: {leads:N0} routed leads, {postbacks:N0} postbacks, {(existing is null ? bench.Describe : "existing " + bench.Target.Provider)}, {BenchArgs.Machine}");

        if (existing is null)
        {
            var seeding = Stopwatch.StartNew();
            await SeedAsync(bench, leads, postbacks, ct);
            Console.WriteLine($"Seeded in {seeding.Elapsed.TotalSeconds:N1} s (set-based SQL, not timed)");
            if (args.Flag("keep"))
            {
                bench.Keep();
                Console.WriteLine($"Kept: --existing \"{bench.Target.ConnectionString}\"");
            }
        }
        else
        {
            // Seeding builds the EF model and runs a query; so does this, so the first report pays for the same things in both modes.
            await using var db = await bench.Dbs.CreateDbContextAsync(ct);
            _ = await db.Brokers.CountAsync(ct);
        }

        var report = new BrokerReport(bench.Dbs);
        var from = new DateOnly(2025, 1, 1);
        var to = from.AddDays(89);
        for (var round = 0; round < repeat; round++)
            foreach (var grouping in new[] { ReportGrouping.Day, ReportGrouping.Month, ReportGrouping.Day, ReportGrouping.Week })
            {
                var cpu = Process.GetCurrentProcess().TotalProcessorTime;
                var watch = Stopwatch.StartNew();
                var result = await report.RunAsync(from, to, grouping, ct);
                watch.Stop();
                Console.WriteLine($"Report by {grouping.ToString().ToLowerInvariant()}: {result.Brokers.Count:N0} broker rows, {result.Countries.Count:N0} country rows, " +
                    $"routed {result.Brokers.Sum(r => r.Routed):N0}, deposits {result.Brokers.Sum(r => r.Deposits):N0} in {watch.Elapsed.TotalSeconds:N2} s " +
                    $"(process CPU {(Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds:N2} s); load average {BenchArgs.LoadAverage}");
                if (result.Brokers.Sum(r => r.Routed) != leads) throw new InvalidOperationException("Routed total does not match the seeded leads.");
            }

        return 0;
    }

    static async Task SeedAsync(BenchDatabase bench, int leads, int postbacks, CancellationToken ct)
    {
        var now = DateTimeOffset.UtcNow;
        await using var db = await bench.Dbs.CreateDbContextAsync(ct);
        var source = new Source { Name = "Bench", Key = Source.KeyOf("Bench"), CreatedAt = now };
        var import = new Import { FileName = "bench", CreatedAt = now, Rows = leads, Accepted = leads };
        db.AddRange(source, import);
        for (var b = 0; b < 10; b++)
            db.Brokers.Add(new Broker { Name = $"Broker {b}", Priority = b % 3, Weight = 10 + b, DailyCap = 2000, CreatedAt = now });
        await db.SaveChangesAsync(ct);
        var firstBroker = await db.Brokers.MinAsync(b => b.Id, ct);

        var pg = bench.Target.Provider == DatabaseProvider.Postgres;
        // The lead's routing time: 2025-01-01 plus (id × 389 mod 90 days in seconds), spread over the 90 days.
        var t0 = pg ? "TIMESTAMPTZ '2025-01-01 00:00:00+00'" : new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero).UtcTicks.ToString(System.Globalization.CultureInfo.InvariantCulture);
        string At(string id) => pg ? $"{t0} + (({id} * 389) % 7776000) * INTERVAL '1 second'" : $"{t0} + (({id} * 389) % 7776000) * 10000000";
        var series = pg ? $"generate_series(1, {leads}) AS s(i)" : $"(WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {leads}) SELECT i FROM s)";
        var falseValue = pg ? "FALSE" : "0";
        var countries = "'AE','SA','QA','KW','BH','OM','JO','EG','MA','TN','DE','FR','ES','IT','PT','GR','HR','PL','RO','BG'";
        string Country(string id) => pg ? $"(ARRAY[{countries}])[({id} % 20) + 1]" : $"substr('AESAQAKWBHOMJOEGMATNDEFRESITPTGRHRPLROBG', ({id} % 20) * 2 + 1, 2)";
        const string concat = "||";
        const string EmptyJson = "'{}'";
        string[] statements =
        [
            $"""INSERT INTO "Leads" ("IdentityKey", "Name", "PhoneValid", "SourceId", "ImportId", "Status", "CreatedAt", "BrokerId") SELECT 'id:b' {concat} i, 'Bench', {falseValue}, {source.Id}, {import.Id}, 'Pending', {At("i")}, {firstBroker} + (i % 10) FROM {series}""",
            $"""INSERT INTO "BrokerAssignments" ("LeadId", "BrokerId", "SourceId", "Priority", "Country", "Trigger", "Decision", "RoutedAt") SELECT l."Id", l."BrokerId", {source.Id}, (l."BrokerId" - {firstBroker}) % 3, {Country("l.\"Id\"")}, 'Import', {EmptyJson}, {At("l.\"Id\"")} FROM "Leads" l WHERE l."ImportId" = {import.Id}""",
            $"""INSERT INTO "Deliveries" ("WebhookId", "LeadId", "BrokerId", "Trigger", "Status", "Attempts", "NextAttemptAt", "CreatedAt", "CompletedAt", "LastHttpStatus") SELECT 'msg_' {concat} a."LeadId", a."LeadId", a."BrokerId", 'Routing', CASE WHEN a."LeadId" % 10 = 0 THEN 'Dead' ELSE 'Delivered' END, 1, a."RoutedAt", a."RoutedAt", a."RoutedAt", 200 FROM "BrokerAssignments" a""",
            $"""INSERT INTO "LeadPushLogs" ("DeliveryId", "BrokerId", "LeadId", "Test", "Attempt", "Status", "HttpStatus", "DurationMs", "At") SELECT d."Id", d."BrokerId", d."LeadId", {falseValue}, 1, d."Status", 200, 50 + ((d."LeadId" * 2654435761) / 7) % 1950, d."CreatedAt" FROM "Deliveries" d""",
            $"""INSERT INTO "LeadEvents" ("BrokerId", "EventId", "LeadId", "Event", "AmountMinor", "Currency", "OccurredAt", "ReceivedAt", "LeadStatusAfter", "AuthMethod") SELECT a."BrokerId", 'e' {concat} a."LeadId", a."LeadId", CASE a."LeadId" % 4 WHEN 0 THEN 'Accepted' WHEN 1 THEN 'Deposit' WHEN 2 THEN 'Converted' ELSE 'Rejected' END, CASE WHEN a."LeadId" % 4 = 1 THEN 10000 + a."LeadId" % 50000 END, CASE WHEN a."LeadId" % 4 = 1 THEN CASE WHEN a."LeadId" % 8 = 1 THEN 'USD' ELSE 'EUR' END END, a."RoutedAt", a."RoutedAt", 'Pending', 'token' FROM "BrokerAssignments" a WHERE a."LeadId" % {Math.Max(1, leads / Math.Max(1, postbacks))} = 0""",
            "ANALYZE",
        ];
        var conn = db.Database.GetDbConnection();
        await conn.OpenAsync(ct);
        var timings = new List<string>();
        foreach (var sql in statements)
        {
            await using DbCommand cmd = conn.CreateCommand();
            cmd.CommandText = sql;
            cmd.CommandTimeout = 1800;
            var watch = Stopwatch.StartNew();
            await cmd.ExecuteNonQueryAsync(ct);
            var table = sql.StartsWith("INSERT", StringComparison.Ordinal) ? sql.Split('"')[1] : sql;
            timings.Add($"{table} {watch.Elapsed.TotalSeconds:N1} s");
        }

        // The rollup triggers run inside the INSERTs above, so these include keeping the report's daily rollups.
        Console.WriteLine($"Seeding statements: {string.Join(", ", timings)}");
    }
}
