using LeadRouter.Domain.Members;

namespace LeadRouter.Domain.Tests.Members;

public sealed class DistributionForecastTests
{
    static LeadSupply[] Leads(int count, int sharesSoFar = 0) =>
        Enumerable.Range(1, count).Select(i => new LeadSupply(i, i, sharesSoFar)).ToArray();

    static readonly (long, long)[] NoPrior = [];

    [Fact]
    public void Seven_bronze_on_104_leads_last_two_runs()
    {
        // Run 1: 700 shares; run 2: each member takes the 4 leads it has not had (28); then every member has seen all.
        var members = Enumerable.Range(1, 7).Select(i => new MemberDemand(i, 100)).ToArray();

        var f = DistributionForecast.Estimate(members, Leads(104), NoPrior, 10, runsPerWeek: 1);

        Assert.Equal(2, f.Runs);
        Assert.Equal(2, f.Weeks);
        Assert.Equal(728, f.SharesLeft);
        Assert.False(f.Capped);
    }

    [Fact]
    public void Members_who_have_seen_every_lead_count_for_nothing()
    {
        // A Gold member saw all 1,000 leads; one Bronze member is new. Only the Bronze member can still receive:
        // 10 runs of 100, not ⌈1000 × 10 / 600⌉ = 17 as a capacity-only estimate would say.
        var members = new[] { new MemberDemand(1, 500), new MemberDemand(2, 100) };
        var prior = Enumerable.Range(1, 1000).Select(l => (1L, (long)l)).ToArray();

        var f = DistributionForecast.Estimate(members, Leads(1000, sharesSoFar: 1), prior, 10, runsPerWeek: 1);

        Assert.Equal(10, f.Runs);
        Assert.Equal(1000, f.SharesLeft);
    }

    [Fact]
    public void Monthly_runs_stretch_the_weeks()
    {
        var members = new[] { new MemberDemand(1, 100) };

        var f = DistributionForecast.Estimate(members, Leads(300), NoPrior, 10, runsPerWeek: 1 / ScheduleTimes.WeeksPerMonth);

        Assert.Equal(3, f.Runs);
        Assert.Equal(Math.Round(3 * ScheduleTimes.WeeksPerMonth, 1), f.Weeks);
    }

    [Fact]
    public void A_supply_longer_than_the_limit_is_capped_without_simulating_every_run()
    {
        var members = new[] { new MemberDemand(1, 1) };

        var f = DistributionForecast.Estimate(members, Leads(5_000), NoPrior, 10, runsPerWeek: 1);

        Assert.True(f.Capped);
        Assert.Equal(DistributionForecast.DefaultMaxWeeks, f.Weeks);
    }

    [Fact]
    public void Past_the_run_budget_the_rest_is_extrapolated()
    {
        var members = new[] { new MemberDemand(1, 10) };

        var f = DistributionForecast.Estimate(members, Leads(1_000), NoPrior, 10, runsPerWeek: 1, maxSimulatedRuns: 5);

        Assert.True(f.Extrapolated);
        Assert.Equal(100, f.Runs);
    }

    [Fact]
    public void Nothing_to_hand_out_is_zero_weeks()
    {
        Assert.Equal(0, DistributionForecast.Estimate([], Leads(10), NoPrior, 10, 1).Runs);
        Assert.Equal(0, DistributionForecast.Estimate([new MemberDemand(1, 100)], Leads(10, sharesSoFar: 10), NoPrior, 10, 1).Runs);
    }
}
