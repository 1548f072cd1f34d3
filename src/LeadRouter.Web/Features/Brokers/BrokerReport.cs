using System.Data;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using LeadRouter.Data;
using LeadRouter.Data.Brokers;
using LeadRouter.Domain.Postbacks;
using LeadRouter.Web.Features.Accounts;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;

namespace LeadRouter.Web.Features.Brokers;

/// <summary>How a report's periods are cut (UTC): calendar days, ISO weeks (Monday first) or calendar months.</summary>
public enum ReportGrouping { Day, Week, Month }

/// <summary>Revenue of one currency: deposits reported with an amount in it and their sum (exact, in the currency's decimals).</summary>
public sealed record RevenueDto(string Currency, long Deposits, decimal Amount);

/// <summary>
/// The figures of one broker (or country, or priority tier) in one period, over the leads routed in that period (a cohort by
/// routing time: their deliveries and postbacks count with them whenever they happened).
/// <see cref="Delivered"/>: leads with a delivered push; <see cref="DeliverySuccessRate"/>: delivered pushes ÷ finished pushes
/// (delivered, rejected or dead); response times over every push attempt (test pushes excluded), p95 by nearest rank;
/// <see cref="AcceptedRate"/>, <see cref="RejectedRate"/>, <see cref="DuplicateRate"/> and <see cref="ConversionRate"/>:
/// leads with that postback ÷ <see cref="Delivered"/>; <see cref="Deposits"/>: deposit postbacks; <see cref="Revenue"/>: the
/// deposit amounts per currency. Brokers only: <see cref="CapUtilisation"/> = routed ÷ the tightest of its caps over the
/// period (null without caps), <see cref="Share"/> = its part of the leads routed at its priority in the period,
/// <see cref="TargetShare"/> = its weight over the active weights at its priority. Rates are 0–1, rounded to 4 places.
/// </summary>
public sealed record ReportRow(
    string Dimension, string Key, string? Name, DateOnly Period,
    long Routed, long Delivered, long PushesFinished, double DeliverySuccessRate, double? AvgResponseMs, int? P95ResponseMs,
    long Accepted, long Rejected, long Duplicates, long Converted,
    double AcceptedRate, double RejectedRate, double DuplicateRate, double ConversionRate,
    long Deposits, IReadOnlyList<RevenueDto> Revenue, double? CapUtilisation, double? Share, double? TargetShare);

/// <summary>A broker performance report: rows per broker, per country and per priority tier, each per period.</summary>
public sealed record BrokerReportDto(DateOnly From, DateOnly To, string GroupBy,
    IReadOnlyList<ReportRow> Brokers, IReadOnlyList<ReportRow> Countries, IReadOnlyList<ReportRow> Priorities)
{
    static readonly string[] Columns =
    [
        "dimension", "key", "name", "period", "routed", "delivered", "pushesFinished", "deliverySuccessRate", "avgResponseMs", "p95ResponseMs",
        "accepted", "rejected", "duplicates", "converted", "acceptedRate", "rejectedRate", "duplicateRate", "conversionRate", "deposits",
        "revenue", "capUtilisation", "share", "targetShare",
    ];

    /// <summary>The report as CSV (RFC 4180, invariant numbers): one line per row; revenue as <c>EUR 20.00;USD 150.00</c>.</summary>
    public string ToCsv()
    {
        var sb = new StringBuilder(string.Join(',', Columns)).Append("\r\n");
        foreach (var r in Brokers.Concat(Countries).Concat(Priorities))
        {
            object?[] cells =
            [
                r.Dimension, r.Key, r.Name, r.Period.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), r.Routed, r.Delivered, r.PushesFinished,
                r.DeliverySuccessRate, r.AvgResponseMs, r.P95ResponseMs, r.Accepted, r.Rejected, r.Duplicates, r.Converted, r.AcceptedRate,
                r.RejectedRate, r.DuplicateRate, r.ConversionRate, r.Deposits,
                string.Join(';', r.Revenue.Select(x => $"{x.Currency} {x.Amount.ToString(CultureInfo.InvariantCulture)}")),
                r.CapUtilisation, r.Share, r.TargetShare,
            ];
            sb.Append(string.Join(',', cells.Select(Cell))).Append("\r\n");
        }

        return sb.ToString();
    }

    static string Cell(object? v)
    {
        var s = v switch { null => "", IFormattable f => f.ToString(null, CultureInfo.InvariantCulture), _ => v.ToString() ?? "" };
        return s.IndexOfAny([',', '"', '\r', '\n']) >= 0 ? "\"" + s.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : s;
    }
}

/// <summary>
/// Broker performance analytics, read from the daily rollups the database keeps per routing cell (UTC routing day,
/// broker, country, priority): <see cref="BrokerReportDay"/>, <see cref="BrokerReportRevenue"/> and the response-time
/// histograms <see cref="BrokerReportResponseTime"/>, which triggers update in the transaction of every routing,
/// delivery, push attempt and postback (see the <c>BrokerReportRollups</c> migration). A report reads the rows of its
/// days only (at most cells × days rows, plus one histogram row per distinct duration of a cell and day), sums them per
/// period and per broker, country and priority tier (each lead has one routing row, so lead counts add up), and takes
/// the nearest-rank p95 and the mean from the merged histograms, exactly as from the attempts themselves.
/// </summary>
public sealed class BrokerReport(IDbContextFactory<LeadRouterDb> dbs)
{
    /// <summary>Most periods in one report.</summary>
    public const int MaxPeriods = 1000;

    /// <summary>
    /// The report over the UTC days <paramref name="from"/> to <paramref name="to"/> (both included), one period per day,
    /// ISO week or calendar month (the first and last may be partial).
    /// </summary>
    /// <exception cref="InputException">The range is reversed or has more than <see cref="MaxPeriods"/> periods.</exception>
    public async Task<BrokerReportDto> RunAsync(DateOnly from, DateOnly to, ReportGrouping groupBy, CancellationToken ct)
    {
        if (to < from) throw new InputException("to", "The end date is before the start date.");
        var starts = Periods(from, to, groupBy);
        if (starts.Count > MaxPeriods) throw new InputException("groupBy", $"At most {MaxPeriods} periods per report; group by a longer period.");
        var bucketOfDay = new int[to.DayNumber - from.DayNumber + 1];
        for (var b = 0; b < starts.Count; b++)
        {
            var end = b + 1 < starts.Count ? starts[b + 1].DayNumber : to.DayNumber + 1;
            for (var d = starts[b].DayNumber; d < end; d++) bucketOfDay[d - from.DayNumber] = b;
        }

        int Bucket(DateOnly day) => bucketOfDay[day.DayNumber - from.DayNumber];

        await using var db = await dbs.CreateDbContextAsync(ct);
        // One snapshot for the three reads, so a write committed in between cannot be half counted: a deferred (read)
        // transaction on SQLite, which takes no write lock; REPEATABLE READ on PostgreSQL.
        await db.Database.OpenConnectionAsync(ct);
        await using var snapshot = db.Database.GetDbConnection() is SqliteConnection sqlite
            ? sqlite.BeginTransaction(deferred: true)
            : await db.Database.GetDbConnection().BeginTransactionAsync(IsolationLevel.RepeatableRead, ct);
        await db.Database.UseTransactionAsync(snapshot, ct);

        var cells = new Dictionary<Cell, Figures>();
        await foreach (var r in db.BrokerReportDays.AsNoTracking().Where(r => r.Day >= from && r.Day <= to && r.Routed != 0)
            .AsAsyncEnumerable().WithCancellation(ct))
        {
            var key = new Cell(r.BrokerId, r.Country, r.Priority, Bucket(r.Day));
            if (!cells.TryGetValue(key, out var f)) cells[key] = f = new Figures();
            f.Add(r);
        }

        await foreach (var r in db.BrokerReportRevenue.AsNoTracking().Where(r => r.Day >= from && r.Day <= to && r.Deposits != 0)
            .AsAsyncEnumerable().WithCancellation(ct))
            if (cells.TryGetValue(new Cell(r.BrokerId, r.Country, r.Priority, Bucket(r.Day)), out var f))
                f.AddRevenue(r.Currency, r.Deposits, r.AmountMinor);

        // Dimensions: each finest cell of a period belongs to one broker, one country and one priority row of that period.
        var dimensions = new (string Name, Func<Cell, string> Key)[]
        {
            ("broker", c => c.BrokerId.ToString(CultureInfo.InvariantCulture)),
            ("country", c => c.Country),
            ("priority", c => c.Priority.ToString(CultureInfo.InvariantCulture)),
        };
        var rowsOf = dimensions.Select(_ => new Dictionary<(string Key, int Bucket), Figures>()).ToArray();
        var groupsOfCell = new Dictionary<Cell, Figures[]>();
        foreach (var (cell, figures) in cells)
        {
            var groups = new Figures[dimensions.Length];
            for (var i = 0; i < dimensions.Length; i++)
            {
                var key = (dimensions[i].Key(cell), cell.Bucket);
                if (!rowsOf[i].TryGetValue(key, out var row)) rowsOf[i][key] = row = new Figures();
                row.Add(figures);
                groups[i] = row;
            }

            groupsOfCell[cell] = groups;
        }

        // Response times: the one large read (up to a row per cell, day and distinct duration), so it goes through a plain
        // data reader rather than EF materialisation; every row is added to the histograms of its three report rows.
        var sqliteDays = db.Database.GetDbConnection() is SqliteConnection;
        var bucketOfText = Enumerable.Range(0, bucketOfDay.Length)
            .ToDictionary(i => from.AddDays(i).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), i => bucketOfDay[i], StringComparer.Ordinal);
        await using (var cmd = db.Database.GetDbConnection().CreateCommand())
        {
            cmd.Transaction = snapshot;
            cmd.CommandText = """
                SELECT "Day", "BrokerId", "Country", "Priority", "DurationMs", "Attempts" FROM "BrokerReportResponseTimes"
                WHERE "Day" >= @from AND "Day" <= @to AND "Attempts" <> 0
                """;
            foreach (var (name, day) in new[] { ("from", from), ("to", to) })
            {
                var parameter = cmd.CreateParameter();
                parameter.ParameterName = name;
                // SQLite keeps a DateOnly as yyyy-MM-dd text (EF's mapping); PostgreSQL as a date.
                parameter.Value = sqliteDays ? day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) : day;
                cmd.Parameters.Add(parameter);
            }

            await using var reader = await cmd.ExecuteReaderAsync(ct);
            Cell last = default;
            Figures[]? lastGroups = null;
            while (await reader.ReadAsync(ct))
            {
                var bucket = sqliteDays ? bucketOfText[reader.GetString(0)] : Bucket(reader.GetFieldValue<DateOnly>(0));
                var cell = new Cell(reader.GetInt64(1), reader.GetString(2), reader.GetInt32(3), bucket);
                if (lastGroups is null || !cell.Equals(last))
                {
                    last = cell;
                    lastGroups = groupsOfCell.GetValueOrDefault(cell) ?? [];
                }

                var (ms, attempts) = (reader.GetInt32(4), reader.GetInt64(5));
                foreach (var row in lastGroups) row.AddTime(ms, attempts);
            }
        }

        await snapshot.CommitAsync(ct);
        await db.Database.UseTransactionAsync(null, ct);

        var brokerIds = cells.Keys.Select(c => c.BrokerId).Distinct().ToList();
        var brokers = await db.Brokers.AsNoTracking().Where(b => brokerIds.Contains(b.Id) || (b.DeletedAt == null && b.Active)).ToListAsync(ct);
        var weightAt = brokers.Where(b => b.DeletedAt == null && b.Active && b.Weight > 0).GroupBy(b => b.Priority).ToDictionary(g => g.Key, g => g.Sum(b => b.Weight));
        var byId = brokers.ToDictionary(b => b.Id);
        var routedAtPriority = cells.GroupBy(c => (c.Key.Priority, c.Key.Bucket)).ToDictionary(g => g.Key, g => g.Sum(c => c.Value.Routed));
        var prioritiesOf = cells.Keys.GroupBy(c => (c.BrokerId, c.Bucket)).ToDictionary(g => g.Key, g => g.Select(c => c.Priority).Distinct().ToList());

        List<ReportRow> Roll(int dimension, Func<string, string?> name, Func<string, int, long, (double?, double?, double?)> extra) =>
            rowsOf[dimension].Select(kv =>
            {
                var ((k, bucket), f) = (kv.Key, kv.Value);
                var histogram = f.Histogram();
                long attempts = 0;
                Int128 total = 0;
                foreach (var (value, count) in histogram)
                {
                    attempts += count;
                    total += (Int128)value * count;
                }

                double? avg = attempts == 0 ? null : Math.Round((double)((decimal)total / attempts), 1);
                var money = f.Revenue.Select(r => new RevenueDto(r.Key, r.Value.Deposits, Currencies.FromMinor(r.Value.Minor, r.Key)))
                    .OrderBy(r => r.Currency, StringComparer.Ordinal).ToList();
                var finished = f.Delivered + f.Rejected + f.Dead;
                var (cap, share, target) = extra(k, bucket, f.Routed);
                return new ReportRow(dimensions[dimension].Name, k, name(k), starts[bucket], f.Routed, f.DeliveredLeads, finished,
                    Rate(f.Delivered, finished), avg, PostbackRules.NearestRankOfSorted(histogram, 95),
                    f.AcceptedLeads, f.RejectedLeads, f.DuplicateLeads, f.ConvertedLeads,
                    Rate(f.AcceptedLeads, f.DeliveredLeads), Rate(f.RejectedLeads, f.DeliveredLeads),
                    Rate(f.DuplicateLeads, f.DeliveredLeads), Rate(f.ConvertedLeads, f.DeliveredLeads),
                    f.Deposits, money, cap, share, target);
            }).ToList();

        var byBroker = Roll(0,
            k => byId.TryGetValue(long.Parse(k, CultureInfo.InvariantCulture), out var b) ? b.Name : null,
            (k, bucket, n) =>
            {
                if (!byId.TryGetValue(long.Parse(k, CultureInfo.InvariantCulture), out var b)) return (null, null, null);
                var bucketEnd = bucket + 1 < starts.Count ? starts[bucket + 1] : to.AddDays(1);
                var capacity = Capacity(b, starts[bucket], bucketEnd);
                var atPriority = prioritiesOf[(b.Id, bucket)].Sum(p => routedAtPriority[(p, bucket)]);
                double? share = atPriority == 0 ? null : Rate(n, atPriority);
                double target = b.DeletedAt == null && b.Active && b.Weight > 0 && weightAt.TryGetValue(b.Priority, out var w) ? Rate(b.Weight, w) : 0;
                return (capacity is { } c && c > 0 ? Math.Round((double)(n / c), 4) : null, share, target);
            })
            .OrderByDescending(r => r.Name is null ? int.MinValue : byId[long.Parse(r.Key, CultureInfo.InvariantCulture)].Priority)
            .ThenBy(r => r.Name, StringComparer.Ordinal).ThenBy(r => r.Period).ToList();
        var byCountry = Roll(1, _ => null, (_, _, _) => (null, null, null))
            .OrderBy(r => r.Key, StringComparer.Ordinal).ThenBy(r => r.Period).ToList();
        var byPriority = Roll(2, _ => null, (_, _, _) => (null, null, null))
            .OrderByDescending(r => int.Parse(r.Key, CultureInfo.InvariantCulture)).ThenBy(r => r.Period).ToList();
        return new BrokerReportDto(from, to, groupBy.ToString().ToLowerInvariant(), byBroker, byCountry, byPriority);
    }

    /// <summary>The finest grain of a report: one routing cell in one period.</summary>
    readonly record struct Cell(long BrokerId, string Country, int Priority, int Bucket);

    /// <summary>Sums of rollup rows (a cell's, or a report row's): counts, revenue per currency, response-time histogram.</summary>
    sealed class Figures
    {
        public long Routed, DeliveredLeads, Delivered, Rejected, Dead, AcceptedLeads, RejectedLeads, DuplicateLeads, ConvertedLeads, Deposits;
        public Dictionary<string, (long Deposits, long Minor)> Revenue { get; } = new(StringComparer.Ordinal);
        readonly List<int> timeValues = [];
        readonly List<long> timeCounts = [];

        public void Add(BrokerReportDay r)
        {
            Routed += r.Routed;
            DeliveredLeads += r.DeliveredLeads;
            Delivered += r.Delivered;
            Rejected += r.Rejected;
            Dead += r.Dead;
            AcceptedLeads += r.AcceptedLeads;
            RejectedLeads += r.RejectedLeads;
            DuplicateLeads += r.DuplicateLeads;
            ConvertedLeads += r.ConvertedLeads;
            Deposits += r.Deposits;
        }

        public void Add(Figures f)
        {
            Routed += f.Routed;
            DeliveredLeads += f.DeliveredLeads;
            Delivered += f.Delivered;
            Rejected += f.Rejected;
            Dead += f.Dead;
            AcceptedLeads += f.AcceptedLeads;
            RejectedLeads += f.RejectedLeads;
            DuplicateLeads += f.DuplicateLeads;
            ConvertedLeads += f.ConvertedLeads;
            Deposits += f.Deposits;
            foreach (var (currency, (deposits, minor)) in f.Revenue) AddRevenue(currency, deposits, minor);
        }

        public void AddRevenue(string currency, long deposits, long minor)
        {
            var (d, m) = Revenue.GetValueOrDefault(currency);
            Revenue[currency] = (d + deposits, m + minor);
        }

        /// <summary>Adds <paramref name="attempts"/> attempts of <paramref name="ms"/> milliseconds (merged by <see cref="Histogram"/>).</summary>
        public void AddTime(int ms, long attempts)
        {
            timeValues.Add(ms);
            timeCounts.Add(attempts);
        }

        /// <summary>The response-time histogram: (milliseconds, attempts), ascending, one entry per duration.</summary>
        public List<(int Value, long Count)> Histogram()
        {
            var values = CollectionsMarshal.AsSpan(timeValues);
            var counts = CollectionsMarshal.AsSpan(timeCounts);
            values.Sort(counts);
            var histogram = new List<(int Value, long Count)>();
            for (var i = 0; i < values.Length; i++)
                if (histogram.Count > 0 && histogram[^1].Value == values[i]) histogram[^1] = (values[i], histogram[^1].Count + counts[i]);
                else histogram.Add((values[i], counts[i]));
            return histogram;
        }
    }

    static double Rate(long part, long whole) => whole == 0 ? 0 : Math.Round((double)part / whole, 4);

    /// <summary>
    /// The broker's capacity over [<paramref name="start"/>, <paramref name="end"/>): the tightest of its hourly cap × hours,
    /// daily cap × days and monthly cap × the months covered (each day counting 1/days-in-its-month); null without caps.
    /// </summary>
    internal static decimal? Capacity(Broker b, DateOnly start, DateOnly end)
    {
        var days = end.DayNumber - start.DayNumber;
        decimal months = 0;
        for (var d = start; d < end; d = d.AddDays(1)) months += 1m / DateTime.DaysInMonth(d.Year, d.Month);
        decimal? best = null;
        void Take(decimal? c) { if (c is { } v && (best is null || v < best)) best = v; }
        Take(b.HourlyCap * 24m * days);
        Take(b.DailyCap * (decimal)days);
        Take(b.MonthlyCap * Math.Round(months, 10));
        return best;
    }

    /// <summary>The first day of each period from <paramref name="from"/> to <paramref name="to"/> (the first may be partial).</summary>
    internal static List<DateOnly> Periods(DateOnly from, DateOnly to, ReportGrouping groupBy)
    {
        var starts = new List<DateOnly>();
        for (var d = from; d <= to && starts.Count <= MaxPeriods;)
        {
            starts.Add(d);
            d = groupBy switch
            {
                ReportGrouping.Day => d.AddDays(1),
                ReportGrouping.Week => d.AddDays(7 - ((int)d.DayOfWeek + 6) % 7),
                _ => new DateOnly(d.Year, d.Month, 1).AddMonths(1),
            };
        }

        return starts;
    }
}

/// <summary>Routes of the reports: <c>GET /api/v1/reports/brokers?from&amp;to&amp;groupBy=day|week|month[&amp;format=csv]</c>, admins only.</summary>
public static class BrokerReportEndpoints
{
    public static IEndpointRouteBuilder MapBrokerReports(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v1/reports/brokers", Get).WithTags("Reports").RequireAuthorization(Roles.AdminPolicy);
        return app;
    }

    static async Task<IResult> Get(DateOnly from, DateOnly to, string? groupBy, string? format, BrokerReport report, CancellationToken ct)
    {
        var grouping = ParseGrouping(groupBy);
        var csv = format?.ToLowerInvariant() switch
        {
            null or "" or "json" => false,
            "csv" => true,
            _ => throw new InputException("format", "json (default) or csv."),
        };
        var dto = await report.RunAsync(from, to, grouping, ct);
        return csv
            ? TypedResults.Text(dto.ToCsv(), "text/csv; charset=utf-8")
            : TypedResults.Ok(dto);
    }

    /// <exception cref="InputException">Not day, week or month.</exception>
    public static ReportGrouping ParseGrouping(string? groupBy) => groupBy?.ToLowerInvariant() switch
    {
        null or "" or "day" => ReportGrouping.Day,
        "week" => ReportGrouping.Week,
        "month" => ReportGrouping.Month,
        _ => throw new InputException("groupBy", "day, week or month."),
    };
}
