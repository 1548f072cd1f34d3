using CsCheck;
using LeadRouter.Domain.Agents;

namespace LeadRouter.Domain.Tests.Agents;

public sealed class FairQueueTests
{
    static PoolState Pool(params (string Name, long Received)[] agents) =>
        new(AssignmentMethod.Fair, agents.Select((a, i) => new PoolAgent(i + 1, a.Name, a.Received)).ToList(), null);

    static Dictionary<string, long> Counts(PoolState pool, int leads)
    {
        var plan = FairQueue.Plan(pool, Enumerable.Range(1, leads).Select(i => (long)i).ToList());
        var counts = pool.Agents.ToDictionary(a => a.Name, a => a.Received);
        foreach (var a in plan.Assignments) counts[pool.Agents.Single(x => x.AgentId == a.AgentId).Name]++;
        return counts;
    }

    [Fact]
    public void Seed_000_uneven_counts_plus_four_leads_end_at_16_15_18()
    {
        var counts = Counts(Pool(("John", 15), ("Sarah", 12), ("Mike", 18)), 4);

        Assert.Equal([16L, 15L, 18L], [counts["John"], counts["Sarah"], counts["Mike"]]);
    }

    [Fact]
    public void Seed_000_three_equal_agents_and_20_leads_split_7_7_6_in_pool_order()
    {
        var counts = Counts(Pool(("John", 0), ("Sarah", 0), ("Mike", 0)), 20);

        Assert.Equal([7L, 7L, 6L], [counts["John"], counts["Sarah"], counts["Mike"]]);
    }

    [Fact]
    public void Seed_000_two_agents_and_15_leads_split_8_7()
    {
        var counts = Counts(Pool(("John", 0), ("Sarah", 0)), 15);

        Assert.Equal([8L, 7L], [counts["John"], counts["Sarah"]]);
    }

    [Fact]
    public void Seed_000_one_lead_goes_to_the_first_agent()
    {
        var plan = FairQueue.Plan(Pool(("John", 0), ("Sarah", 0), ("Mike", 0)), [42]);

        Assert.Equal(1, Assert.Single(plan.Assignments).AgentId);
    }

    [Fact]
    public void Seed_000_twenty_leads_from_15_12_18_follow_the_rule_not_the_seed_example()
    {
        // The seed prints Sarah 8, John 7, Mike 5; its own rule gives Sarah 9, John 7, Mike 4 → 22/21/22.
        var counts = Counts(Pool(("John", 15), ("Sarah", 12), ("Mike", 18)), 20);

        Assert.Equal([22L, 21L, 22L], [counts["John"], counts["Sarah"], counts["Mike"]]);
    }

    [Fact]
    public void Away_and_full_agents_are_skipped_and_leads_wait_when_nobody_can_take_them()
    {
        var pool = new PoolState(AssignmentMethod.Fair,
            [new PoolAgent(1, "Away", 0, Available: false), new PoolAgent(2, "Full", 0, Capacity: 2, OpenLeads: 1), new PoolAgent(3, "Free", 5)], null);

        var plan = FairQueue.Plan(pool, [1, 2, 3]);

        Assert.Equal([2L, 3L, 3L], plan.Assignments.Select(a => a.AgentId));
        Assert.Empty(plan.Unassigned);
        var none = FairQueue.Plan(pool with { Agents = [pool.Agents[0]] }, [9]);
        Assert.Equal([9L], none.Unassigned);
    }

    [Fact]
    public void Round_robin_continues_after_the_stored_cursor()
    {
        var pool = new PoolState(AssignmentMethod.RoundRobin,
            [new PoolAgent(1, "A", 10), new PoolAgent(2, "B", 0), new PoolAgent(3, "C", 0)], LastAgentId: 2);

        var plan = FairQueue.Plan(pool, [1, 2, 3, 4]);

        Assert.Equal([3L, 1L, 2L, 3L], plan.Assignments.Select(a => a.AgentId));
        Assert.Equal(3, plan.LastAgentId);
    }

    [Fact]
    public void A_joining_agent_starts_at_the_pool_minimum()
    {
        var pool = Pool(("Old1", 40), ("Old2", 37), ("New", 0));

        var credits = FairQueue.Level(pool, [3]);

        Assert.Equal(37, credits[3]);
        var leveled = pool with { Agents = [pool.Agents[0], pool.Agents[1], pool.Agents[2] with { Credit = 37 }] };
        var plan = FairQueue.Plan(leveled, Enumerable.Range(1, 7).Select(i => (long)i).ToList());
        Assert.Equal(3, plan.Assignments.Count(a => a.AgentId == 3)); // 37→40 alongside Old2, not all 7
    }

    static readonly Gen<PoolState> Pools =
        Gen.Select(Gen.Int[1, 8], Gen.Bool).SelectMany((n, rr) =>
            Gen.Select(Gen.Long[0, 50], Gen.Int[1, 3]).Array[n].Select(agents =>
                new PoolState(rr ? AssignmentMethod.RoundRobin : AssignmentMethod.Fair,
                    agents.Select((a, i) => new PoolAgent(i + 1, $"A{i}", a.Item1, Weight: a.Item2)).ToList(), null)));

    [Fact]
    public void Every_lead_is_assigned_exactly_once_to_an_agent_of_the_pool() =>
        Gen.Select(Pools, Gen.Int[0, 200]).Sample((pool, leads) =>
        {
            var ids = Enumerable.Range(1, leads).Select(i => (long)i).ToList();
            var plan = FairQueue.Plan(pool, ids);
            return plan.Assignments.Select(a => a.LeadId).SequenceEqual(ids)
                && plan.Assignments.All(a => pool.Agents.Any(x => x.AgentId == a.AgentId));
        });

    [Fact]
    public void Equal_weight_agents_starting_equal_never_differ_by_more_than_one() =>
        Gen.Select(Gen.Int[1, 10], Gen.Long[0, 30], Gen.Int[0, 500], Gen.Bool).Sample((n, start, leads, rr) =>
        {
            var pool = new PoolState(rr ? AssignmentMethod.RoundRobin : AssignmentMethod.Fair,
                Enumerable.Range(1, n).Select(i => new PoolAgent(i, $"A{i}", start)).ToList(), null);
            var plan = FairQueue.Plan(pool, Enumerable.Range(1, leads).Select(i => (long)i).ToList());
            var counts = pool.Agents.Select(a => plan.Assignments.Count(x => x.AgentId == a.AgentId)).ToList();
            return counts.Max() - counts.Min() <= 1;
        });

    [Fact]
    public void Fair_gives_each_lead_to_an_agent_at_the_lowest_level() =>
        Gen.Select(Pools, Gen.Int[1, 100]).Sample((pool, leads) =>
        {
            var fair = pool with { Method = AssignmentMethod.Fair };
            var plan = FairQueue.Plan(fair, Enumerable.Range(1, leads).Select(i => (long)i).ToList());
            var level = fair.Agents.ToDictionary(a => a.AgentId, a => a.Received);
            var weight = fair.Agents.ToDictionary(a => a.AgentId, a => a.Weight);
            foreach (var a in plan.Assignments)
            {
                var chosen = (double)level[a.AgentId] / weight[a.AgentId];
                if (fair.Agents.Any(x => (double)level[x.AgentId] / x.Weight < chosen - 1e-9)) return false;
                if (a.CountBefore != level[a.AgentId] || a.CountAfter != a.CountBefore + 1) return false;
                level[a.AgentId]++;
            }

            return true;
        });
}
