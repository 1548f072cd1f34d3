using BenchmarkDotNet.Attributes;
using LeadRouter.Domain.Members;

namespace LeadRouter.Bench.Micro;

/// <summary>
/// <see cref="MemberAllocation.Plan(IReadOnlyList{MemberDemand}, IReadOnlyList{LeadSupply}, IReadOnlySet{ValueTuple{long, long}}, int)"/>
/// for 100k leads and 2,000 members (Bronze 100 / Silver 250 / Gold 500) with some prior shares, against the seeds'
/// tier-order greedy (<see cref="TierOrderGreedy"/>).
/// </summary>
/// <remarks>BenchmarkDotNet needs public, unsealed benchmark classes.</remarks>
[MemoryDiagnoser]
public class MemberAllocationBenchmarks
{
    List<MemberDemand> members = null!;
    List<LeadSupply> leads = null!;
    HashSet<(long MemberId, long LeadId)> prior = null!;

    [Params(100_000)]
    public int Leads { get; set; }

    [Params(2_000)]
    public int Members { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(42);
        int[] tiers = [100, 100, 100, 250, 250, 500];
        members = Enumerable.Range(1, Members).Select(i => new MemberDemand(i, tiers[random.Next(tiers.Length)])).ToList();
        leads = Enumerable.Range(1, Leads).Select(i => new LeadSupply(i, Order: i / 500, SharesSoFar: random.Next(10) == 0 ? random.Next(1, 10) : 0)).ToList();
        prior = [];
        foreach (var m in members)
            for (var k = 0; k < 20; k++) prior.Add((m.MemberId, random.Next(1, Leads + 1)));
    }

    [Benchmark(Baseline = true)]
    public int MaxFlowPlan() => MemberAllocation.Plan(members, leads, prior).Shares.Count;

    [Benchmark]
    public int TierOrderGreedyPlan() => TierOrderGreedy.Plan(members, leads, prior, MemberAllocation.DefaultMaxSharesPerLead).Values.Sum();
}
