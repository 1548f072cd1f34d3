using LeadRouter.Data;
using LeadRouter.Data.Brokers;
using LeadRouter.Data.Leads;
using LeadRouter.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace LeadRouter.Web.Tests.Brokers;

/// <summary>
/// The broker report's rollups against a recount from the raw rows (routing log, deliveries, push attempts, postbacks),
/// worked out in memory the way the report defines its figures.
/// </summary>
static class ReportRollupRecount
{
    static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>The daily rollups of these brokers with their stripes summed (one row per cell).</summary>
    public static async Task<List<BrokerReportDay>> SumDaysAsync(LeadRouterDb db, params long[] brokers) =>
        (await db.BrokerReportDays.AsNoTracking().Where(r => brokers.Contains(r.BrokerId)).ToListAsync(Ct))
            .GroupBy(r => (r.Day, r.BrokerId, r.Country, r.Priority))
            .Select(g => new BrokerReportDay
            {
                Day = g.Key.Day,
                BrokerId = g.Key.BrokerId,
                Country = g.Key.Country,
                Priority = g.Key.Priority,
                Routed = g.Sum(r => r.Routed),
                DeliveredLeads = g.Sum(r => r.DeliveredLeads),
                Delivered = g.Sum(r => r.Delivered),
                Rejected = g.Sum(r => r.Rejected),
                Dead = g.Sum(r => r.Dead),
                AcceptedLeads = g.Sum(r => r.AcceptedLeads),
                RejectedLeads = g.Sum(r => r.RejectedLeads),
                DuplicateLeads = g.Sum(r => r.DuplicateLeads),
                ConvertedLeads = g.Sum(r => r.ConvertedLeads),
                Deposits = g.Sum(r => r.Deposits),
            }).ToList();

    /// <summary>The rollups of these brokers (rows left at zero by deletes ignored) against a recount from the raw rows.</summary>
    public static async Task AssertMatchAsync(LeadRouterApp app, params long[] brokers)
    {
        await using var db = app.CreateDb();
        var routes = await db.BrokerAssignments.AsNoTracking().Where(a => brokers.Contains(a.BrokerId)).ToListAsync(Ct);
        var deliveries = await db.Deliveries.AsNoTracking().Where(d => brokers.Contains(d.BrokerId)).ToListAsync(Ct);
        var attempts = await db.PushLogs.AsNoTracking().Where(l => brokers.Contains(l.BrokerId) && !l.Test && l.LeadId != null).ToListAsync(Ct);
        var events = await db.LeadEvents.AsNoTracking().Where(e => brokers.Contains(e.BrokerId)).ToListAsync(Ct);
        string Cell(BrokerAssignment a) => $"{DateOnly.FromDateTime(a.RoutedAt.UtcDateTime):yyyy-MM-dd}|{a.BrokerId}|{a.Country}|{a.Priority}";
        var routeOf = routes.ToDictionary(a => (a.LeadId, a.BrokerId));

        var expectedDays = routes.GroupBy(Cell).Select(g =>
        {
            var pairs = g.Select(a => (a.LeadId, a.BrokerId)).ToHashSet();
            var ds = deliveries.Where(d => pairs.Contains((d.LeadId, d.BrokerId))).ToList();
            var es = events.Where(e => pairs.Contains((e.LeadId, e.BrokerId))).ToList();
            long Leads(PostbackEvent ev) => es.Where(e => e.Event == ev).Select(e => e.LeadId).Distinct().Count();
            long Pushes(DeliveryStatus s) => ds.Count(d => d.Status == s);
            return $"{g.Key}|{g.Count()}|{ds.Where(d => d.Status == DeliveryStatus.Delivered).Select(d => d.LeadId).Distinct().Count()}|" +
                $"{Pushes(DeliveryStatus.Delivered)}|{Pushes(DeliveryStatus.Rejected)}|{Pushes(DeliveryStatus.Dead)}|" +
                $"{Leads(PostbackEvent.Accepted)}|{Leads(PostbackEvent.Rejected)}|{Leads(PostbackEvent.Duplicate)}|{Leads(PostbackEvent.Converted)}|" +
                $"{es.Count(e => e.Event == PostbackEvent.Deposit)}";
        }).Order(StringComparer.Ordinal).ToList();
        var expectedRevenue = events.Where(e => e.Event == PostbackEvent.Deposit && e.AmountMinor is not null && e.Currency is not null
                && routeOf.ContainsKey((e.LeadId, e.BrokerId)))
            .GroupBy(e => $"{Cell(routeOf[(e.LeadId, e.BrokerId)])}|{e.Currency}")
            .Select(g => $"{g.Key}|{g.Count()}|{g.Sum(e => e.AmountMinor)}").Order(StringComparer.Ordinal).ToList();
        var expectedTimes = attempts.Where(l => routeOf.ContainsKey((l.LeadId!.Value, l.BrokerId)))
            .GroupBy(l => $"{Cell(routeOf[(l.LeadId!.Value, l.BrokerId)])}|{l.DurationMs}")
            .Select(g => $"{g.Key}|{g.Count()}").Order(StringComparer.Ordinal).ToList();

        // A cell's figures are the sum of its stripes.
        var days = (await SumDaysAsync(db, brokers))
            .Where(r => r.Routed != 0 || r.DeliveredLeads != 0 || r.Delivered != 0 || r.Rejected != 0 || r.Dead != 0 || r.AcceptedLeads != 0
                || r.RejectedLeads != 0 || r.DuplicateLeads != 0 || r.ConvertedLeads != 0 || r.Deposits != 0)
            .Select(r => $"{r.Day:yyyy-MM-dd}|{r.BrokerId}|{r.Country}|{r.Priority}|{r.Routed}|{r.DeliveredLeads}|{r.Delivered}|{r.Rejected}|{r.Dead}|" +
                $"{r.AcceptedLeads}|{r.RejectedLeads}|{r.DuplicateLeads}|{r.ConvertedLeads}|{r.Deposits}")
            .Order(StringComparer.Ordinal).ToList();
        var revenue = (await db.BrokerReportRevenue.AsNoTracking().Where(r => brokers.Contains(r.BrokerId)).ToListAsync(Ct))
            .GroupBy(r => $"{r.Day:yyyy-MM-dd}|{r.BrokerId}|{r.Country}|{r.Priority}|{r.Currency}")
            .Select(g => (g.Key, Deposits: g.Sum(r => r.Deposits), Minor: g.Sum(r => r.AmountMinor)))
            .Where(r => r.Deposits != 0 || r.Minor != 0)
            .Select(r => $"{r.Key}|{r.Deposits}|{r.Minor}")
            .Order(StringComparer.Ordinal).ToList();
        var times = (await db.BrokerReportResponseTimes.AsNoTracking().Where(r => brokers.Contains(r.BrokerId)).ToListAsync(Ct))
            .GroupBy(r => $"{r.Day:yyyy-MM-dd}|{r.BrokerId}|{r.Country}|{r.Priority}|{r.DurationMs}")
            .Select(g => (g.Key, Attempts: g.Sum(r => r.Attempts)))
            .Where(r => r.Attempts != 0)
            .Select(r => $"{r.Key}|{r.Attempts}")
            .Order(StringComparer.Ordinal).ToList();

        Assert.Equal(expectedDays, days);
        Assert.Equal(expectedRevenue, revenue);
        Assert.Equal(expectedTimes, times);
    }
}
