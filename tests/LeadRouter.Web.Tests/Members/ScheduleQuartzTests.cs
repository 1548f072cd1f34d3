using LeadRouter.Data.Members;
using LeadRouter.Domain.Members;
using LeadRouter.Web.Features.Members;
using LeadRouter.Web.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Quartz;
using static LeadRouter.Web.Tests.Members.MemberSeeding;

namespace LeadRouter.Web.Tests.Members;

/// <summary>
/// Quartz wiring of schedules (seed 004): when the clock reaches an occurrence the trigger fires within seconds; on
/// PostgreSQL two nodes share the clustered job store and the occurrence runs once. Quartz runs on the app's clock.
/// </summary>
public abstract class ScheduleQuartzTests<TApp> where TApp : LeadRouterApp, new()
{
    static CancellationToken Ct => TestContext.Current.CancellationToken;

    static Task<TApp> StartAsync() => StartFreshAsync<TApp>();

    /// <summary>A node of the same app (same database and clock) with the Quartz scheduler on.</summary>
    static WebApplicationFactory<Program> Node(LeadRouterApp app) => app.WithWebHostBuilder(b => b
        .UseSetting("Members:SchedulerEnabled", "true")
        .UseSetting("Db", app.Target.ConnectionString));

    /// <summary>Adds a weekly schedule whose next occurrence is Monday 2025-01-13 09:00 (the clock is a week earlier).</summary>
    internal static async Task<(ScheduleDto Schedule, DateTimeOffset Due)> WeeklyScheduleAsync(LeadRouterApp app, string name)
    {
        var schedule = await app.Get<ScheduleDirectory>().AddAsync(new NewSchedule(name, ScheduleFrequency.Weekly, DayOfWeek.Monday, null, "09:00", 0), Ct);
        return (schedule, schedule.NextRunAt!.Value);
    }

    /// <summary>Waits until the node's Quartz scheduler holds <paramref name="count"/> schedule triggers.</summary>
    internal static async Task WaitForTriggersAsync(WebApplicationFactory<Program> node, int count)
    {
        var scheduler = await node.Services.GetRequiredService<ISchedulerFactory>().GetScheduler(Ct);
        for (var i = 0; i < 200 && (await scheduler.GetTriggerKeys(GroupMatcher<TriggerKey>.GroupEquals(ScheduleTriggers.Group), Ct)).Count != count; i++)
            await Task.Delay(50, Ct);
    }

    static async Task<List<ScheduleExecution>> WaitForHistoryAsync(LeadRouterApp app, long scheduleId, TimeSpan timeout)
    {
        var until = DateTime.UtcNow + timeout;
        while (true)
        {
            await using var db = app.CreateDb();
            var rows = await db.ScheduleExecutions.AsNoTracking().Where(x => x.ScheduleId == scheduleId).ToListAsync(Ct);
            if (rows.Count > 0 && rows.All(r => r.Status != ScheduleExecutionStatus.Running) || DateTime.UtcNow > until) return rows;
            await Task.Delay(100, Ct);
        }
    }

    [Fact]
    public async Task A_schedule_fires_when_its_occurrence_comes()
    {
        await using var app = await StartAsync();
        await ImportAsync(app, 120);
        await MembersAsync(app, "Bronze", 1, "q");
        var (schedule, due) = await WeeklyScheduleAsync(app, "Weekly");
        await using var node = Node(app);
        _ = node.Server;
        await WaitForTriggersAsync(node, 1);

        app.Clock.SetUtcNow(due);
        var rows = await WaitForHistoryAsync(app, schedule.Id, TimeSpan.FromSeconds(20));

        var row = Assert.Single(rows);
        Assert.Equal(due, row.OccurrenceAt);
        Assert.Equal(ScheduleExecutionStatus.Completed, row.Status);
        Assert.Equal(100, row.Shares);
    }

    [Fact]
    public async Task A_node_with_schedules_on_marks_a_run_abandoned_by_a_stopped_process_as_failed()
    {
        await using var app = await StartAsync();
        var import = await ImportAsync(app, 5);
        var runId = await AbandonedRunAsync(app, import, app.Clock.GetUtcNow().AddSeconds(-1));

        await using var node = Node(app);
        _ = node.Server;
        var status = DistributionRunStatus.Processing;
        for (var i = 0; i < 200 && status == DistributionRunStatus.Processing; i++)
        {
            await Task.Delay(100, Ct);
            await using var db = app.CreateDb();
            status = await db.DistributionRuns.Where(r => r.Id == runId).Select(r => r.Status).SingleAsync(Ct);
        }

        Assert.Equal(DistributionRunStatus.Failed, status);
    }
}

public sealed class ScheduleQuartzTests_Sqlite : ScheduleQuartzTests<SqliteApp>;

[Trait("Database", "Postgres")]
public sealed class ScheduleQuartzTests_Postgres : ScheduleQuartzTests<PostgresApp>
{
    static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Two_nodes_on_one_database_run_the_occurrence_once()
    {
        await using var app = new PostgresApp();
        if (app.SkipReason is { } reason) Assert.Skip(reason);
        await app.InitializeAsync();
        await ImportAsync(app, 120);
        await MembersAsync(app, "Bronze", 2, "two");
        var (schedule, due) = await ScheduleQuartzTests<PostgresApp>.WeeklyScheduleAsync(app, "Twice planned");
        await using var first = app.WithWebHostBuilder(b => b.UseSetting("Members:SchedulerEnabled", "true").UseSetting("Db", app.Target.ConnectionString));
        await using var second = app.WithWebHostBuilder(b => b.UseSetting("Members:SchedulerEnabled", "true").UseSetting("Db", app.Target.ConnectionString));
        _ = first.Server;
        _ = second.Server;
        await ScheduleQuartzTests<PostgresApp>.WaitForTriggersAsync(first, 1);
        await ScheduleQuartzTests<PostgresApp>.WaitForTriggersAsync(second, 1);

        app.Clock.SetUtcNow(due);
        List<ScheduleExecution> rows;
        int runs;
        long quartzTriggers;
        var until = DateTime.UtcNow.AddSeconds(20);
        do
        {
            await Task.Delay(200, Ct);
            await using var db = app.CreateDb();
            rows = await db.ScheduleExecutions.AsNoTracking().Where(x => x.ScheduleId == schedule.Id).ToListAsync(Ct);
            runs = await db.DistributionRuns.CountAsync(r => r.RequestedBy == "schedule:Twice planned", Ct);
            quartzTriggers = await db.Database.SqlQueryRaw<long>("SELECT count(*) AS \"Value\" FROM qrtz_triggers WHERE trigger_group = 'member-schedules'")
                .SingleAsync(Ct);
        }
        while ((rows.Count == 0 || rows[0].Status == ScheduleExecutionStatus.Running || quartzTriggers != 1) && DateTime.UtcNow < until);

        var row = Assert.Single(rows);
        Assert.Equal(due, row.OccurrenceAt);
        Assert.Equal(ScheduleExecutionStatus.Completed, row.Status);
        Assert.Equal(1, row.Attempts);
        Assert.Equal(200, row.Shares);
        Assert.Equal(1, runs);
        // The next occurrence is planned once in the shared job store.
        Assert.Equal(1, quartzTriggers);
    }
}
