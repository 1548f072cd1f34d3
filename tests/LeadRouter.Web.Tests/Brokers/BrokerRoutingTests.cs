using LeadRouter.Data.Brokers;
using LeadRouter.Data.Leads;
using LeadRouter.Web.Features.Brokers;
using LeadRouter.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace LeadRouter.Web.Tests.Brokers;

/// <summary>
/// Routing through the database (DESIGN rules 1 and 3). Brokers are global, so each test keeps to its own lead
/// country: its brokers accept only that country, and its leads come from it.
/// </summary>
public abstract class BrokerRoutingTests<TApp>(TApp app) : AppTests<TApp>(app) where TApp : LeadRouterApp
{
    async Task<long> BrokerAsync(string country, int priority, int weight, int? hourCap = null, int? dayCap = null, int? monthCap = null) =>
        (await App.Get<BrokerDirectory>().AddAsync(new NewBroker(Unique("broker"), priority, weight, [country],
            HourCap: hourCap, DayCap: dayCap, MonthCap: monthCap), Ct)).Id;

    /// <summary>Adds <paramref name="count"/> waiting leads from <paramref name="country"/> to a broker-routed source; returns the source id.</summary>
    async Task<long> LeadsAsync(string source, string country, int count)
    {
        var route = await App.Get<SourceRoutes>().SetAsync(source, RouteTarget.Brokers, Ct);
        await using var db = App.CreateDb();
        db.ChangeTracker.AutoDetectChangesEnabled = false;
        var import = db.Imports.Add(new Import { FileName = $"{source}.csv", CreatedAt = App.Clock.GetUtcNow(), Rows = count, Accepted = count }).Entity;
        await db.SaveChangesAsync(Ct);
        var tag = Guid.NewGuid().ToString("N")[..10];
        db.Leads.AddRange(Enumerable.Range(0, count).Select(i => new Lead
        {
            IdentityKey = $"email:{tag}.{i}@example.com",
            Email = $"{tag}.{i}@example.com",
            Country = country,
            SourceId = route.SourceId,
            ImportId = import.Id,
            CreatedAt = App.Clock.GetUtcNow(),
        }));
        db.ChangeTracker.DetectChanges();
        await db.SaveChangesAsync(Ct);
        return route.SourceId;
    }

    async Task<long[]> TotalsAsync(params long[] brokers)
    {
        var stats = await App.Get<BrokerStats>().GetAsync(null, Ct);
        return brokers.Select(id => stats.Single(s => s.Id == id).Total).ToArray();
    }

    [Fact]
    public async Task Weights_50_30_20_give_exact_shares_across_batches_and_a_restart()
    {
        var brokers = new[] { await BrokerAsync("AE", 5, 50), await BrokerAsync("AE", 5, 30), await BrokerAsync("AE", 5, 20) };
        var source = Unique("TRAFFIC");
        var total = 0;

        foreach (var (batch, node) in new[] { (4950, 0), (2571, 1), (2479, 0) })
        {
            var sourceId = await LeadsAsync(source, "AE", batch);
            total += batch;
            using var second = SecondNode.Create(App.Target, App.Clock); // a fresh process: rotation state only from the database
            var router = node == 0 ? App.Get<RouteLeads>() : second.Router;
            var run = await router.RouteSourcesAsync([sourceId], RoutingTrigger.Import, Ct);

            Assert.Equal((batch, 0), (run.Routed, run.Unrouted));
            var totals = await TotalsAsync(brokers);
            var want = new[] { 0.5 * total, 0.3 * total, 0.2 * total };
            for (var i = 0; i < 3; i++)
                Assert.True(Math.Abs(totals[i] - want[i]) < 1.0, $"after {total}: {string.Join("/", totals)}");
        }

        Assert.Equal(new long[] { 5000, 3000, 2000 }, await TotalsAsync(brokers));
    }

    [Fact]
    public async Task A_daily_cap_at_top_priority_takes_exactly_its_cap_and_again_the_next_day()
    {
        var capped = await BrokerAsync("SA", 9, 100, dayCap: 100);
        var rest = await BrokerAsync("SA", 1, 100);
        var source = Unique("CAP");

        var sourceId = await LeadsAsync(source, "SA", 1000);
        await App.Get<RouteLeads>().RouteSourcesAsync([sourceId], RoutingTrigger.Manual, Ct);
        Assert.Equal(new long[] { 100, 900 }, await TotalsAsync(capped, rest));

        App.Clock.Advance(TimeSpan.FromDays(1));
        await LeadsAsync(source, "SA", 150);
        await App.Get<RouteLeads>().RouteSourcesAsync([sourceId], RoutingTrigger.Manual, Ct);
        Assert.Equal(new long[] { 200, 950 }, await TotalsAsync(capped, rest));
    }

    [Fact]
    public async Task An_hourly_cap_holds_in_every_hour_window_and_leads_wait_with_the_reason()
    {
        var now = App.Clock.GetUtcNow();
        App.Clock.Advance(TimeSpan.FromTicks(TimeSpan.TicksPerHour - now.UtcTicks % TimeSpan.TicksPerHour)); // hh:00 of the next hour
        var capped = await BrokerAsync("QA", 5, 100, hourCap: 10, monthCap: 25);
        var source = Unique("HOURLY");

        var sourceId = await LeadsAsync(source, "QA", 30);
        var first = await App.Get<RouteLeads>().RouteSourcesAsync([sourceId], RoutingTrigger.Manual, Ct);
        Assert.Equal((10, 20), (first.Routed, first.Unrouted));
        Assert.Equal("all brokers for QA at hourly cap", first.UnroutedReasons.Keys.Single());
        await using (var db = App.CreateDb())
            Assert.Equal(20, await db.Leads.CountAsync(l => l.SourceId == sourceId && l.BrokerId == null && l.UnroutedReason == "all brokers for QA at hourly cap", Ct));

        App.Clock.Advance(TimeSpan.FromMinutes(59)); // hh:59: same hour window
        Assert.Equal(0, (await App.Get<RouteLeads>().RouteSourcesAsync([sourceId], RoutingTrigger.Manual, Ct)).Routed);
        App.Clock.Advance(TimeSpan.FromMinutes(1));  // next hour: a new window
        Assert.Equal(10, (await App.Get<RouteLeads>().RouteSourcesAsync([sourceId], RoutingTrigger.Manual, Ct)).Routed);
        App.Clock.Advance(TimeSpan.FromHours(1));    // monthly cap 25 stops it at 5 more
        var capRun = await App.Get<RouteLeads>().RouteSourcesAsync([sourceId], RoutingTrigger.Manual, Ct);
        Assert.Equal((5, 5), (capRun.Routed, capRun.Unrouted));
        Assert.Equal("all brokers for QA at monthly cap", capRun.UnroutedReasons.Keys.Single());
        Assert.Equal(new long[] { 25 }, await TotalsAsync(capped));
    }

    [Fact]
    public async Task Every_routed_lead_has_one_log_row_with_candidates_and_exclusions()
    {
        var top = await BrokerAsync("KW", 7, 60);
        var low = await BrokerAsync("KW", 2, 40);
        var source = Unique("LOG");
        var sourceId = await LeadsAsync(source, "KW", 3);

        await App.Get<RouteLeads>().RouteSourcesAsync([sourceId], RoutingTrigger.Import, Ct);

        await using var db = App.CreateDb();
        var rows = await db.BrokerAssignments.Where(a => a.SourceId == sourceId).ToListAsync(Ct);
        Assert.Equal(3, rows.Count);
        Assert.All(rows, r => Assert.Equal((top, 7, "KW", RoutingTrigger.Import), (r.BrokerId, r.Priority, r.Country, r.Trigger)));
        Assert.All(rows, r => Assert.Contains($"{{\"brokerId\":{low},\"reason\":\"lowerPriority\"}}", r.Decision));
        var leads = await db.Leads.Where(l => l.SourceId == sourceId).ToListAsync(Ct);
        Assert.All(leads, l => Assert.Equal((top, LeadStatus.Pending, (long?)null), (l.BrokerId!.Value, l.Status, l.AgentId)));
    }

    [Fact]
    public async Task Concurrent_routing_runs_on_two_nodes_never_exceed_a_cap_or_route_a_lead_twice()
    {
        var capped = await BrokerAsync("OM", 8, 50, dayCap: 150);
        var other = await BrokerAsync("OM", 8, 50);
        var spill = await BrokerAsync("OM", 1, 100);
        var sources = new List<long>();
        for (var i = 0; i < 4; i++) sources.Add(await LeadsAsync(Unique("STREAM"), "OM", 300));
        using var second = SecondNode.Create(App.Target, App.Clock);

        var runs = await Task.WhenAll(sources.SelectMany((s, i) => new[]
        {
            Task.Run(() => App.Get<RouteLeads>().RouteSourcesAsync([s], RoutingTrigger.Import, Ct), Ct),
            Task.Run(() => second.Router.RouteSourcesAsync([s], RoutingTrigger.Import, Ct), Ct),
            Task.Run(() => (i % 2 == 0 ? App.Get<RouteLeads>() : second.Router).RouteSourcesAsync(null, RoutingTrigger.Background, Ct), Ct),
        }));

        await using var db = App.CreateDb();
        var log = await db.BrokerAssignments.Where(a => a.SourceId != null && sources.Contains(a.SourceId.Value)).Select(a => a.LeadId).ToListAsync(Ct);
        Assert.Equal(1200, log.Count);
        Assert.Equal(1200, log.Distinct().Count());
        var totals = await TotalsAsync(capped, other, spill);
        Assert.Equal(150, totals[0]);
        Assert.Equal(1200, totals.Sum());
        Assert.True(runs.Sum(r => r.Routed) >= 1200); // background runs may also route other tests' waiting leads
    }
}

public sealed class BrokerRoutingTests_Sqlite(SqliteApp app) : BrokerRoutingTests<SqliteApp>(app);

[Trait("Database", "Postgres")]
public sealed class BrokerRoutingTests_Postgres(PostgresApp app) : BrokerRoutingTests<PostgresApp>(app);
