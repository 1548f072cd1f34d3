using BenchmarkDotNet.Attributes;
using LeadRouter.Domain.Agents;

namespace LeadRouter.Bench.Micro;

/// <summary><see cref="FairQueue.Plan"/> for a 100k-lead backlog and 10 agents of uneven starting counts.</summary>
/// <remarks>BenchmarkDotNet needs public, unsealed benchmark classes.</remarks>
[MemoryDiagnoser]
public class FairQueueBenchmarks
{
    PoolState fair = null!;
    PoolState roundRobin = null!;
    long[] leads = null!;

    [Params(100_000)]
    public int Leads { get; set; }

    [Params(10)]
    public int Agents { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var agents = Enumerable.Range(1, Agents)
            .Select(i => new PoolAgent(i, $"Agent {i}", Received: i * 7 % 13, Weight: i % 3 == 0 ? 2 : 1)).ToList();
        fair = new PoolState(AssignmentMethod.Fair, agents, LastAgentId: null);
        roundRobin = fair with { Method = AssignmentMethod.RoundRobin };
        leads = Enumerable.Range(1, Leads).Select(i => (long)i).ToArray();
    }

    [Benchmark(Baseline = true)]
    public AssignmentPlan Fair() => FairQueue.Plan(fair, leads);

    [Benchmark]
    public AssignmentPlan RoundRobin() => FairQueue.Plan(roundRobin, leads);
}
