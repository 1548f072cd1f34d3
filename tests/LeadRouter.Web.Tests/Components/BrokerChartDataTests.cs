using LeadRouter.Web.Features.Brokers;

namespace LeadRouter.Web.Tests.Components;

/// <summary>The broker page's chart figures, read from a hand-made report.</summary>
public sealed class BrokerChartDataTests
{
    static readonly DateOnly Jan6 = new(2025, 1, 6), Jan7 = new(2025, 1, 7), Jan8 = new(2025, 1, 8);

    static ReportRow Row(long broker, string name, DateOnly period, long routed, long delivered, long converted, double? avgMs = null, int? p95 = null,
        double? share = null, double? target = null, params RevenueDto[] revenue) =>
        new("broker", broker.ToString(System.Globalization.CultureInfo.InvariantCulture), name, period, routed, delivered, delivered, 1, avgMs, p95,
            0, 0, 0, converted, 0, 0, 0, delivered == 0 ? 0 : Math.Round((double)converted / delivered, 4), revenue.Sum(r => r.Deposits), revenue, null, share, target);

    /// <summary>Jan 6–8 by day. A (1): Jan 6 routed 3 delivered 2 converted 1 (USD 10.50); Jan 8 routed 2 delivered 2 converted 0 (USD 4.50, EUR 7).
    /// B (2): Jan 6 routed 1 delivered 1 converted 1. Nothing on Jan 7.</summary>
    static BrokerReportDto Report() => new(Jan6, Jan8, "day",
    [
        Row(1, "A", Jan6, 3, 2, 1, 120, 200, 0.75, 0.6, new RevenueDto("USD", 1, 10.50m)),
        Row(1, "A", Jan8, 2, 2, 0, 80, 90, 1, 0.6, new RevenueDto("EUR", 1, 7m), new RevenueDto("USD", 2, 4.50m)),
        Row(2, "B", Jan6, 1, 1, 1, share: 0.25, target: 0.4),
    ], [], []);

    [Fact]
    public void Volumes_are_summed_per_period_over_brokers_and_a_period_without_leads_is_zero()
    {
        var all = BrokerChartData.Volume(Report(), null);
        var onlyA = BrokerChartData.Volume(Report(), 1);

        Assert.Equal(["Jan 6", "Jan 7", "Jan 8"], all.Labels);
        Assert.Equal([4.0, 0, 2], all.Lines.Single(l => l.Name == "Routed").Values);
        Assert.Equal([3.0, 0, 2], all.Lines.Single(l => l.Name == "Delivered").Values);
        Assert.Equal([3.0, 0, 2], onlyA.Lines.Single(l => l.Name == "Routed").Values);
    }

    [Fact]
    public void The_conversion_rate_over_the_range_is_converted_over_delivered_of_the_summed_periods()
    {
        var figures = BrokerChartData.ByBroker(Report());
        var chart = BrokerChartData.Conversion(Report());

        var a = figures.Single(b => b.Name == "A");
        Assert.Equal((5L, 4L, 1L, 0.25), (a.Routed, a.Delivered, a.Converted, a.ConversionRate)); // not the mean of 0.5 and 0
        Assert.Equal(["A", "B"], chart.Labels);
        Assert.Equal([25.0, 100.0], chart.Lines.Single().Values);
    }

    [Fact]
    public void Revenue_is_summed_per_currency_and_never_across_currencies()
    {
        var chart = BrokerChartData.Revenue(Report());
        var a = BrokerChartData.ByBroker(Report()).Single(b => b.Name == "A");

        Assert.Equal([new RevenueDto("EUR", 1, 7m), new RevenueDto("USD", 3, 15.00m)], a.Revenue);
        Assert.Equal(["EUR", "USD"], chart.Lines.Select(l => l.Name));
        Assert.Equal([7.0, 0], chart.Lines[0].Values);
        Assert.Equal([15.0, 0], chart.Lines[1].Values);
    }

    [Fact]
    public void Response_times_and_shares_stay_per_period_with_gaps_where_the_broker_had_no_leads()
    {
        var times = BrokerChartData.ResponseTime(Report(), 1);
        var share = BrokerChartData.Share(Report(), 1);

        Assert.Equal([120.0, null, 80], times.Lines.Single(l => l.Name == "Average ms").Values);
        Assert.Equal([200.0, null, 90], times.Lines.Single(l => l.Name == "p95 ms").Values);
        Assert.Equal([75.0, null, 100], share.Lines.Single(l => l.Name == "Share %").Values);
        Assert.Equal([60.0, 60, 60], share.Lines.Single(l => l.Name == "Target %").Values);
        Assert.True(BrokerChartData.ResponseTime(Report(), 2).IsEmpty);
    }

    [Theory]
    [InlineData("day", "2025-01-06", "Jan 6")]
    [InlineData("week", "2025-01-06", "Jan 6")]
    [InlineData("month", "2025-02-01", "Feb 2025")]
    public void Periods_are_labelled_by_their_first_day_or_their_month(string groupBy, string period, string label) =>
        Assert.Equal(label, BrokerChartData.Label(DateOnly.Parse(period, System.Globalization.CultureInfo.InvariantCulture), groupBy));
}
