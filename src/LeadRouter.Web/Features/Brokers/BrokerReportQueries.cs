using System.Data.Common;
using System.Globalization;
using System.Runtime.InteropServices;
using LeadRouter.Domain.Postbacks;

namespace LeadRouter.Web.Features.Brokers;

/// <summary>What a grouped report row is grouped by, besides its period.</summary>
enum ReportDimension
{
    Broker = 0,
    Country = 1,
    Priority = 2,
    /// <summary>A broker at one priority: the leads it took there, for its share of the leads routed at that priority.</summary>
    BrokerPriority = 3,
}

/// <summary>The key of a grouped report row: its dimension, the values it is grouped by (the others null) and its period's first day.</summary>
readonly record struct ReportKey(ReportDimension Dimension, long? BrokerId, string? Country, int? Priority, DateOnly Period);

/// <summary>The summed daily rollups of one grouped report row (see <see cref="LeadRouter.Data.Brokers.BrokerReportDay"/>).</summary>
sealed record ReportTotals(ReportKey Key, long Routed, long DeliveredLeads, long Delivered, long Rejected, long Dead,
    long AcceptedLeads, long RejectedLeads, long DuplicateLeads, long ConvertedLeads, long Deposits);

/// <summary>The deposits with an amount of one grouped report row in one currency, and their sum in minor units.</summary>
sealed record ReportRevenue(ReportKey Key, string Currency, long Deposits, long AmountMinor);

/// <summary>The push attempts of one grouped report row: how many, their summed duration and the nearest-rank p95.</summary>
sealed record ReportTimes(ReportKey Key, long Attempts, decimal TotalMs, int P95Ms);

/// <summary>
/// The broker report's reads of the daily rollups, grouped in the database by period and by broker, country and priority.
/// Raw SQL: the period of a day is a provider-specific expression and the rows of four groupings come back from one
/// statement (<c>UNION ALL</c>, as SQLite has no <c>GROUPING SETS</c>), which EF's LINQ translation does not express.
/// All reads run on the caller's connection and transaction (one snapshot).
/// </summary>
static class BrokerReportQueries
{
    const string Sums = """
        CAST(SUM("Routed") AS BIGINT) AS "Routed", CAST(SUM("DeliveredLeads") AS BIGINT) AS "DeliveredLeads",
        CAST(SUM("Delivered") AS BIGINT) AS "Delivered", CAST(SUM("Rejected") AS BIGINT) AS "Rejected", CAST(SUM("Dead") AS BIGINT) AS "Dead",
        CAST(SUM("AcceptedLeads") AS BIGINT) AS "AcceptedLeads", CAST(SUM("RejectedLeads") AS BIGINT) AS "RejectedLeads",
        CAST(SUM("DuplicateLeads") AS BIGINT) AS "DuplicateLeads", CAST(SUM("ConvertedLeads") AS BIGINT) AS "ConvertedLeads",
        CAST(SUM("Deposits") AS BIGINT) AS "Deposits"
        """;

    /// <summary>
    /// The four groupings of rows that have a cell column set <c>c</c> (period, broker, country, priority): broker, country,
    /// priority, and broker at priority, each per period, as <c>SELECT</c>s joined by <c>UNION ALL</c>.
    /// Columns: dimension, broker id, country, priority, period, then <paramref name="columns"/>.
    /// </summary>
    static string Groupings(string source, string columns, string extraKeys = "")
    {
        string Select(ReportDimension d, string broker, string country, string priority, string keys) =>
            $"""
            SELECT {(int)d} AS "Dimension", {broker} AS "BrokerId", {country} AS "Country", {priority} AS "Priority", "Period"{extraKeys}, {columns}
            FROM {source} GROUP BY {keys}, "Period"{extraKeys}
            """;
        const string NoBroker = "CAST(NULL AS BIGINT)", NoCountry = "CAST(NULL AS TEXT)", NoPriority = "CAST(NULL AS INTEGER)";
        return string.Join("\nUNION ALL\n",
            Select(ReportDimension.Broker, "\"BrokerId\"", NoCountry, NoPriority, "\"BrokerId\""),
            Select(ReportDimension.Country, NoBroker, "\"Country\"", NoPriority, "\"Country\""),
            Select(ReportDimension.Priority, NoBroker, NoCountry, "\"Priority\"", "\"Priority\""),
            Select(ReportDimension.BrokerPriority, "\"BrokerId\"", NoCountry, "\"Priority\"", "\"BrokerId\", \"Priority\""));
    }

    /// <summary>
    /// The first day of the report period of the rollup column <c>"Day"</c>, clipped to <c>@from</c> (the first period may
    /// be partial), as <see cref="BrokerReport.Periods"/> cuts them. SQLite keeps a day as <c>yyyy-MM-dd</c> text (EF's
    /// mapping of <see cref="DateOnly"/>), so text comparison orders days and the expressions stay text; PostgreSQL as a date
    /// (cast to a timestamp without time zone for <c>date_trunc</c>, so the session time zone plays no part).
    /// </summary>
    static string Period(bool postgres, ReportGrouping groupBy) => (postgres, groupBy) switch
    {
        (_, ReportGrouping.Day) => "\"Day\"",
        // The Monday on or before the day: step back six days, then forward to the next Monday (or stay on one).
        (false, ReportGrouping.Week) => "MAX(@from, date(\"Day\", '-6 days', 'weekday 1'))",
        (false, _) => "MAX(@from, substr(\"Day\", 1, 8) || '01')",
        (true, ReportGrouping.Week) => "GREATEST(@from, CAST(date_trunc('week', CAST(\"Day\" AS timestamp)) AS date))",
        (true, _) => "GREATEST(@from, CAST(date_trunc('month', CAST(\"Day\" AS timestamp)) AS date))",
    };

    /// <summary>
    /// The daily rollups of the days <paramref name="from"/> to <paramref name="to"/> summed per period and per broker,
    /// country, priority and broker at priority (only cells with routed leads, as every figure belongs to a routed lead).
    /// </summary>
    public static async Task<List<ReportTotals>> TotalsAsync(DbTransaction tx, DateOnly from, DateOnly to, ReportGrouping groupBy, CancellationToken ct)
    {
        var postgres = IsPostgres(tx);
        var sql = $"""
            WITH c AS (
                SELECT {Period(postgres, groupBy)} AS "Period", "BrokerId", "Country", "Priority", {Sums}
                FROM "BrokerReportDays"
                WHERE "Day" >= @from AND "Day" <= @to AND "Routed" <> 0
                GROUP BY 1, "BrokerId", "Country", "Priority"
            )
            {Groupings("c", Sums)}
            """;
        var rows = new List<ReportTotals>();
        await using var cmd = Command(tx, sql, from, to);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            rows.Add(new ReportTotals(ReadKey(reader, postgres), reader.GetInt64(5), reader.GetInt64(6), reader.GetInt64(7), reader.GetInt64(8),
                reader.GetInt64(9), reader.GetInt64(10), reader.GetInt64(11), reader.GetInt64(12), reader.GetInt64(13), reader.GetInt64(14)));
        return rows;
    }

    /// <summary>The revenue rollups of the days summed per period, grouping (as <see cref="TotalsAsync"/>) and currency.</summary>
    public static async Task<List<ReportRevenue>> RevenueAsync(DbTransaction tx, DateOnly from, DateOnly to, ReportGrouping groupBy, CancellationToken ct)
    {
        var postgres = IsPostgres(tx);
        var sql = $"""
            WITH c AS (
                SELECT {Period(postgres, groupBy)} AS "Period", "BrokerId", "Country", "Priority", "Currency",
                    CAST(SUM("Deposits") AS BIGINT) AS "Deposits", CAST(SUM("AmountMinor") AS BIGINT) AS "AmountMinor"
                FROM "BrokerReportRevenue"
                WHERE "Day" >= @from AND "Day" <= @to AND "Deposits" <> 0
                GROUP BY 1, "BrokerId", "Country", "Priority", "Currency"
            )
            {Groupings("c", "CAST(SUM(\"Deposits\") AS BIGINT) AS \"Deposits\", CAST(SUM(\"AmountMinor\") AS BIGINT) AS \"AmountMinor\"", ", \"Currency\"")}
            """;
        var rows = new List<ReportRevenue>();
        await using var cmd = Command(tx, sql, from, to);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            rows.Add(new ReportRevenue(ReadKey(reader, postgres), reader.GetString(5), reader.GetInt64(6), reader.GetInt64(7)));
        return rows;
    }

    /// <summary>
    /// The response times of the push attempts in the days per period and per broker, country and priority: how many, their
    /// summed duration and the exact nearest-rank p95 (the smallest duration whose cumulative count reaches ⌈0.95 n⌉), from
    /// the histogram rollups (a row per cell, day, stripe and distinct duration) merged per report row.
    /// <para>
    /// Where the merging happens was measured on the bench's million attempts (durations spread, so about one histogram row
    /// per attempt), on the same data and machine, back to back. Percentiles in SQL, with window functions
    /// (<c>SUM(…) OVER (PARTITION BY … ORDER BY "DurationMs")</c>) over the histograms merged per grouping, were the slowest
    /// on both. SQLite has no hash aggregation, so each grouping by duration and the window after it sort a million rows:
    /// ~8.7 s of CPU for the broker grouping alone, against ~1.4 s to read the rows. PostgreSQL took ~20 times as long for
    /// the three groupings (<c>GROUPING SETS</c>) and the window as for reading the rows, and a two-step form (first the 64 ms
    /// slot holding the p95, then only that slot per millisecond) was still 3–5 times slower end to end than streaming.
    /// </para>
    /// <para>
    /// So, per provider, the faster exact way. SQLite (<see cref="ReadCellDaysAsync"/>): the database merges the histogram of
    /// each cell and day into one row, grouping in primary-key order, so without a sort; that costs about what stepping
    /// through the rows costs, while reading them column by column through the ADO.NET reader (in-process, nothing overlaps)
    /// about doubled the time. PostgreSQL (<see cref="ReadCellDayArraysAsync"/>): the server merges each cell and day into
    /// arrays (<c>array_agg</c>) and sends about one row per cell and day. Streaming every histogram row and merging here
    /// took about as long once warm (the app's per-row work bounds it), but 2.5 times as long on the first report in a new
    /// process, while the runtime's JIT still runs the per-row code unoptimised.
    /// </para>
    /// <para>
    /// Either way each cell and day arrives as runs in order of duration (the order of the primary key; sorted here should a
    /// run come out of order), which are kept, not merged: the p95 of a report row
    /// is a binary search over its runs (<see cref="PostbackRules.NearestRankOfRuns"/>), so nothing in the app runs once
    /// per attempt on PostgreSQL, and no sort of every attempt runs on either (0.7 s of the first report in a process).
    /// </para>
    /// </summary>
    public static async Task<List<ReportTimes>> TimesAsync(DbTransaction tx, DateOnly from, DateOnly to, IReadOnlyList<DateOnly> starts, CancellationToken ct)
    {
        var merge = new TimesMerge(from, to, starts);
        if (IsPostgres(tx)) await ReadCellDayArraysAsync(tx, from, to, merge, ct);
        else await ReadCellDaysAsync(tx, from, to, merge, ct);
        return merge.Results();
    }

    /// <summary>
    /// SQLite: one row per cell and day with its histogram as text, <c>ms:attempts</c> entries joined by commas, or just
    /// <c>ms</c> for one attempt (SQLite has no arrays; the numbers round-trip exactly). Durations in milliseconds are
    /// spread, so most entries are single attempts, and leaving their <c>:1</c> out roughly halves the time SQLite spends
    /// building the text; with the table stored in key order (<c>WITHOUT ROWID</c>, SQLite migration
    /// <c>BrokerReportTimesWithoutRowid</c>) this read went from 1.74 s to 0.48 s on the bench's million rows.
    /// </summary>
    static async Task ReadCellDaysAsync(DbTransaction tx, DateOnly from, DateOnly to, TimesMerge merge, CancellationToken ct)
    {
        await using var cmd = Command(tx, """
            SELECT CAST(julianday("Day") - julianday(@from) AS INTEGER), "BrokerId", "Country", "Priority",
                group_concat(IIF("Attempts" = 1, "DurationMs", "DurationMs" || ':' || "Attempts"))
            FROM "BrokerReportResponseTimes"
            WHERE "Day" >= @from AND "Day" <= @to AND "Attempts" <> 0
            GROUP BY "Day", "BrokerId", "Country", "Priority"
            """, from, to);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        List<int> ones = [], durations = [];
        List<long> counts = [];
        while (await reader.ReadAsync(ct))
        {
            var text = reader.GetString(4).AsSpan();
            Int128 totalMs = 0;
            while (!text.IsEmpty)
            {
                var (ms, attempts) = Entry(ref text);
                totalMs += (Int128)ms * attempts;
                if (attempts == 1) ones.Add(ms);
                else
                {
                    durations.Add(ms);
                    counts.Add(attempts);
                }
            }

            merge.Add(reader.GetInt32(0), reader.GetInt64(1), reader.GetString(2), reader.GetInt32(3), [.. ones], [.. durations], [.. counts], totalMs);
            ones.Clear();
            durations.Clear();
            counts.Clear();
        }
    }

    /// <summary>Reads one histogram entry, <c>ms:attempts</c> or <c>ms</c> (one attempt), from the start of
    /// <paramref name="text"/> and skips it and the comma after it.</summary>
    internal static (int Ms, long Attempts) Entry(ref ReadOnlySpan<char> text)
    {
        var ms = (int)Number(ref text, out var end);
        return (ms, end == ':' ? Number(ref text, out _) : 1);
    }

    /// <summary>Reads a whole number from the start of <paramref name="text"/> up to a <c>:</c>, a <c>,</c> or the end
    /// (returned in <paramref name="end"/>, <c>\0</c> for the end), and skips both.</summary>
    static long Number(ref ReadOnlySpan<char> text, out char end)
    {
        var negative = text[0] == '-';
        var i = negative ? 1 : 0;
        long n = 0;
        for (; i < text.Length && text[i] is not (':' or ','); i++) n = n * 10 + (text[i] - '0');
        end = i < text.Length ? text[i] : '\0';
        text = i < text.Length ? text[(i + 1)..] : [];
        return negative ? -n : n;
    }

    /// <summary>
    /// PostgreSQL: one row per cell and day with its histogram as arrays ordered by duration: the durations with one
    /// attempt, then the other durations and their attempts (most durations have one attempt, so the third array stays
    /// short), and the summed duration. The server groups in primary-key order, which also orders the arrays for free, and
    /// sends each cell and day as soon as its group ends, so the two processes overlap.
    /// </summary>
    static async Task ReadCellDayArraysAsync(DbTransaction tx, DateOnly from, DateOnly to, TimesMerge merge, CancellationToken ct)
    {
        await using var cmd = Command(tx, """
            SELECT "Day" - @from, "BrokerId", "Country", "Priority",
                array_agg("DurationMs" ORDER BY "DurationMs") FILTER (WHERE "Attempts" = 1),
                array_agg("DurationMs" ORDER BY "DurationMs") FILTER (WHERE "Attempts" <> 1),
                array_agg("Attempts" ORDER BY "DurationMs") FILTER (WHERE "Attempts" <> 1),
                SUM(CAST("DurationMs" AS BIGINT) * "Attempts")
            FROM "BrokerReportResponseTimes"
            WHERE "Day" >= @from AND "Day" <= @to AND "Attempts" <> 0
            GROUP BY "Day", "BrokerId", "Country", "Priority"
            """, from, to);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            merge.Add(reader.GetInt32(0), reader.GetInt64(1), reader.GetString(2), reader.GetInt32(3),
                reader.IsDBNull(4) ? [] : reader.GetFieldValue<int[]>(4),
                reader.IsDBNull(5) ? [] : reader.GetFieldValue<int[]>(5), reader.IsDBNull(6) ? [] : reader.GetFieldValue<long[]>(6),
                (Int128)reader.GetFieldValue<decimal>(7));
    }

    /// <summary>
    /// The histograms of the report rows being merged: each cell and day's runs go into the histograms of its broker,
    /// country and priority in the period of its day.
    /// </summary>
    sealed class TimesMerge(DateOnly from, DateOnly to, IReadOnlyList<DateOnly> starts)
    {
        readonly int[] bucketOfDay = BucketOfDay(from, to, starts);
        readonly Dictionary<(long, int), Histogram> byBroker = [];
        readonly Dictionary<(string, int), Histogram> byCountry = [];
        readonly Dictionary<(int, int), Histogram> byPriority = [];

        /// <summary>
        /// Adds the histogram of one cell on day <paramref name="day"/> (from <c>from</c>): the durations of one attempt
        /// each, and other durations with their attempts, each array in any order, and their summed duration in milliseconds.
        /// </summary>
        public void Add(int day, long brokerId, string country, int priority, int[] ones, int[] durations, long[] attempts, Int128 totalMs)
        {
            var bucket = bucketOfDay[day];
            var runs = new List<SortedRun>(2);
            if (ones.Length > 0) runs.Add(SortedRun.Of(ones, null));
            if (durations.Length > 0) runs.Add(SortedRun.Of(durations, attempts));
            foreach (var h in (ReadOnlySpan<Histogram>)[Of(byBroker, (brokerId, bucket)), Of(byCountry, (country, bucket)), Of(byPriority, (priority, bucket))])
                h.Add(runs, totalMs);
        }

        public List<ReportTimes> Results()
        {
            var rows = new List<ReportTimes>(byBroker.Count + byCountry.Count + byPriority.Count);
            foreach (var ((id, bucket), h) in byBroker) rows.Add(h.Times(new(ReportDimension.Broker, id, null, null, starts[bucket])));
            foreach (var ((code, bucket), h) in byCountry) rows.Add(h.Times(new(ReportDimension.Country, null, code, null, starts[bucket])));
            foreach (var ((p, bucket), h) in byPriority) rows.Add(h.Times(new(ReportDimension.Priority, null, null, p, starts[bucket])));
            return rows;
        }

        static Histogram Of<TKey>(Dictionary<TKey, Histogram> histograms, TKey key) where TKey : notnull
        {
            ref var h = ref CollectionsMarshal.GetValueRefOrAddDefault(histograms, key, out _);
            return h ??= new Histogram();
        }

        /// <summary>The index of the period of each day from <paramref name="from"/> to <paramref name="to"/>.</summary>
        static int[] BucketOfDay(DateOnly from, DateOnly to, IReadOnlyList<DateOnly> starts)
        {
            var bucketOfDay = new int[to.DayNumber - from.DayNumber + 1];
            for (var b = 0; b < starts.Count; b++)
            {
                var end = b + 1 < starts.Count ? starts[b + 1].DayNumber : to.DayNumber + 1;
                for (var d = starts[b].DayNumber; d < end; d++) bucketOfDay[d - from.DayNumber] = b;
            }

            return bucketOfDay;
        }
    }

    /// <summary>
    /// A merged response-time histogram, kept as the sorted runs of its cells and days (not merged: the p95 is found by a
    /// search over the runs, so no sort of every attempt, whose generic code the runtime first runs unoptimised).
    /// </summary>
    sealed class Histogram
    {
        readonly List<SortedRun> runs = [];
        long attempts;
        Int128 totalMs;

        public void Add(List<SortedRun> cell, Int128 cellMs)
        {
            foreach (var run in cell)
            {
                runs.Add(run);
                attempts += run.Count;
            }

            totalMs += cellMs;
        }

        /// <summary>The count, the summed duration and the nearest-rank p95 of the entries.</summary>
        public ReportTimes Times(ReportKey key) => new(key, attempts, (decimal)totalMs, PostbackRules.NearestRankOfRuns(runs, 95) ?? 0);
    }

    static bool IsPostgres(DbTransaction tx) => tx.Connection is Npgsql.NpgsqlConnection;

    static DbCommand Command(DbTransaction tx, string sql, DateOnly from, DateOnly to)
    {
        var cmd = tx.Connection!.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        foreach (var (name, day) in new[] { ("from", from), ("to", to) })
        {
            var parameter = cmd.CreateParameter();
            parameter.ParameterName = name;
            // SQLite keeps a DateOnly as yyyy-MM-dd text (EF's mapping); PostgreSQL as a date.
            parameter.Value = IsPostgres(tx) ? day : day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
            cmd.Parameters.Add(parameter);
        }

        return cmd;
    }

    static ReportKey ReadKey(DbDataReader reader, bool postgres) => new(
        (ReportDimension)reader.GetInt32(0),
        reader.IsDBNull(1) ? null : reader.GetInt64(1),
        reader.IsDBNull(2) ? null : reader.GetString(2),
        reader.IsDBNull(3) ? null : reader.GetInt32(3),
        postgres ? reader.GetFieldValue<DateOnly>(4) : DateOnly.ParseExact(reader.GetString(4), "yyyy-MM-dd", CultureInfo.InvariantCulture));
}
