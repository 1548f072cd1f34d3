using CsCheck;
using LeadRouter.Domain.Members;

namespace LeadRouter.Domain.Tests.Members;

public sealed class MemberAllocationTests
{
    const int Bronze = 100, Silver = 250, Gold = 500;

    static LeadSupply[] Leads(int count, int sharesSoFar = 0) =>
        Enumerable.Range(1, count).Select(i => new LeadSupply(i, i, sharesSoFar)).ToArray();

    static MemberDemand[] Members(params int[] wants) =>
        wants.Select((w, i) => new MemberDemand(i + 1, w)).ToArray();

    static readonly HashSet<(long MemberId, long LeadId)> NoPrior = [];

    [Fact]
    public void Seed_002_example_1_gives_every_member_all_100_leads_not_the_seeds_partial_counts()
    {
        // The seed prints 62–63 / 155–156 / 311 (1000 shares), but with 100 leads nobody can get more than 100
        // distinct leads: everyone gets all of them, 800 shares, each lead shared 8 times.
        var members = Members(Bronze, Bronze, Bronze, Bronze, Bronze, Silver, Silver, Gold);

        var plan = MemberAllocation.Plan(members, Leads(100), NoPrior, 10);

        Assert.Equal(800, plan.Shares.Count);
        Assert.All(members, m => Assert.Equal(100, plan.PerMember[m.MemberId]));
        Assert.All(plan.Shares.GroupBy(s => s.LeadId), g => Assert.Equal(8, g.Count()));
    }

    [Fact]
    public void Seed_002_example_2_gives_every_member_its_full_allocation()
    {
        var members = Members([.. Enumerable.Repeat(Bronze, 10), .. Enumerable.Repeat(Silver, 5), Gold, Gold]);

        var plan = MemberAllocation.Plan(members, Leads(10_000), NoPrior, 10);

        Assert.Equal(3_250, plan.Shares.Count);
        Assert.All(members, m => Assert.Equal(m.Wanted, plan.PerMember[m.MemberId]));
    }

    [Fact]
    public void A_104_lead_import_and_seven_bronze_members_give_700_shares_then_the_28_unseen_ones()
    {
        var members = Members(Enumerable.Repeat(Bronze, 7).ToArray());
        var leads = Leads(104);

        var first = MemberAllocation.Plan(members, leads, NoPrior, 10);
        var prior = first.Shares.Select(s => (s.MemberId, s.LeadId)).ToHashSet();
        var afterFirst = leads.Select(l => l with { SharesSoFar = first.Shares.Count(s => s.LeadId == l.LeadId) }).ToArray();
        var second = MemberAllocation.Plan(members, afterFirst, prior, 10);

        Assert.Equal(700, first.Shares.Count);
        Assert.All(members, m => Assert.Equal(100, first.PerMember[m.MemberId]));
        Assert.Equal(28, second.Shares.Count);
        Assert.All(members, m => Assert.Equal(4, second.PerMember[m.MemberId]));
        Assert.All(members, m => Assert.Equal(104, prior.Count(p => p.MemberId == m.MemberId) + second.PerMember[m.MemberId]));
    }

    [Fact]
    public void Short_supply_is_split_in_proportion_to_tier_with_largest_remainders()
    {
        // 100 leads with one share left each: 100 shares for wants 100 / 250 / 500 (Σ 850).
        // Exact: 11.76 / 29.41 / 58.82 → floors 11 / 29 / 58, the two leftovers to .82 and .76.
        var plan = MemberAllocation.Plan(Members(Bronze, Silver, Gold), Leads(100, sharesSoFar: 9), NoPrior, 10);

        Assert.Equal([12, 29, 59], [plan.PerMember[1], plan.PerMember[2], plan.PerMember[3]]);
    }

    [Fact]
    public void A_member_capped_by_its_unseen_leads_leaves_the_rest_to_the_others()
    {
        // Member 1 has seen 95 of the 100 leads; the others split what is left of 100 × 2 = 200 shares.
        var prior = Enumerable.Range(1, 95).Select(i => (1L, (long)i)).ToHashSet();

        var plan = MemberAllocation.Plan(Members(Bronze, Bronze, Bronze), Leads(100, sharesSoFar: 8), prior, 10);

        Assert.Equal([5, 98, 97], [plan.PerMember[1], plan.PerMember[2], plan.PerMember[3]]);
        Assert.Equal(200, plan.Shares.Count);
    }

    [Fact]
    public void Older_imports_go_first()
    {
        var leads = new[] { new LeadSupply(1, Order: 30, 0), new LeadSupply(2, Order: 10, 0), new LeadSupply(3, Order: 20, 0) };

        var plan = MemberAllocation.Plan(Members(2), leads, NoPrior, 10);

        Assert.Equal([2L, 3L], plan.Shares.Select(s => s.LeadId));
    }

    [Fact]
    public void Among_leads_of_equal_order_the_least_shared_goes_first()
    {
        var leads = new[] { new LeadSupply(1, 7, SharesSoFar: 5), new LeadSupply(2, 7, SharesSoFar: 2), new LeadSupply(3, 7, SharesSoFar: 4) };

        var plan = MemberAllocation.Plan(Members(2), leads, NoPrior, 10);

        Assert.Equal([2L, 3L], plan.Shares.Select(s => s.LeadId));
    }

    [Fact]
    public void Leads_at_the_cap_members_wanting_nothing_and_prior_pairs_are_left_alone()
    {
        var leads = new[] { new LeadSupply(1, 1, 10), new LeadSupply(2, 2, 9), new LeadSupply(3, 3, 0) };
        var prior = new HashSet<(long, long)> { (1, 2) };

        var plan = MemberAllocation.Plan([new MemberDemand(1, 5), new MemberDemand(2, 0)], leads, prior, 10);

        Assert.Equal([new PlannedShare(1, 3)], plan.Shares);
        Assert.Equal(0, plan.PerMember[2]);
    }

    [Fact]
    public void Repeated_member_or_lead_ids_and_negative_counts_are_rejected()
    {
        Assert.Throws<ArgumentException>(() => MemberAllocation.Plan(Members(1, 1) is var m ? [m[0], m[0]] : [], Leads(1), NoPrior));
        Assert.Throws<ArgumentException>(() => MemberAllocation.Plan(Members(1), [.. Leads(1), .. Leads(1)], NoPrior));
        Assert.Throws<ArgumentException>(() => MemberAllocation.Plan(Members(-1), Leads(1), NoPrior));
        Assert.Throws<ArgumentException>(() => MemberAllocation.Plan(Members(1), Leads(1, sharesSoFar: -1), NoPrior));
        Assert.Throws<ArgumentOutOfRangeException>(() => MemberAllocation.Plan(Members(1), Leads(1), NoPrior, -1));
    }

    [Fact]
    public void Tier_order_greedy_can_lose_against_the_optimum()
    {
        // One share left on each of three leads; the Silver member (1) has already had leads 2 and 3.
        // Greedy serves Gold (2) first with the oldest leads 1 and 2, and Silver gets nothing: 2 shares.
        // Optimal: Gold takes 2 and 3, Silver takes 1: 3 shares.
        var c = new AllocationCase([new MemberDemand(1, 1), new MemberDemand(2, 2)],
            [new LeadSupply(1, 1, 9), new LeadSupply(2, 2, 9), new LeadSupply(3, 3, 9)], [(1, 2), (1, 3)], 10);

        var greedy = TierOrderGreedy.Plan(c);
        var plan = c.Plan();

        Assert.Equal((0, 2), (greedy[1], greedy[2]));
        Assert.Equal(3, ReferenceMaxFlow.Of(c));
        Assert.Equal([new PlannedShare(1, 1), new PlannedShare(2, 2), new PlannedShare(2, 3)], plan.Shares);
    }

    [Fact]
    public void The_total_handed_out_is_the_maximum_flow() =>
        MemberGen.Cases.Sample(c => c.Plan().Shares.Count == ReferenceMaxFlow.Of(c), iter: 5_000);

    [Fact]
    public void Tier_order_greedy_never_beats_the_plan() =>
        MemberGen.Cases.Sample(c => TierOrderGreedy.Plan(c).Values.Sum() <= c.Plan().Shares.Count);

    [Fact]
    public void Tier_order_greedy_loses_on_some_random_instances() =>
        Assert.Contains(MemberGen.Cases.Array[2_000].Single(), c => TierOrderGreedy.Plan(c).Values.Sum() < ReferenceMaxFlow.Of(c));

    [Fact]
    public void Every_share_respects_the_rules_of_a_run() =>
        MemberGen.Cases.Sample(c =>
        {
            var plan = c.Plan();
            var want = c.Members.ToDictionary(m => m.MemberId, m => m.Wanted);
            var room = c.Leads.ToDictionary(l => l.LeadId, l => c.MaxShares - l.SharesSoFar);
            return plan.Shares.DistinctBy(s => (s.MemberId, s.LeadId)).Count() == plan.Shares.Count   // no repeated pair
                && plan.Shares.All(s => !c.Prior.Contains((s.MemberId, s.LeadId)))                    // never a prior pair
                && plan.Shares.All(s => want.ContainsKey(s.MemberId) && room.ContainsKey(s.LeadId))
                && plan.Shares.GroupBy(s => s.LeadId).All(g => g.Count() <= room[g.Key])              // lead cap
                && plan.Shares.GroupBy(s => s.MemberId).All(g => g.Count() <= want[g.Key])            // member want
                && plan.PerMember.Count == c.Members.Length
                && c.Members.All(m => plan.PerMember[m.MemberId] == plan.Shares.Count(s => s.MemberId == m.MemberId));
        });

    [Fact]
    public void Members_get_their_water_filling_targets_whenever_those_can_be_met_together() =>
        MemberGen.Cases.Sample(c =>
        {
            var targets = Targets(c);
            var feasible = ReferenceMaxFlow.Of(c, targets) == targets.Values.Sum();
            var plan = c.Plan();
            return !feasible || c.Members.All(m => plan.PerMember[m.MemberId] == targets[m.MemberId]);
        }, iter: 2_000);

    [Fact]
    public void No_member_holds_a_lead_while_an_older_one_it_never_had_still_has_room() =>
        MemberGen.Cases.Sample(c =>
        {
            var plan = c.Plan();
            var pickOrder = c.Leads.OrderBy(l => l.Order).ThenBy(l => l.SharesSoFar).ThenBy(l => l.LeadId)
                .Select((l, rank) => (l.LeadId, rank)).ToDictionary(x => x.LeadId, x => x.rank);
            var left = c.Leads.ToDictionary(l => l.LeadId, l => c.MaxShares - l.SharesSoFar - plan.Shares.Count(s => s.LeadId == l.LeadId));
            var held = plan.Shares.Select(s => (s.MemberId, s.LeadId)).ToHashSet();
            return plan.Shares.All(s => c.Leads.All(k =>
                pickOrder[k.LeadId] > pickOrder[s.LeadId] || left[k.LeadId] <= 0
                || c.Prior.Contains((s.MemberId, k.LeadId)) || held.Contains((s.MemberId, k.LeadId))));
        });

    [Fact]
    public void The_same_input_in_any_order_gives_the_same_plan() =>
        Gen.Select(MemberGen.Cases, Gen.Int).Sample((c, shuffleSeed) =>
        {
            var random = new Random(shuffleSeed);
            var shuffled = c with { Members = [.. c.Members.OrderBy(_ => random.Next())], Leads = [.. c.Leads.OrderBy(_ => random.Next())] };
            var a = c.Plan();
            var b = c.Plan();
            var s = shuffled.Plan();
            return a.Shares.SequenceEqual(b.Shares) && a.Shares.SequenceEqual(s.Shares)
                && a.PerMember.OrderBy(p => p.Key).SequenceEqual(s.PerMember.OrderBy(p => p.Key));
        });

    [Fact]
    public void The_hash_set_for_seen_pairs_gives_the_same_plan_as_the_bitset() =>
        MemberGen.Cases.Sample(c =>
        {
            var bits = c.Plan();
            var hashed = MemberAllocation.Plan(c.Members, c.Leads, c.Prior, c.MaxShares, seenMaxBits: 0);
            return bits.Shares.SequenceEqual(hashed.Shares);
        });

    [Fact]
    public void No_share_could_move_to_a_member_further_behind() =>
        // Exchange optimality: a unit moved from member b to member a is impossible (the reference max flow
        // with those counts falls short) whenever a's next unit ranks before b's last one. Units rank first
        // by whether they are within the member's water-filling target, then by fill ratio (count − 1) / want.
        MemberGen.Cases.Sample(c =>
        {
            var plan = c.Plan();
            var targets = Targets(c);
            var x = c.Members.ToDictionary(m => m.MemberId, m => plan.PerMember[m.MemberId]);
            var want = c.Members.ToDictionary(m => m.MemberId, m => m.Wanted);
            (int Phase, long Num, long Den) Rank(long id, int unit) => (unit > targets[id] ? 1 : 0, unit - 1, want[id]);
            static bool Before((int Phase, long Num, long Den) p, (int Phase, long Num, long Den) q) =>
                p.Phase != q.Phase ? p.Phase < q.Phase : p.Num * q.Den < q.Num * p.Den;
            foreach (var a in c.Members.Where(m => x[m.MemberId] < m.Wanted))
                foreach (var b in c.Members.Where(m => m != a && x[m.MemberId] > 0))
                {
                    if (!Before(Rank(a.MemberId, x[a.MemberId] + 1), Rank(b.MemberId, x[b.MemberId]))) continue;
                    var moved = new Dictionary<long, int>(x) { [a.MemberId] = x[a.MemberId] + 1, [b.MemberId] = x[b.MemberId] - 1 };
                    if (ReferenceMaxFlow.Of(c, moved) == plan.Shares.Count) return false;
                }

            return true;
        }, iter: 1_000);

    [Fact]
    public void Contested_windows_of_unseen_leads_still_reach_the_maximum_flow()
    {
        // 300 members who each have seen all but a window of 12 of 200 leads; 4 shares left per lead.
        // Many members run dry early, so most extra shares come from augmenting paths.
        var members = Enumerable.Range(1, 300).Select(i => new MemberDemand(i, (i % 3 + 1) * 5)).ToArray();
        var leads = Enumerable.Range(1, 200).Select(j => new LeadSupply(j, j, 6)).ToArray();
        var prior = new HashSet<(long MemberId, long LeadId)>();
        foreach (var m in members)
        {
            var start = (int)(m.MemberId * 37 % 188);
            for (var j = 1; j <= 200; j++)
                if (j <= start || j > start + 12) prior.Add((m.MemberId, j));
        }

        var c = new AllocationCase(members, leads, prior, 10);
        var plan = c.Plan();

        Assert.Equal(ReferenceMaxFlow.Of(c), plan.Shares.Count);
        AssertRulesHold(c, plan);
    }

    [Fact]
    public void Weekly_runs_on_a_large_pool_hand_out_the_bound_every_time_and_keep_every_rule()
    {
        // 20,000 leads and 400 members (60% Bronze, 30% Silver, 10% Gold: 74,000 wanted per run), re-run
        // with the previous shares as prior shares until the leads are used up. Each run the total meets the
        // upper bound min(Σ min(want, unseen leads with room), room left), so it is the maximum flow.
        var members = Enumerable.Range(1, 400).Select(i => new MemberDemand(i, (i % 10) switch { < 6 => Bronze, < 9 => Silver, _ => Gold })).ToArray();
        var leads = Leads(20_000);
        var prior = new HashSet<(long MemberId, long LeadId)>();
        var totals = new List<int>();
        for (var run = 0; run < 4; run++)
        {
            var c = new AllocationCase(members, leads, [.. prior], 10);
            var plan = c.Plan();

            var open = leads.Where(l => l.SharesSoFar < 10).Select(l => l.LeadId).ToList();
            long bound = Math.Min(
                members.Sum(m => (long)Math.Min(m.Wanted, open.Count(l => !prior.Contains((m.MemberId, l))))),
                leads.Sum(l => 10L - l.SharesSoFar));
            Assert.Equal(bound, plan.Shares.Count);
            AssertRulesHold(c, plan);
            totals.Add(plan.Shares.Count);
            prior.UnionWith(plan.Shares.Select(s => (s.MemberId, s.LeadId)));
            var added = plan.Shares.CountBy(s => s.LeadId).ToDictionary();
            leads = [.. leads.Select(l => l with { SharesSoFar = l.SharesSoFar + added.GetValueOrDefault(l.LeadId) })];
        }

        Assert.Equal([74_000, 74_000, 52_000, 0], totals);
    }

    static void AssertRulesHold(AllocationCase c, AllocationPlan plan)
    {
        var want = c.Members.ToDictionary(m => m.MemberId, m => m.Wanted);
        var room = c.Leads.ToDictionary(l => l.LeadId, l => c.MaxShares - l.SharesSoFar);
        Assert.Equal(plan.Shares.Count, plan.Shares.Select(s => (s.MemberId, s.LeadId)).Distinct().Count());
        Assert.DoesNotContain(plan.Shares, s => c.Prior.Contains((s.MemberId, s.LeadId)));
        Assert.All(plan.Shares.CountBy(s => s.LeadId), g => Assert.InRange(g.Value, 1, room[g.Key]));
        Assert.All(plan.Shares.CountBy(s => s.MemberId), g => Assert.Equal(plan.PerMember[g.Key], g.Value));
        Assert.All(c.Members, m => Assert.InRange(plan.PerMember[m.MemberId], 0, want[m.MemberId]));
    }

    [Fact]
    public void Water_filling_splits_the_room_in_proportion_and_respects_caps()
    {
        Assert.Equal([12, 29, 59], MemberAllocation.WaterFill([100, 250, 500], [100, 250, 500], 100));
        Assert.Equal([5, 98, 97], MemberAllocation.WaterFill([100, 100, 100], [5, 100, 100], 200));
        Assert.Equal([100, 100, 100], MemberAllocation.WaterFill([100, 250, 500], [100, 100, 100], 1_000));
        Assert.Equal([0, 0], MemberAllocation.WaterFill([1, 1], [3, 3], 0));
    }

    [Fact]
    public void Water_filling_hands_out_the_capped_total_and_is_max_min_fair() =>
        Gen.Select(Gen.Select(Gen.Int[1, 500], Gen.Int[0, 500]).Array[1, 12], Gen.Long[0, 3_000]).Sample((members, room) =>
        {
            var weights = members.Select(m => m.Item1).ToArray();
            var caps = members.Select(m => m.Item2).ToArray();
            var t = MemberAllocation.WaterFill(weights, caps, room);
            var total = Math.Min(caps.Sum(), room);
            // Nobody over its cap, and a member below its cap is never more than one unit behind anyone's share
            // of the level: t_i + 1 > level·w_i ≥ t_k − 1 for every other member k scaled to w_i.
            return t.Sum() == total && t.Select((x, i) => x >= 0 && x <= caps[i]).All(ok => ok)
                && Enumerable.Range(0, t.Length).All(i => t[i] == caps[i] || Enumerable.Range(0, t.Length)
                    .All(k => (long)(t[k] - 1) * weights[i] < (long)(t[i] + 1) * weights[k]));
        });

    static Dictionary<long, int> Targets(AllocationCase c)
    {
        var room = c.Leads.Where(l => c.MaxShares - l.SharesSoFar > 0).ToList();
        var active = c.Members.Where(m => m.Wanted > 0).OrderBy(m => m.MemberId).ToArray();   // ties go to the smaller id
        var caps = active.Select(m => Math.Min(m.Wanted, room.Count(l => !c.Prior.Contains((m.MemberId, l.LeadId))))).ToArray();
        var t = MemberAllocation.WaterFill(active.Select(m => m.Wanted).ToArray(), caps, room.Sum(l => (long)(c.MaxShares - l.SharesSoFar)));
        var result = c.Members.ToDictionary(m => m.MemberId, _ => 0);
        for (var k = 0; k < active.Length; k++) result[active[k].MemberId] = t[k];
        return result;
    }
}
