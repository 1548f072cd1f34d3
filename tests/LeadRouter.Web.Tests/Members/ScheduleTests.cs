using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using LeadRouter.Data.Members;
using LeadRouter.Web.Features.Accounts;
using LeadRouter.Web.Features.Members;
using LeadRouter.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using static LeadRouter.Web.Tests.Members.MemberSeeding;

namespace LeadRouter.Web.Tests.Members;

/// <summary>Schedules (seed 004): CRUD, skipped runs, exactly one run per occurrence, catch-up of missed occurrences.</summary>
public abstract class ScheduleTests<TApp> where TApp : LeadRouterApp, new()
{
    static CancellationToken Ct => TestContext.Current.CancellationToken;

    static Task<TApp> StartAsync() => StartFreshAsync<TApp>();

    static Task<ScheduleDto> AddAsync(LeadRouterApp app, string name, int minLeads = 0) =>
        app.Get<ScheduleDirectory>().AddAsync(new NewSchedule(name, Domain.Members.ScheduleFrequency.Weekly, DayOfWeek.Monday, null, "09:00", minLeads), Ct);

    [Fact]
    public async Task Schedules_are_created_changed_listed_and_deleted_through_the_api()
    {
        await using var app = await StartAsync();
        var admin = await app.ClientAsync(Roles.Admin);

        var created = await admin.PostAsJsonAsync("/api/v1/schedules",
            new { name = "Month end", frequency = "Monthly", dayOfMonth = 31, timeUtc = "18:30", minLeadsRequired = 50 }, Ct);
        var body = await created.Content.ReadFromJsonAsync<JsonElement>(Ct);
        var bad = await admin.PostAsJsonAsync("/api/v1/schedules", new { name = "Broken", frequency = "Weekly", timeUtc = "25:00" }, Ct);
        var changed = await admin.PatchAsJsonAsync("/api/v1/schedules/Month end", new { enabled = false }, Ct);
        var list = await admin.GetFromJsonAsync<JsonElement>("/api/v1/schedules", Ct);
        var deleted = await admin.DeleteAsync($"/api/v1/schedules/{body.GetProperty("id").GetInt64()}", Ct);

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        // The clock is 2025-01-06: day 31 in January is the 31st.
        Assert.Equal(new DateTimeOffset(2025, 1, 31, 18, 30, 0, TimeSpan.Zero), body.GetProperty("nextRunAt").GetDateTimeOffset());
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        var problem = await bad.Content.ReadAsStringAsync(Ct);
        Assert.Contains("timeUtc", problem, StringComparison.Ordinal);
        Assert.Contains("dayOfWeek", problem, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        Assert.Equal(JsonValueKind.Null, list[0].GetProperty("nextRunAt").ValueKind);
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.Empty(await app.Get<ScheduleDirectory>().ListAsync(Ct));
    }

    [Fact]
    public async Task An_occurrence_with_fewer_leads_than_the_minimum_is_skipped_with_the_reason()
    {
        await using var app = await StartAsync();
        await ImportAsync(app, 20);
        await MembersAsync(app, "Bronze", 1, "b");
        var schedule = await AddAsync(app, "Needs 50", minLeads: 50);

        var row = await app.Get<ScheduledDistribution>().RunOccurrenceAsync(schedule.Id, schedule.NextRunAt!.Value, Ct);

        Assert.Equal(ScheduleExecutionStatus.Skipped, row!.Status);
        Assert.Contains("Only 20 leads", row.SkipReason, StringComparison.Ordinal);
        Assert.Null(row.RunId);
        await using var db = app.CreateDb();
        Assert.Equal(0, await db.Shares.CountAsync(Ct));
    }

    [Fact]
    public async Task Concurrent_executions_of_one_occurrence_make_one_run()
    {
        await using var app = await StartAsync();
        var import = await ImportAsync(app, 300);
        await MembersAsync(app, "Bronze", 3, "b");
        var schedule = await AddAsync(app, "Weekly");
        var at = schedule.NextRunAt!.Value;
        using var second = SecondNode.Create(app.Target, app.Clock);
        var nodes = Enumerable.Range(0, 4).Select(i => i % 2 == 0 ? app.Get<ScheduledDistribution>() : second.Scheduled).ToList();

        var rows = await Task.WhenAll(nodes.Select(n => Task.Run(() => n.ExecuteOnceAsync(schedule.Id, at, Ct), Ct)));

        await using var db = app.CreateDb();
        var execution = await db.ScheduleExecutions.SingleAsync(x => x.ScheduleId == schedule.Id, Ct);
        Assert.Equal(ScheduleExecutionStatus.Completed, execution.Status);
        Assert.Equal(1, execution.Attempts);
        Assert.Equal(300, execution.Shares);
        Assert.Equal(3, execution.MembersServed);
        Assert.Equal(import.ToString(System.Globalization.CultureInfo.InvariantCulture), execution.SourceImports);
        Assert.Equal(1, await db.DistributionRuns.CountAsync(r => r.Kind == DistributionRunKind.Scheduled, Ct));
        Assert.Equal(300, await db.Shares.CountAsync(Ct));
        Assert.All(rows, r => Assert.Equal(execution.ExecutionId, r!.ExecutionId));

        // Triggering the same occurrence again changes nothing.
        var again = await app.Get<ScheduledDistribution>().RunOccurrenceAsync(schedule.Id, at, Ct);
        Assert.Equal(execution.ExecutionId, again!.ExecutionId);
        Assert.Equal(300, await db.Shares.CountAsync(Ct));
    }

    [Fact]
    public async Task A_missed_occurrence_runs_once_at_start_up_and_not_again()
    {
        await using var app = await StartAsync();
        await ImportAsync(app, 150);
        await MembersAsync(app, "Bronze", 1, "b");
        var schedule = await AddAsync(app, "Weekly");
        // The node was down over Monday 2025-01-13 09:00 and starts on Wednesday.
        app.Clock.SetUtcNow(new DateTimeOffset(2025, 1, 15, 12, 0, 0, TimeSpan.Zero));

        var first = await app.Get<ScheduledDistribution>().CatchUpAsync(Ct);
        var second = await app.Get<ScheduledDistribution>().CatchUpAsync(Ct);

        var row = Assert.Single(first);
        Assert.Equal(new DateTimeOffset(2025, 1, 13, 9, 0, 0, TimeSpan.Zero), row.OccurrenceAt);
        Assert.Equal((ScheduleExecutionStatus.Completed, 100), (row.Status, row.Shares));
        Assert.Empty(second);
        var history = await app.Get<ScheduleDirectory>().HistoryAsync(schedule.Id, 10, Ct);
        Assert.Single(history);
    }
}

public sealed class ScheduleTests_Sqlite : ScheduleTests<SqliteApp>;

[Trait("Database", "Postgres")]
public sealed class ScheduleTests_Postgres : ScheduleTests<PostgresApp>;
