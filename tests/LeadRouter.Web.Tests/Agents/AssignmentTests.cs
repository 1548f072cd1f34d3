using LeadRouter.Data.Agents;
using LeadRouter.Data.Leads;
using LeadRouter.Domain.Agents;
using LeadRouter.Web.Features.Agents;
using LeadRouter.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace LeadRouter.Web.Tests.Agents;

public abstract class AssignmentTests<TApp>(TApp app) : AppTests<TApp>(app) where TApp : LeadRouterApp
{
    async Task<string[]> AgentsAsync(int n)
    {
        var names = Enumerable.Range(0, n).Select(i => Unique($"agent{i}")).ToArray();
        foreach (var name in names) await App.Get<AgentDirectory>().AddAsync(new NewAgent(name), Ct);
        return names;
    }

    async Task<long[]> CountsAsync(string source, string[] agents)
    {
        var stats = (await App.Get<AssignmentStats>().GetAsync(source, Ct)).Single();
        return agents.Select(a => stats.Agents.Single(x => x.Name == a).Count).ToArray();
    }

    [Fact]
    public async Task Saving_a_pool_assigns_the_seed_000_splits_exactly()
    {
        var agents = await AgentsAsync(3);
        var (meta, google, btl) = (Unique("META"), Unique("GOOGLE"), Unique("BTL"));
        await App.AddLeadsAsync(meta, 20);
        await App.AddLeadsAsync(google, 15);
        await App.AddLeadsAsync(btl, 1);

        var m = await App.Get<AgentPools>().SaveAsync(meta, agents, AssignmentMethod.Fair, true, Ct);
        var g = await App.Get<AgentPools>().SaveAsync(google, agents[..2], AssignmentMethod.Fair, true, Ct);
        var b = await App.Get<AgentPools>().SaveAsync(btl, agents, AssignmentMethod.Fair, true, Ct);

        Assert.Equal([20, 15, 1], new[] { m.Run!.Assigned, g.Run!.Assigned, b.Run!.Assigned });
        Assert.Equal(new[] { 7L, 7L, 6L }, await CountsAsync(meta, agents));
        Assert.Equal(new[] { 8L, 7L }, await CountsAsync(google, agents[..2]));
        Assert.Equal(new[] { 1L, 0L, 0L }, await CountsAsync(btl, agents));
        Assert.Equal([agents[0], agents[1]], m.Run.OddLeadTo);
    }

    [Fact]
    public async Task Every_assignment_writes_a_history_row_with_counts_before_and_after()
    {
        var agents = await AgentsAsync(2);
        var source = Unique("WEB");
        var leads = await App.AddLeadsAsync(source, 5);

        await App.Get<AgentPools>().SaveAsync(source, agents, AssignmentMethod.RoundRobin, true, Ct);

        await using var db = App.CreateDb();
        var rows = await db.Assignments.Where(a => leads.Contains(a.LeadId)).OrderBy(a => a.Id).ToListAsync(Ct);
        Assert.Equal(leads, rows.Select(r => r.LeadId));
        Assert.All(rows, r => Assert.Equal((AssignmentTrigger.PoolSaved, AssignmentMethod.RoundRobin, r.CountBefore + 1), (r.Trigger, r.Method, r.CountAfter)));
        Assert.Equal([0L, 0L, 1L, 1L, 2L], rows.Select(r => r.CountBefore));
        var pending = await db.Leads.Where(l => leads.Contains(l.Id)).Select(l => new { l.Status, l.AgentId, l.AssignedAt }).ToListAsync(Ct);
        Assert.All(pending, l => Assert.Equal((LeadStatus.Pending, true, App.Clock.GetUtcNow()), (l.Status, l.AgentId != null, l.AssignedAt!.Value)));
    }

    [Fact]
    public async Task An_agent_back_from_away_starts_at_the_pool_minimum()
    {
        var agents = await AgentsAsync(3);
        var source = Unique("SRC");
        await App.AddLeadsAsync(source, 30);
        await App.Get<AgentDirectory>().SetAsync(agents[2], new AgentChanges(Away: true), Ct);
        await App.Get<AgentPools>().SaveAsync(source, agents, AssignmentMethod.Fair, true, Ct);
        Assert.Equal(new[] { 15L, 15L, 0L }, await CountsAsync(source, agents));

        await App.Get<AgentDirectory>().SetAsync(agents[2], new AgentChanges(Away: false), Ct);
        await App.AddLeadsAsync(source, 6);
        await App.Get<LeadAssigner>().AssignAsync(AssignmentTrigger.Manual, source, Ct);

        Assert.Equal(new[] { 17L, 17L, 2L }, await CountsAsync(source, agents)); // not all six to the returning agent
    }

    [Fact]
    public async Task Concurrent_triggers_never_assign_a_lead_twice()
    {
        var agents = await AgentsAsync(4);
        var source = Unique("RACE");
        await App.Get<AgentPools>().SaveAsync(source, agents, AssignmentMethod.Fair, true, Ct);
        var leads = await App.AddLeadsAsync(source, 1200);
        var assigner = App.Get<LeadAssigner>();

        // A manual run, the background loop's run, an import's run and a second node (its own services) at once.
        using var secondNode = SecondNode.Create(App.Target, App.Clock);
        var triggers = new List<Task<int>>();
        for (var i = 0; i < 3; i++)
        {
            triggers.Add(Task.Run(async () => (await assigner.AssignAsync(AssignmentTrigger.Manual, source, Ct)).Sum(r => r.Assigned), Ct));
            triggers.Add(Task.Run(async () => (await assigner.AssignAsync(AssignmentTrigger.Background, null, Ct)).Where(r => r.Source == source).Sum(r => r.Assigned), Ct));
            triggers.Add(Task.Run(async () => (await secondNode.Assigner.AssignAsync(AssignmentTrigger.Import, source, Ct)).Sum(r => r.Assigned), Ct));
        }

        var assigned = (await Task.WhenAll(triggers)).Sum();

        Assert.Equal(leads.Count, assigned);
        await using var db = App.CreateDb();
        var log = await db.Assignments.Where(a => leads.Contains(a.LeadId)).Select(a => a.LeadId).ToListAsync(Ct);
        Assert.Equal(leads.Count, log.Count);
        Assert.Equal(leads.Count, log.Distinct().Count());
        Assert.Equal(leads.Count, await db.Leads.CountAsync(l => leads.Contains(l.Id) && l.AgentId != null && l.Status == LeadStatus.Pending, Ct));
        var counts = await CountsAsync(source, agents);
        Assert.Equal(leads.Count, counts.Sum());
        Assert.True(counts.Max() - counts.Min() <= 1, $"counts {string.Join("/", counts)}");
    }

    [Fact]
    public async Task Round_robin_rotation_survives_a_restart()
    {
        var agents = await AgentsAsync(3);
        var source = Unique("RR");
        await App.AddLeadsAsync(source, 2);
        await App.Get<AgentPools>().SaveAsync(source, agents, AssignmentMethod.RoundRobin, true, Ct);
        await App.AddLeadsAsync(source, 2);

        using var restarted = SecondNode.Create(App.Target, App.Clock);
        var run = (await restarted.Assigner.AssignAsync(AssignmentTrigger.Manual, source, Ct)).Single();

        Assert.Equal([1, 0, 1], run.Agents.Select(a => a.Received)); // after John, Sarah: Mike, then John
        Assert.Equal(new[] { 2L, 1L, 1L }, await CountsAsync(source, agents));
    }
}

public sealed class AssignmentTests_Sqlite(SqliteApp app) : AssignmentTests<SqliteApp>(app);

[Trait("Database", "Postgres")]
public sealed class AssignmentTests_Postgres(PostgresApp app) : AssignmentTests<PostgresApp>(app);
