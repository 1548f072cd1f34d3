using System.Globalization;
using System.Linq.Expressions;
using System.Text;
using LeadRouter.Data;
using LeadRouter.Data.Brokers;
using LeadRouter.Domain.Postbacks;
using LeadRouter.Web.Features.Accounts;
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
/// Broker performance analytics. Every figure comes from grouped queries in the database at the finest grain (broker,
/// country, priority, period), with the period computed in SQL from bucket boundaries made here; broker, country and
/// priority rows are sums of those cells (each lead has one routing row, so lead counts add up). Response-time
/// percentiles come from a per-millisecond histogram the database groups.
/// </summary>
public sealed class BrokerReport(IDbContextFactory<LeadRouterDb> dbs)
{
    /// <summary>Most periods in one report.</summary>
    public const int MaxPeriods = 1000;

    /// <exception cref="InputException">The range is reversed or has more than <see cref="MaxPeriods"/> periods.</exception>
    public async Task<BrokerReportDto> RunAsync(DateOnly from, DateOnly to, ReportGrouping groupBy, CancellationToken ct)
    {
        if (to < from) throw new InputException("to", "The end date is before the start date.");
        var starts = Periods(from, to, groupBy);
        if (starts.Count > MaxPeriods) throw new InputException("groupBy", $"At most {MaxPeriods} periods per report; group by a longer period.");
        var bounds = starts.Select(d => new DateTimeOffset(d.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero)).ToList();
        var begin = bounds[0];
        var end = new DateTimeOffset(to.AddDays(1).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);

        await using var db = await dbs.CreateDbContextAsync(ct);
        var cohort = db.BrokerAssignments.Where(a => a.RoutedAt >= begin && a.RoutedAt < end);

        var routed = await cohort
            .SelectBucketed(a => a.RoutedAt, bounds, (a, b) => new { a.BrokerId, a.Country, a.Priority, Bucket = b })
            .GroupBy(x => new { x.BrokerId, x.Country, x.Priority, x.Bucket })
            .Select(g => new { g.Key.BrokerId, g.Key.Country, g.Key.Priority, g.Key.Bucket, Count = g.LongCount() })
            .ToListAsync(ct);

        var deliveries = await (from d in db.Deliveries
                                where d.Status != DeliveryStatus.Pending
                                join a in cohort on new { d.LeadId, d.BrokerId } equals new { a.LeadId, a.BrokerId }
                                select new { d, a })
            .SelectBucketed(x => x.a.RoutedAt, bounds, (x, b) => new { x.a.BrokerId, x.a.Country, x.a.Priority, Bucket = b, x.d.Status, x.d.LeadId })
            .GroupBy(x => new { x.BrokerId, x.Country, x.Priority, x.Bucket, x.Status })
            .Select(g => new
            {
                g.Key.BrokerId,
                g.Key.Country,
                g.Key.Priority,
                g.Key.Bucket,
                g.Key.Status,
                Count = g.LongCount(),
                Leads = g.Select(y => y.LeadId).Distinct().LongCount(),
            })
            .ToListAsync(ct);

        var timings = await (from l in db.PushLogs
                             where !l.Test && l.LeadId != null
                             join a in cohort on new { LeadId = l.LeadId!.Value, l.BrokerId } equals new { a.LeadId, a.BrokerId }
                             select new { l, a })
            .SelectBucketed(x => x.a.RoutedAt, bounds, (x, b) => new { x.a.BrokerId, x.a.Country, x.a.Priority, Bucket = b, x.l.DurationMs })
            .GroupBy(x => new { x.BrokerId, x.Country, x.Priority, x.Bucket, x.DurationMs })
            .Select(g => new { g.Key.BrokerId, g.Key.Country, g.Key.Priority, g.Key.Bucket, g.Key.DurationMs, Count = g.LongCount() })
            .ToListAsync(ct);

        var events = await (from e in db.LeadEvents
                            join a in cohort on new { e.LeadId, e.BrokerId } equals new { a.LeadId, a.BrokerId }
                            select new { e, a })
            .SelectBucketed(x => x.a.RoutedAt, bounds, (x, b) => new { x.a.BrokerId, x.a.Country, x.a.Priority, Bucket = b, x.e.Event, x.e.LeadId })
            .GroupBy(x => new { x.BrokerId, x.Country, x.Priority, x.Bucket, x.Event })
            .Select(g => new
            {
                g.Key.BrokerId,
                g.Key.Country,
                g.Key.Priority,
                g.Key.Bucket,
                g.Key.Event,
                Count = g.LongCount(),
                Leads = g.Select(y => y.LeadId).Distinct().LongCount(),
            })
            .ToListAsync(ct);

        var revenue = await (from e in db.LeadEvents
                             where e.Event == PostbackEvent.Deposit && e.AmountMinor != null && e.Currency != null
                             join a in cohort on new { e.LeadId, e.BrokerId } equals new { a.LeadId, a.BrokerId }
                             select new { e, a })
            .SelectBucketed(x => x.a.RoutedAt, bounds, (x, b) => new { x.a.BrokerId, x.a.Country, x.a.Priority, Bucket = b, x.e.Currency, x.e.AmountMinor })
            .GroupBy(x => new { x.BrokerId, x.Country, x.Priority, x.Bucket, x.Currency })
            .Select(g => new { g.Key.BrokerId, g.Key.Country, g.Key.Priority, g.Key.Bucket, g.Key.Currency, Count = g.LongCount(), Sum = g.Sum(y => y.AmountMinor!.Value) })
            .ToListAsync(ct);

        var brokerIds = routed.Select(r => r.BrokerId).Distinct().ToList();
        var brokers = await db.Brokers.AsNoTracking().Where(b => brokerIds.Contains(b.Id) || (b.DeletedAt == null && b.Active)).ToListAsync(ct);
        var weightAt = brokers.Where(b => b.DeletedAt == null && b.Active && b.Weight > 0).GroupBy(b => b.Priority).ToDictionary(g => g.Key, g => g.Sum(b => b.Weight));
        var byId = brokers.ToDictionary(b => b.Id);
        var routedAtPriority = routed.GroupBy(r => (r.Priority, r.Bucket)).ToDictionary(g => g.Key, g => g.Sum(r => r.Count));

        // Cells keyed by (dimension key, bucket); each dimension rolls the finest cells up.
        List<ReportRow> Roll(string dimension, Func<long, string, int, string> key, Func<string, string?> name, Func<string, int, long, (double?, double?, double?)> extra)
        {
            var routedBy = routed.ToLookup(r => (key(r.BrokerId, r.Country, r.Priority), r.Bucket));
            var deliveriesBy = deliveries.ToLookup(r => (key(r.BrokerId, r.Country, r.Priority), r.Bucket));
            var timingsBy = timings.ToLookup(r => (key(r.BrokerId, r.Country, r.Priority), r.Bucket));
            var eventsBy = events.ToLookup(r => (key(r.BrokerId, r.Country, r.Priority), r.Bucket));
            var revenueBy = revenue.ToLookup(r => (key(r.BrokerId, r.Country, r.Priority), r.Bucket));
            var rows = new List<ReportRow>();
            foreach (var cell in routedBy)
            {
                var (k, bucket) = cell.Key;
                var n = cell.Sum(r => r.Count);
                var ds = deliveriesBy[cell.Key].ToList();
                var delivered = ds.Where(d => d.Status == DeliveryStatus.Delivered).Sum(d => d.Leads);
                var finished = ds.Sum(d => d.Count);
                var success = Rate(ds.Where(d => d.Status == DeliveryStatus.Delivered).Sum(d => d.Count), finished);
                var histogram = timingsBy[cell.Key].GroupBy(t => t.DurationMs).Select(g => (Value: g.Key, Count: g.Sum(t => t.Count))).ToList();
                var attempts = histogram.Sum(h => h.Count);
                double? avg = attempts == 0 ? null : Math.Round((double)(histogram.Sum(h => (decimal)h.Value * h.Count) / attempts), 1);
                var es = eventsBy[cell.Key].ToList();
                long Leads(PostbackEvent ev) => es.Where(e => e.Event == ev).Sum(e => e.Leads);
                var money = revenueBy[cell.Key]
                    .GroupBy(r => r.Currency!)
                    .Select(g => new RevenueDto(g.Key, g.Sum(r => r.Count), Currencies.FromMinor(g.Sum(r => r.Sum), g.Key)))
                    .OrderBy(r => r.Currency, StringComparer.Ordinal).ToList();
                var (cap, share, target) = extra(k, bucket, n);
                rows.Add(new ReportRow(dimension, k, name(k), starts[bucket], n, delivered, finished, success, avg,
                    PostbackRules.NearestRank(histogram, 95),
                    Leads(PostbackEvent.Accepted), Leads(PostbackEvent.Rejected), Leads(PostbackEvent.Duplicate), Leads(PostbackEvent.Converted),
                    Rate(Leads(PostbackEvent.Accepted), delivered), Rate(Leads(PostbackEvent.Rejected), delivered),
                    Rate(Leads(PostbackEvent.Duplicate), delivered), Rate(Leads(PostbackEvent.Converted), delivered),
                    es.Where(e => e.Event == PostbackEvent.Deposit).Sum(e => e.Count), money, cap, share, target));
            }

            return rows;
        }

        var byBroker = Roll("broker", (b, _, _) => b.ToString(CultureInfo.InvariantCulture),
            k => byId.TryGetValue(long.Parse(k, CultureInfo.InvariantCulture), out var b) ? b.Name : null,
            (k, bucket, n) =>
            {
                if (!byId.TryGetValue(long.Parse(k, CultureInfo.InvariantCulture), out var b)) return (null, null, null);
                var bucketEnd = bucket + 1 < starts.Count ? starts[bucket + 1] : to.AddDays(1);
                var capacity = Capacity(b, starts[bucket], bucketEnd);
                var atPriority = routed.Where(r => r.BrokerId == b.Id && r.Bucket == bucket).GroupBy(r => r.Priority)
                    .Sum(g => routedAtPriority[(g.Key, bucket)]);
                double? share = atPriority == 0 ? null : Rate(n, atPriority);
                double target = b.DeletedAt == null && b.Active && b.Weight > 0 && weightAt.TryGetValue(b.Priority, out var w) ? Rate(b.Weight, w) : 0;
                return (capacity is { } c && c > 0 ? Math.Round((double)(n / c), 4) : null, share, target);
            })
            .OrderByDescending(r => r.Name is null ? int.MinValue : byId[long.Parse(r.Key, CultureInfo.InvariantCulture)].Priority)
            .ThenBy(r => r.Name, StringComparer.Ordinal).ThenBy(r => r.Period).ToList();
        var byCountry = Roll("country", (_, c, _) => c, _ => null, (_, _, _) => (null, null, null))
            .OrderBy(r => r.Key, StringComparer.Ordinal).ThenBy(r => r.Period).ToList();
        var byPriority = Roll("priority", (_, _, p) => p.ToString(CultureInfo.InvariantCulture), _ => null, (_, _, _) => (null, null, null))
            .OrderByDescending(r => int.Parse(r.Key, CultureInfo.InvariantCulture)).ThenBy(r => r.Period).ToList();
        return new BrokerReportDto(from, to, groupBy.ToString().ToLowerInvariant(), byBroker, byCountry, byPriority);
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

/// <summary>The period of a row as a SQL expression: a balanced CASE over the bucket boundaries (index of the bucket).</summary>
static class PeriodBuckets
{
    /// <summary>Projects each row with the index of the period its <paramref name="time"/> falls in (rows are already in range).</summary>
    public static IQueryable<TResult> SelectBucketed<T, TResult>(this IQueryable<T> source, Expression<Func<T, DateTimeOffset>> time,
        IReadOnlyList<DateTimeOffset> starts, Expression<Func<T, int, TResult>> shape)
    {
        var row = shape.Parameters[0];
        var t = new Swap(time.Parameters[0], row).Visit(time.Body)!;
        var bucket = Build(t, starts, 0, starts.Count - 1);
        var body = new Swap(shape.Parameters[1], bucket).Visit(shape.Body)!;
        return source.Select(Expression.Lambda<Func<T, TResult>>(body, row));
    }

    static Expression Build(Expression t, IReadOnlyList<DateTimeOffset> starts, int lo, int hi)
    {
        if (lo == hi) return Expression.Constant(lo);
        var mid = (lo + hi + 1) / 2;
        return Expression.Condition(Expression.LessThan(t, Expression.Constant(starts[mid])), Build(t, starts, lo, mid - 1), Build(t, starts, mid, hi));
    }

    sealed class Swap(Expression from, Expression to) : ExpressionVisitor
    {
        public override Expression? Visit(Expression? node) => node == from ? to : base.Visit(node);
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
