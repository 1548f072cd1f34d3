using CsCheck;
using LeadRouter.Domain.Brokers;
using static LeadRouter.Domain.Tests.Brokers.BrokerGen;

namespace LeadRouter.Domain.Tests.Brokers;

public sealed class BrokerRoutingTests
{
    static BrokerState Broker(long id, int priority = 5, int weight = 50, params string[] countries) =>
        new(id, $"B{id}", true, priority, weight, countries);

    [Fact]
    public void A_daily_cap_of_100_at_top_priority_sends_the_other_900_of_1000_leads_to_the_lower_priority()
    {
        List<BrokerState> brokers = [Broker(1, priority: 9) with { DailyCap = 100, TimeZoneId = "Asia/Dubai" }, Broker(2, priority: 3)];

        var batch = BrokerRouting.RouteBatch(LeadsFrom(1, 1000), brokers, NoCounts, NoGroups, Now);

        var routed = batch.Decisions.Cast<Routed>().ToList();
        Assert.Equal(100, routed.Count(r => r.BrokerId == 1));
        Assert.Equal(900, routed.Count(r => r.BrokerId == 2));
        Assert.All(routed.Take(100), r => Assert.Equal(1, r.BrokerId));
        Assert.Equal(new CapCounts(100, 100, 100), batch.Counts[1]);
        Assert.Equal(new CapCounts(900, 900, 900), batch.Counts[2]);
        var after = routed[100];
        Assert.Equal(3, after.Priority);
        // 09:00 UTC is 13:00 in Dubai (UTC+4): the next day window opens at local midnight, 20:00 UTC.
        Assert.Equal(new BrokerExclusion(1, ExclusionReason.DailyCap, new DateTimeOffset(2025, 1, 6, 20, 0, 0, TimeSpan.Zero)), Assert.Single(after.Exclusions));
        Assert.Equal(new BrokerExclusion(2, ExclusionReason.LowerPriority), Assert.Single(routed[0].Exclusions));
    }

    [Fact]
    public void When_every_broker_for_a_country_is_at_its_daily_cap_the_lead_waits_until_the_first_reopens()
    {
        List<BrokerState> brokers =
        [
            Broker(1, 9, 50, "AE") with { DailyCap = 10, TimeZoneId = "Asia/Dubai" },
            Broker(2, 4, 50, "AE", "SA") with { DailyCap = 5, TimeZoneId = "Europe/London" },
            Broker(3, 9, 50, "SA"),
        ];
        var counts = new Dictionary<long, CapCounts> { [1] = new(2, 10, 40), [2] = new(1, 5, 5) };

        var decision = BrokerRouting.Route(new LeadFacts(77, "ae", 100), brokers, counts, NoGroups, Now);

        var unrouted = Assert.IsType<Unrouted>(decision);
        Assert.Equal(UnroutedCause.AllAtCap, unrouted.Cause);
        Assert.Equal("all brokers for AE at daily cap", unrouted.Reason);
        Assert.Equal(new DateTimeOffset(2025, 1, 6, 20, 0, 0, TimeSpan.Zero), unrouted.RetryAt); // Dubai midnight before London's
        Assert.Equal([ExclusionReason.DailyCap, ExclusionReason.DailyCap, ExclusionReason.Country], unrouted.Exclusions.Select(e => e.Reason));
        Assert.Empty(unrouted.Candidates);
    }

    [Fact]
    public void Hourly_and_monthly_caps_give_their_own_reason_and_reopening()
    {
        List<BrokerState> brokers = [Broker(1) with { HourlyCap = 3 }, Broker(2) with { MonthlyCap = 30, DailyCap = 10 }];
        var counts = new Dictionary<long, CapCounts> { [1] = new(3, 3, 3), [2] = new(0, 10, 30) };

        var unrouted = Assert.IsType<Unrouted>(BrokerRouting.Route(new LeadFacts(1, "SA", 5), brokers, counts, NoGroups, Now));

        Assert.Equal("all brokers for SA at hourly or monthly cap", unrouted.Reason);
        Assert.Equal(
            [new BrokerExclusion(1, ExclusionReason.HourlyCap, Now.AddHours(1)), new BrokerExclusion(2, ExclusionReason.MonthlyCap, new DateTimeOffset(2025, 2, 1, 0, 0, 0, TimeSpan.Zero))],
            unrouted.Exclusions);
        Assert.Equal(Now.AddHours(1), unrouted.RetryAt);
    }

    [Fact]
    public void A_lead_without_an_amount_goes_only_to_brokers_without_an_amount_range()
    {
        List<BrokerState> brokers = [Broker(1) with { MinAmount = 1_000 }, Broker(2) with { MaxAmount = 500 }, Broker(3)];

        var routed = Assert.IsType<Routed>(BrokerRouting.Route(new LeadFacts(1, "AE", null), brokers, NoCounts, NoGroups, Now));

        Assert.Equal(3, routed.BrokerId);
        Assert.Equal([ExclusionReason.Amount, ExclusionReason.Amount], routed.Exclusions.Select(e => e.Reason));
        var none = Assert.IsType<Unrouted>(BrokerRouting.Route(new LeadFacts(2, "AE", null), brokers[..2], NoCounts, NoGroups, Now));
        Assert.Equal(UnroutedCause.NoMatchingBroker, none.Cause);
        Assert.Equal("no active broker with traffic weight takes AE leads without an amount", none.Reason);
        Assert.Null(none.RetryAt);
    }

    [Fact]
    public void Amount_bounds_are_inclusive()
    {
        var broker = Broker(1) with { MinAmount = 250, MaxAmount = 1_000 };

        Assert.Equal([false, true, true, false], new decimal[] { 249.99m, 250, 1_000, 1_000.01m }.Select(a => broker.AcceptsAmount(a)));
    }

    [Fact]
    public void A_country_weight_overrides_the_broker_weight_and_a_zero_override_excludes_that_country()
    {
        var uaeHeavy = new Dictionary<string, int> { ["ae"] = 60, ["SA"] = 0 };
        List<BrokerState> brokers = [Broker(1, weight: 50) with { CountryWeights = uaeHeavy }, Broker(2, weight: 40)];

        var ae = BrokerRouting.RouteBatch(LeadsFrom(1, 100, "AE"), brokers, NoCounts, NoGroups, Now);
        var sa = Assert.IsType<Routed>(BrokerRouting.Route(new LeadFacts(101, "SA", 100), brokers, NoCounts, NoGroups, Now));

        Assert.Equal(60, ae.Decisions.Count(d => ((Routed)d).BrokerId == 1));
        Assert.Equal([new RoutingCandidate(1, 60), new RoutingCandidate(2, 40)], ((Routed)ae.Decisions[0]).Candidates);
        Assert.Equal(2, sa.BrokerId);
        Assert.Equal(new BrokerExclusion(1, ExclusionReason.ZeroWeight), Assert.Single(sa.Exclusions));
    }

    [Fact]
    public void Each_country_rotates_in_its_own_group()
    {
        List<BrokerState> brokers = [Broker(1), Broker(2)];
        var leads = LeadsFrom(1, 3, "AE").Concat(LeadsFrom(4, 3, "sa ")).ToList();

        var batch = BrokerRouting.RouteBatch(leads, brokers, NoCounts, NoGroups, Now);

        Assert.Equal([1L, 2L, 1L, 1L, 2L, 1L], batch.Decisions.Select(d => ((Routed)d).BrokerId));
        Assert.Equal([new RoutingGroupKey(5, "AE"), new RoutingGroupKey(5, "SA")], batch.Groups.Keys.Order(Comparer<RoutingGroupKey>.Create((a, b) => string.CompareOrdinal(a.Country, b.Country))));
        Assert.Equal(2, batch.ChangedGroups.Count);
    }

    [Fact]
    public void A_lead_without_a_country_goes_only_to_brokers_that_take_every_country()
    {
        List<BrokerState> brokers = [Broker(1, 9, 50, "AE"), Broker(2, 1)];

        var routed = Assert.IsType<Routed>(BrokerRouting.Route(new LeadFacts(1, " ", 100), brokers, NoCounts, NoGroups, Now));

        Assert.Equal(2, routed.BrokerId);
        Assert.Equal(new RoutingGroupKey(1, ""), routed.GroupKey);
        Assert.Equal(ExclusionReason.Country, Assert.Single(routed.Exclusions).Reason);
    }

    [Fact]
    public void An_inactive_broker_keeps_its_rotation_state_and_resumes_where_it_left_off()
    {
        var stored = new Dictionary<RoutingGroupKey, RoutingGroupState>
        {
            [new(5, "AE")] = new(new Dictionary<long, long> { [1] = 40, [2] = -10, [3] = -30 }),
        };
        List<BrokerState> brokers = [Broker(1) with { Active = false }, Broker(2), Broker(3)];

        var routed = Assert.IsType<Routed>(BrokerRouting.Route(new LeadFacts(1, "AE", 1), brokers, NoCounts, stored, Now));

        Assert.Equal(new BrokerExclusion(1, ExclusionReason.Inactive), Assert.Single(routed.Exclusions));
        Assert.Equal(40, routed.NewState.CurrentOf(1));
        Assert.Equal(0, routed.NewState.CurrentWeights.Values.Sum());
    }

    [Fact]
    public void A_stored_state_naming_a_broker_no_longer_in_the_group_restarts_from_zero()
    {
        var stored = new Dictionary<RoutingGroupKey, RoutingGroupState>
        {
            [new(5, "AE")] = new(new Dictionary<long, long> { [1] = 40, [2] = -10, [9] = -30 }),
        };
        List<BrokerState> brokers = [Broker(1), Broker(2)];

        var routed = Assert.IsType<Routed>(BrokerRouting.Route(new LeadFacts(1, "AE", 1), brokers, NoCounts, stored, Now));

        Assert.Equal(1, routed.BrokerId); // from zero: tie, lowest id
        Assert.Equal(new Dictionary<long, long> { [1] = -50, [2] = 50 }, routed.NewState.CurrentWeights);
    }

    [Fact]
    public void No_brokers_means_no_matching_broker()
    {
        var unrouted = Assert.IsType<Unrouted>(BrokerRouting.Route(new LeadFacts(1, "AE", 1), [], NoCounts, NoGroups, Now));

        Assert.Equal(UnroutedCause.NoMatchingBroker, unrouted.Cause);
        Assert.Equal("no brokers", unrouted.Reason);
    }

    [Theory]
    [InlineData(11, 50, null)]
    [InlineData(-1, 50, null)]
    [InlineData(5, 101, null)]
    [InlineData(5, -1, null)]
    [InlineData(5, 50, 0)]
    public void Out_of_range_rules_are_refused(int priority, int weight, int? dailyCap)
    {
        List<BrokerState> brokers = [Broker(1, priority, weight) with { DailyCap = dailyCap }];

        Assert.Throws<ArgumentException>(() => BrokerRouting.Route(new LeadFacts(1, "AE", 1), brokers, NoCounts, NoGroups, Now));
    }

    [Fact]
    public void Duplicate_broker_ids_are_refused() =>
        Assert.Throws<ArgumentException>(() => BrokerRouting.Route(new LeadFacts(1, "AE", 1), [Broker(1), Broker(1)], NoCounts, NoGroups, Now));

    // An independent reading of the eligibility rules, to check decisions against.
    static bool Eligible(BrokerState b, LeadFacts lead, CapCounts counts) =>
        b.Active && b.Accepts(lead.Country) && b.AcceptsAmount(lead.Amount) && b.WeightFor(lead.Country) > 0
        && !(counts.Hour >= b.HourlyCap || counts.Day >= b.DailyCap || counts.Month >= b.MonthlyCap);

    static readonly Gen<(List<BrokerState> Brokers, Dictionary<long, CapCounts> Counts, List<LeadFacts> Leads)> Scenarios =
        BrokerGen.Brokers.SelectMany(brokers => Gen.Select(Gen.Const(brokers), CountsFor(brokers), Leads));

    [Fact]
    public void Every_decision_names_each_broker_once_and_routes_to_a_top_priority_eligible_broker() =>
        Scenarios.Sample(s =>
        {
            var counts = s.Brokers.ToDictionary(b => b.BrokerId, b => s.Counts[b.BrokerId]);
            var batch = BrokerRouting.RouteBatch(s.Leads, s.Brokers, s.Counts, NoGroups, Now);
            for (var i = 0; i < s.Leads.Count; i++)
            {
                var lead = s.Leads[i];
                var decision = batch.Decisions[i];
                var named = decision.Candidates.Select(c => c.BrokerId).Concat(decision.Exclusions.Select(e => e.BrokerId)).Order();
                if (decision.LeadId != lead.LeadId || !named.SequenceEqual(s.Brokers.Select(b => b.BrokerId).Order())) return false;
                var eligible = s.Brokers.Where(b => Eligible(b, lead, counts[b.BrokerId])).ToList();
                switch (decision)
                {
                    case Routed r:
                        var top = eligible.Max(b => b.Priority);
                        if (r.Priority != top || r.GroupKey != RoutingGroupKey.For(top, lead.Country)) return false;
                        if (!r.Candidates.Select(c => c.BrokerId).Order().SequenceEqual(eligible.Where(b => b.Priority == top).Select(b => b.BrokerId).Order())) return false;
                        if (!r.Candidates.Any(c => c.BrokerId == r.BrokerId)) return false;
                        if (!r.Exclusions.Where(e => e.Reason == ExclusionReason.LowerPriority).Select(e => e.BrokerId).Order()
                                .SequenceEqual(eligible.Where(b => b.Priority < top).Select(b => b.BrokerId).Order())) return false;
                        counts[r.BrokerId] = counts[r.BrokerId].PlusOne();
                        break;
                    case Unrouted u:
                        if (eligible.Count > 0 || u.Exclusions.Any(e => e.Reason == ExclusionReason.LowerPriority)) return false;
                        if ((u.Cause == UnroutedCause.AllAtCap) != (u.RetryAt is not null)) return false;
                        break;
                }

                foreach (var e in decision.Exclusions)
                {
                    var b = s.Brokers.Single(x => x.BrokerId == e.BrokerId);
                    var c = counts[b.BrokerId];
                    var ok = e.Reason switch
                    {
                        ExclusionReason.Inactive => !b.Active,
                        ExclusionReason.Country => b.Active && !b.Accepts(lead.Country),
                        ExclusionReason.Amount => !b.AcceptsAmount(lead.Amount),
                        ExclusionReason.ZeroWeight => b.WeightFor(lead.Country) == 0,
                        ExclusionReason.MonthlyCap => c.Month >= b.MonthlyCap,
                        ExclusionReason.DailyCap => c.Day >= b.DailyCap,
                        ExclusionReason.HourlyCap => c.Hour >= b.HourlyCap,
                        ExclusionReason.LowerPriority => true,
                        _ => false,
                    };
                    if (!ok || (e.ReopensAt is not null) != (e.Reason is ExclusionReason.HourlyCap or ExclusionReason.DailyCap or ExclusionReason.MonthlyCap)) return false;
                }
            }

            return true;
        });

    [Fact]
    public void A_batch_never_takes_a_broker_past_a_cap() =>
        Scenarios.Sample(s =>
        {
            var batch = BrokerRouting.RouteBatch(s.Leads, s.Brokers, s.Counts, NoGroups, Now);
            return s.Brokers.All(b =>
            {
                var before = s.Counts[b.BrokerId];
                var after = batch.Counts[b.BrokerId];
                var got = batch.Decisions.Count(d => d is Routed r && r.BrokerId == b.BrokerId);
                return after == new CapCounts(before.Hour + got, before.Day + got, before.Month + got)
                    && (got == 0 || (after.Hour <= (b.HourlyCap ?? int.MaxValue) && after.Day <= (b.DailyCap ?? int.MaxValue) && after.Month <= (b.MonthlyCap ?? int.MaxValue)));
            });
        });

    [Fact]
    public void A_batch_decides_exactly_as_single_routes_with_counts_and_states_carried_by_the_caller() =>
        Scenarios.Sample(s =>
        {
            var batch = BrokerRouting.RouteBatch(s.Leads, s.Brokers, s.Counts, NoGroups, Now);
            var counts = new Dictionary<long, CapCounts>(s.Counts);
            var groups = new Dictionary<RoutingGroupKey, RoutingGroupState>();
            for (var i = 0; i < s.Leads.Count; i++)
            {
                var single = BrokerRouting.Route(s.Leads[i], s.Brokers, counts, groups, Now);
                if (single is Routed r)
                {
                    groups[r.GroupKey] = r.NewState;
                    counts[r.BrokerId] = counts[r.BrokerId].PlusOne();
                }

                var same = (single, batch.Decisions[i]) switch
                {
                    (Routed a, Routed b) => a.BrokerId == b.BrokerId && a.GroupKey == b.GroupKey
                        && a.NewState.CurrentWeights.OrderBy(x => x.Key).SequenceEqual(b.NewState.CurrentWeights.OrderBy(x => x.Key))
                        && a.Candidates.SequenceEqual(b.Candidates) && a.Exclusions.SequenceEqual(b.Exclusions),
                    (Unrouted a, Unrouted b) => a.Reason == b.Reason && a.RetryAt == b.RetryAt && a.Exclusions.SequenceEqual(b.Exclusions),
                    _ => false,
                };
                if (!same) return false;
            }

            return groups.All(g => batch.Groups[g.Key].CurrentWeights.OrderBy(x => x.Key).SequenceEqual(g.Value.CurrentWeights.OrderBy(x => x.Key)));
        });

    [Fact]
    public void Ten_thousand_leads_over_fifty_brokers_route_in_one_batch()
    {
        var brokers = Enumerable.Range(1, 50).Select(i => new BrokerState(
            i, $"B{i}", true, i % 3, 1 + i % 100, i % 2 == 0 ? ["AE", "SA"] : [], "Asia/Dubai", DailyCap: 100 + i * 10)).ToList();
        var leads = Enumerable.Range(1, 10_000).Select(i => new LeadFacts(i, i % 3 == 0 ? "SA" : "AE", i % 500)).ToList();

        var batch = BrokerRouting.RouteBatch(leads, brokers, NoCounts, NoGroups, Now);

        Assert.Equal(10_000, batch.Decisions.Count);
        Assert.All(brokers, b => Assert.True(batch.Counts[b.BrokerId].Day <= b.DailyCap));
        Assert.Equal(batch.Decisions.Count(d => d is Routed), batch.Counts.Values.Sum(c => c.Day));
    }
}
