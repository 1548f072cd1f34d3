using System.Collections.Concurrent;
using LeadRouter.Domain.Agents;
using LeadRouter.Web.Features.Agents;
using LeadRouter.Web.Features.Members;
using LeadRouter.Web.Features.Platform;
using LeadRouter.Web.Tests.Infrastructure;
using LeadRouter.Web.Tests.Members;

namespace LeadRouter.Web.Tests.Dashboard;

/// <summary>Long runs report their stages to the progress source the dashboard listens to, and always end finished.</summary>
public abstract class RunProgressTests<TApp>(TApp app) : AppTests<TApp>(app) where TApp : LeadRouterApp
{
    /// <summary>Every report made while <paramref name="act"/> runs.</summary>
    async Task<IReadOnlyList<WorkProgress>> RecordAsync(Func<Task> act)
    {
        var seen = new ConcurrentQueue<WorkProgress>();
        void Record(WorkProgress p) => seen.Enqueue(p);
        var progress = App.Get<RunProgress>();
        progress.Changed += Record;
        try { await act(); }
        finally { progress.Changed -= Record; }
        return seen.ToList();
    }

    [Fact]
    public async Task An_assignment_reports_planning_assigning_and_history_then_finishes_with_its_count()
    {
        var source = Unique("PROG");
        var agents = new[] { Unique("Ann"), Unique("Bo") };
        foreach (var a in agents) await App.Get<AgentDirectory>().AddAsync(new NewAgent(a), Ct);
        await App.AddLeadsAsync(source, 25);

        var reports = (await RecordAsync(() => App.Get<AgentPools>().SaveAsync(source, agents, AssignmentMethod.Fair, true, Ct)))
            .Where(p => p.Title == $"Assigning {source} leads").ToList();

        Assert.Equal(["Planning", "Assigning leads", "Assigning leads", "Writing the history", "25 leads assigned"], reports.Select(p => p.Stage));
        Assert.All(reports, p => Assert.Equal(WorkKind.Assignment, p.Kind));
        Assert.Equal([(0L, 25L), (0, 25), (13, 25), (0, 25)], reports.SkipLast(1).Select(p => (p.Done, p.Total)));
        Assert.True(reports[^1].Finished);
        Assert.Null(App.Get<RunProgress>().Get(reports[0].Key));
    }

    [Fact]
    public async Task A_distribution_reports_its_stages_and_shares_written_then_finishes_with_its_result()
    {
        var import = await MemberSeeding.ImportAsync(App, 1_200);
        await MemberSeeding.MembersAsync(App, "Gold", 5, Unique("g"));
        var key = RunDistribution.ProgressKey(0, [import]);

        var reports = (await RecordAsync(() => App.Get<RunDistribution>().RunImportAsync(import, "test", Ct))).Where(p => p.Key == key).ToList();

        Assert.Equal(["Waiting for other runs to finish", "Loading members and leads", "Planning the shares"],
            reports.Select(p => p.Stage).Distinct().Take(3));
        var writing = reports.Where(p => p.Stage == "Writing shares").ToList();
        Assert.Equal(2_500, writing[^1].Total);
        Assert.Equal(2_500, writing[^1].Done);
        Assert.Equal(writing.Select(p => p.Done).Order(), writing.Select(p => p.Done));
        Assert.Equal("Completed: 2,500 leads to 5 members", reports[^1].Stage);
        Assert.True(reports[^1].Finished);
        Assert.Equal($"Distributing import {import}", reports[^1].Title);
        Assert.Null(App.Get<RunProgress>().Get(key));
    }

    [Fact]
    public async Task A_distribution_that_cannot_start_reports_nothing_and_a_finished_one_leaves_nothing_running()
    {
        var unknown = await RecordAsync(() => App.Get<RunDistribution>().RunImportAsync(long.MaxValue, "test", Ct));

        Assert.Empty(unknown);
        Assert.DoesNotContain(App.Get<RunProgress>().Running, p => p.Key == RunDistribution.ProgressKey(0, [long.MaxValue]));
    }
}

public sealed class RunProgressTests_Sqlite(SqliteApp app) : RunProgressTests<SqliteApp>(app);

[Trait("Database", "Postgres")]
public sealed class RunProgressTests_Postgres(PostgresApp app) : RunProgressTests<PostgresApp>(app);
