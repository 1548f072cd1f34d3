using System.Globalization;

namespace LeadRouter.Web.Features.Brokers;

/// <summary>One named line or set of bars of a chart; a null value is a gap (nothing to measure there).</summary>
public sealed record ChartLine(string Name, IReadOnlyList<double?> Values);

/// <summary>A chart's categories (periods or brokers) and its lines, one value per category each.</summary>
public sealed record ChartFigures(IReadOnlyList<string> Labels, IReadOnlyList<ChartLine> Lines)
{
    /// <summary>True when no line has a value above zero.</summary>
    public bool IsEmpty => Lines.All(l => l.Values.All(v => v is null or 0));
}

/// <summary>One broker's figures over a whole report range: sums of the report's rows, and rates of those sums.</summary>
public sealed record BrokerRangeFigures(long BrokerId, string Name, long Routed, long Delivered, long Converted, double ConversionRate,
    IReadOnlyList<RevenueDto> Revenue);

/// <summary>
/// The broker page's charts, read from a <see cref="BrokerReportDto"/>: only the report's own figures, laid out per period or
/// per broker. Over a whole range, counts and revenue are sums of the period rows (each lead is in one period's cohort) and
/// the conversion rate is converted ÷ delivered of those sums, the report's own definition; response times and shares stay
/// per period, since a period's average, p95 or share cannot be added to another's.
/// </summary>
public static class BrokerChartData
{
    /// <summary>Every period of the report (also those with nothing routed), as chart labels.</summary>
    public static IReadOnlyList<DateOnly> Periods(BrokerReportDto report) =>
        BrokerReport.Periods(report.From, report.To, BrokerReportEndpoints.ParseGrouping(report.GroupBy));

    /// <summary>"Jan 6" for days and weeks (the week's first day), "Jan 2025" for months.</summary>
    public static string Label(DateOnly period, string groupBy) =>
        period.ToString(groupBy == "month" ? "MMM yyyy" : "MMM d", CultureInfo.InvariantCulture);

    /// <summary>Leads routed and delivered per period: of one broker, or of every broker when <paramref name="brokerId"/> is null.</summary>
    public static ChartFigures Volume(BrokerReportDto report, long? brokerId)
    {
        var periods = Periods(report);
        var rows = report.Brokers.Where(r => brokerId is null || r.Key == Key(brokerId.Value)).ToLookup(r => r.Period);
        return new ChartFigures(periods.Select(p => Label(p, report.GroupBy)).ToList(),
        [
            new ChartLine("Routed", periods.Select(p => (double?)rows[p].Sum(r => r.Routed)).ToList()),
            new ChartLine("Delivered", periods.Select(p => (double?)rows[p].Sum(r => r.Delivered)).ToList()),
        ]);
    }

    /// <summary>Each broker's totals over the range, in the report's broker order.</summary>
    public static IReadOnlyList<BrokerRangeFigures> ByBroker(BrokerReportDto report) =>
        report.Brokers.GroupBy(r => r.Key).Select(g =>
        {
            var delivered = g.Sum(r => r.Delivered);
            var converted = g.Sum(r => r.Converted);
            var revenue = g.SelectMany(r => r.Revenue).GroupBy(x => x.Currency)
                .Select(c => new RevenueDto(c.Key, c.Sum(x => x.Deposits), c.Sum(x => x.Amount)))
                .OrderBy(x => x.Currency, StringComparer.Ordinal).ToList();
            return new BrokerRangeFigures(long.Parse(g.Key, CultureInfo.InvariantCulture), NameOf(g.First()), g.Sum(r => r.Routed), delivered,
                converted, delivered == 0 ? 0 : Math.Round((double)converted / delivered, 4), revenue);
        }).ToList();

    /// <summary>Conversion rate (converted ÷ delivered, in percent) per broker over the range.</summary>
    public static ChartFigures Conversion(BrokerReportDto report)
    {
        var brokers = ByBroker(report);
        return new ChartFigures(brokers.Select(b => b.Name).ToList(),
            [new ChartLine("Conversion rate %", brokers.Select(b => (double?)Math.Round(b.ConversionRate * 100, 2)).ToList())]);
    }

    /// <summary>Revenue per broker over the range: one set of bars per currency (amounts are never added across currencies).</summary>
    public static ChartFigures Revenue(BrokerReportDto report)
    {
        var brokers = ByBroker(report);
        var currencies = brokers.SelectMany(b => b.Revenue).Select(r => r.Currency).Distinct().Order(StringComparer.Ordinal).ToList();
        return new ChartFigures(brokers.Select(b => b.Name).ToList(), currencies.Select(c => new ChartLine(c,
            brokers.Select(b => (double?)(double)(b.Revenue.FirstOrDefault(r => r.Currency == c)?.Amount ?? 0m)).ToList())).ToList());
    }

    /// <summary>One broker's average and p95 push response time per period (gaps where no push was attempted).</summary>
    public static ChartFigures ResponseTime(BrokerReportDto report, long brokerId)
    {
        var periods = Periods(report);
        var rows = report.Brokers.Where(r => r.Key == Key(brokerId)).ToDictionary(r => r.Period);
        return new ChartFigures(periods.Select(p => Label(p, report.GroupBy)).ToList(),
        [
            new ChartLine("Average ms", periods.Select(p => rows.TryGetValue(p, out var r) ? r.AvgResponseMs : null).ToList()),
            new ChartLine("p95 ms", periods.Select(p => rows.TryGetValue(p, out var r) ? (double?)r.P95ResponseMs : null).ToList()),
        ]);
    }

    /// <summary>
    /// One broker's share of the leads routed at its priority per period against its target share, in percent (a gap where
    /// nothing was routed to the broker: the report has no row to say what its priority received then).
    /// </summary>
    public static ChartFigures Share(BrokerReportDto report, long brokerId)
    {
        var periods = Periods(report);
        var key = Key(brokerId);
        var rows = report.Brokers.Where(r => r.Key == key).ToDictionary(r => r.Period);
        var target = rows.Values.Select(r => r.TargetShare).FirstOrDefault(t => t is not null);
        return new ChartFigures(periods.Select(p => Label(p, report.GroupBy)).ToList(),
        [
            new ChartLine("Share %", periods.Select(p => rows.TryGetValue(p, out var r) ? Percent(r.Share) : null).ToList()),
            new ChartLine("Target %", periods.Select(_ => Percent(target)).ToList()),
        ]);
    }

    static double? Percent(double? share) => share is { } s ? Math.Round(s * 100, 2) : null;

    static string Key(long brokerId) => brokerId.ToString(CultureInfo.InvariantCulture);

    static string NameOf(ReportRow r) => r.Name ?? $"broker {r.Key}";
}
