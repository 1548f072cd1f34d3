using System.Data;
using System.Globalization;
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
/// delivery, push attempt and postback (see the <c>BrokerReportRollups</c> migration). The database sums the rollups of
/// the report's days per period and per broker, country and priority tier (each lead has one routing row, so lead counts
/// add up) in grouped queries (<see cref="BrokerReportQueries"/>), and the mean and the nearest-rank p95 come from the
/// merged histograms, exactly as from the attempts themselves.
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

        await using var db = await dbs.CreateDbContextAsync(ct);
        // One snapshot for the three reads, so a write committed in between cannot be half counted: a deferred (read)
        // transaction on SQLite, which takes no write lock; REPEATABLE READ on PostgreSQL.
        await db.Database.OpenConnectionAsync(ct);
        await using var snapshot = db.Database.GetDbConnection() is SqliteConnection sqlite
            ? sqlite.BeginTransaction(deferred: true)
            : await db.Database.GetDbConnection().BeginTransactionAsync(IsolationLevel.RepeatableRead, ct);
        var totals = await BrokerReportQueries.TotalsAsync(snapshot, from, to, groupBy, ct);
        var revenue = await BrokerReportQueries.RevenueAsync(snapshot, from, to, groupBy, ct);
        var times = await BrokerReportQueries.TimesAsync(snapshot, from, to, starts, ct);
        await snapshot.CommitAsync(ct);

        var bucketOf = starts.Select((start, i) => (start, i)).ToDictionary(x => x.start, x => x.i);
        var rows = new Dictionary<ReportKey, Figures>();
        var prioritiesOf = new Dictionary<(long BrokerId, int Bucket), List<int>>();
        var routedAtPriority = new Dictionary<(int Priority, int Bucket), long>();
        foreach (var t in totals)
        {
            var k = t.Key;
            if (k.Dimension == ReportDimension.BrokerPriority)
            {
                var at = (k.BrokerId!.Value, bucketOf[k.Period]);
                if (!prioritiesOf.TryGetValue(at, out var list)) prioritiesOf[at] = list = [];
                list.Add(k.Priority!.Value);
                continue;
            }

            rows[k] = new Figures(t);
            if (k.Dimension == ReportDimension.Priority) routedAtPriority[(k.Priority!.Value, bucketOf[k.Period])] = t.Routed;
        }

        foreach (var r in revenue)
            if (rows.TryGetValue(r.Key, out var f))
                f.Revenue[r.Currency] = (r.Deposits, r.AmountMinor);
        foreach (var t in times)
            if (rows.TryGetValue(t.Key, out var f))
                f.Times = t;

        var brokerIds = rows.Keys.Where(k => k.Dimension == ReportDimension.Broker).Select(k => k.BrokerId!.Value).ToList();
        var brokers = await db.Brokers.AsNoTracking().Where(b => brokerIds.Contains(b.Id) || (b.DeletedAt == null && b.Active)).ToListAsync(ct);
        var weightAt = brokers.Where(b => b.DeletedAt == null && b.Active && b.Weight > 0).GroupBy(b => b.Priority).ToDictionary(g => g.Key, g => g.Sum(b => b.Weight));
        var byId = brokers.ToDictionary(b => b.Id);

        List<ReportRow> Roll(ReportDimension dimension, Func<ReportKey, string> key, Func<string, string?> name, Func<string, int, long, (double?, double?, double?)> extra) =>
            rows.Where(kv => kv.Key.Dimension == dimension).Select(kv =>
            {
                var (k, f) = (key(kv.Key), kv.Value);
                var bucket = bucketOf[kv.Key.Period];
                double? avg = f.Times is { Attempts: > 0 } t ? Math.Round((double)(t.TotalMs / t.Attempts), 1) : null;
                var money = f.Revenue.Select(r => new RevenueDto(r.Key, r.Value.Deposits, Currencies.FromMinor(r.Value.Minor, r.Key)))
                    .OrderBy(r => r.Currency, StringComparer.Ordinal).ToList();
                var finished = f.Delivered + f.Rejected + f.Dead;
                var (cap, share, target) = extra(k, bucket, f.Routed);
                return new ReportRow(dimension.ToString().ToLowerInvariant(), k, name(k), starts[bucket], f.Routed, f.DeliveredLeads, finished,
                    Rate(f.Delivered, finished), avg, f.Times?.P95Ms,
                    f.AcceptedLeads, f.RejectedLeads, f.DuplicateLeads, f.ConvertedLeads,
                    Rate(f.AcceptedLeads, f.DeliveredLeads), Rate(f.RejectedLeads, f.DeliveredLeads),
                    Rate(f.DuplicateLeads, f.DeliveredLeads), Rate(f.ConvertedLeads, f.DeliveredLeads),
                    f.Deposits, money, cap, share, target);
            }).ToList();

        var byBroker = Roll(ReportDimension.Broker, k => k.BrokerId!.Value.ToString(CultureInfo.InvariantCulture),
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
        var byCountry = Roll(ReportDimension.Country, k => k.Country!, _ => null, (_, _, _) => (null, null, null))
            .OrderBy(r => r.Key, StringComparer.Ordinal).ThenBy(r => r.Period).ToList();
        var byPriority = Roll(ReportDimension.Priority, k => k.Priority!.Value.ToString(CultureInfo.InvariantCulture), _ => null, (_, _, _) => (null, null, null))
            .OrderByDescending(r => int.Parse(r.Key, CultureInfo.InvariantCulture)).ThenBy(r => r.Period).ToList();
        return new BrokerReportDto(from, to, groupBy.ToString().ToLowerInvariant(), byBroker, byCountry, byPriority);
    }

    /// <summary>The figures of one report row: its summed rollups, revenue per currency and response times.</summary>
    sealed class Figures(ReportTotals t)
    {
        public long Routed => t.Routed;
        public long DeliveredLeads => t.DeliveredLeads;
        public long Delivered => t.Delivered;
        public long Rejected => t.Rejected;
        public long Dead => t.Dead;
        public long AcceptedLeads => t.AcceptedLeads;
        public long RejectedLeads => t.RejectedLeads;
        public long DuplicateLeads => t.DuplicateLeads;
        public long ConvertedLeads => t.ConvertedLeads;
        public long Deposits => t.Deposits;
        public Dictionary<string, (long Deposits, long Minor)> Revenue { get; } = new(StringComparer.Ordinal);
        public ReportTimes? Times { get; set; }
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
