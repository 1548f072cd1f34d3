using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using LeadRouter.Data;
using LeadRouter.Data.Leads;
using LeadRouter.Domain.Agents;
using LeadRouter.Web.Features.Accounts;
using LeadRouter.Web.Features.Agents;
using LeadRouter.Web.Features.Replenishment;
using LeadRouter.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace LeadRouter.Web.Tests.Replenishment;

/// <summary>
/// Replenishment through the coordinator and the API. Its metrics are global (the whole working pool and reserve), so
/// every test starts its own app on a fresh database instead of sharing the class's.
/// </summary>
public abstract class ReplenishmentTests<TApp> where TApp : LeadRouterApp, new()
{
    protected ReplenishmentTests()
    {
        using var probe = new TApp();
        if (probe.SkipReason is { } reason) Assert.Skip(reason);
    }

    static CancellationToken Ct => TestContext.Current.CancellationToken;

    static async Task<TApp> StartAsync(string? policy = null)
    {
        var app = new TApp();
        await app.InitializeAsync();
        if (policy is not null) await app.Get<Replenish>().SavePolicyAsync(policy, Ct);
        return app;
    }

    /// <summary>A policy in seed 001's format; the grade minimums are 0 unless given.</summary>
    static string Policy(int min = 120, int target = 150, int perRun = 50, int daily = 500, double cooldownHours = 1,
        string minimums = """{ "A+": 0, "A": 0, "B": 0 }""", string extra = "") => $$"""
        {
          "lead_inventory_thresholds": { "min_total_leads": {{min}}, "target_total_leads": {{target}}, "min_priority_leads": {{minimums}} }, // test
          "upload_controls": { "max_upload_per_run": {{perRun}}, "max_daily_uploads": {{daily}}, "min_time_between_uploads_hours": {{cooldownHours.ToString(System.Globalization.CultureInfo.InvariantCulture)}} }
          {{extra}}
        }
        """;

    /// <summary>Adds leads of one grade (scores descending from <paramref name="topScore"/>); returns their ids.</summary>
    static async Task<List<long>> AddAsync(TApp app, string grade, int count, LeadStatus status = LeadStatus.Reserve, string source = "Reserve",
        int topScore = 1000, Func<int, string>? email = null, Func<int, string?>? phone = null)
    {
        await using var db = app.CreateDb();
        var key = Source.KeyOf(source);
        var src = await db.Sources.SingleOrDefaultAsync(s => s.Key == key, Ct) ?? db.Sources.Add(new Source { Name = source, Key = key, CreatedAt = app.Clock.GetUtcNow() }).Entity;
        var import = db.Imports.Add(new Import { FileName = $"{source}.csv", CreatedAt = app.Clock.GetUtcNow(), Rows = count, Accepted = count }).Entity;
        await db.SaveChangesAsync(Ct);
        var tag = Guid.NewGuid().ToString("N")[..10];
        var leads = Enumerable.Range(0, count).Select(i => new Lead
        {
            IdentityKey = $"id:{tag}.{i}",
            Email = email?.Invoke(i) ?? $"{tag}.{i}@example.com",
            Phone = phone?.Invoke(i),
            Name = $"Lead {i}",
            Grade = grade,
            Score = topScore - i,
            SourceId = src.Id,
            ImportId = import.Id,
            Status = status,
            CreatedAt = app.Clock.GetUtcNow(),
        }).ToList();
        db.Leads.AddRange(leads);
        await db.SaveChangesAsync(Ct);
        return leads.Select(l => l.Id).ToList();
    }

    static async Task<int> CountAsync(TApp app, LeadStatus status)
    {
        await using var db = app.CreateDb();
        return await db.Leads.CountAsync(l => l.Status == status, Ct);
    }

    static async Task AddReserveMixAsync(TApp app, int each = 100)
    {
        foreach (var grade in new[] { "A+", "A", "B" }) await AddAsync(app, grade, each);
    }

    [Fact]
    public async Task Below_the_minimum_a_run_releases_up_to_the_per_run_cap_and_never_more()
    {
        await using var app = await StartAsync(Policy(min: 120, target: 150, perRun: 50));
        await AddReserveMixAsync(app);

        var result = await app.Get<Replenish>().RunOnceAsync("test", Ct);

        Assert.Null(result.BlockedBy);
        Assert.Equal(50, result.Released);
        Assert.Equal(50, await CountAsync(app, LeadStatus.New));
        Assert.Equal(250, await CountAsync(app, LeadStatus.Reserve));
    }

    [Fact]
    public async Task Below_the_minimum_a_run_releases_exactly_up_to_the_target_when_the_cap_allows()
    {
        await using var app = await StartAsync(Policy(min: 50, target: 60, perRun: 100));
        await AddAsync(app, "A", 20, LeadStatus.New, source: "Pool");
        await AddReserveMixAsync(app);

        var result = await app.Get<Replenish>().RunOnceAsync("test", Ct);

        Assert.Equal(40, result.Released);
        Assert.Equal(60, await CountAsync(app, LeadStatus.New));
    }

    [Fact]
    public async Task With_zero_minimums_and_no_outcomes_fifty_split_by_the_default_mix()
    {
        await using var app = await StartAsync(Policy(perRun: 50));
        await AddReserveMixAsync(app);

        var result = await app.Get<Replenish>().RunOnceAsync("test", Ct);

        Assert.Equal(new Dictionary<string, int> { ["A+"] = 10, ["A"] = 25, ["B"] = 15 }, result.ByGrade);
    }

    [Fact]
    public async Task With_the_default_minimums_a_grade_below_its_minimum_is_filled_first()
    {
        await using var app = await StartAsync(Policy(min: 50, target: 150, perRun: 20, minimums: """{ "A+": 10, "A": 30, "B": 20 }"""));
        await AddAsync(app, "A+", 10, LeadStatus.New, source: "Pool");
        await AddAsync(app, "A", 30, LeadStatus.New, source: "Pool");
        await AddAsync(app, "B", 5, LeadStatus.New, source: "Pool");
        await AddReserveMixAsync(app);

        var result = await app.Get<Replenish>().RunOnceAsync("test", Ct);

        Assert.Equal(20, result.Released);
        Assert.True(result.ByGrade["B"] >= 15, $"B got {result.ByGrade["B"]}, its deficit is 15");
        Assert.Contains(result.Reasons, r => r.Contains("grade B has 5 available", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_second_run_within_the_cooldown_releases_nothing_and_says_how_long_to_wait()
    {
        await using var app = await StartAsync(Policy(min: 1000, target: 1000, perRun: 20));
        await AddReserveMixAsync(app);
        var replenish = app.Get<Replenish>();

        var first = await replenish.RunOnceAsync("test", Ct);
        app.Clock.Advance(TimeSpan.FromMinutes(23));
        var second = await replenish.RunOnceAsync("test", Ct);
        app.Clock.Advance(TimeSpan.FromMinutes(37));
        var third = await replenish.RunOnceAsync("test", Ct);

        Assert.Equal(20, first.Released);
        Assert.Equal((0, "cooldown", 37), (second.Released, second.BlockedBy, second.WaitMinutes));
        Assert.Contains(second.Reasons, r => r.Contains("wait 37 minutes", StringComparison.Ordinal));
        Assert.Equal(20, third.Released);
        Assert.Equal(40, await CountAsync(app, LeadStatus.New));
    }

    [Fact]
    public async Task The_daily_cap_holds_across_runs_and_resets_at_local_midnight()
    {
        // 09:00 UTC = 14:30 in Asia/Kolkata; local midnight is 18:30 UTC.
        await using var app = await StartAsync(Policy(min: 1000, target: 1000, perRun: 20, daily: 30, cooldownHours: 0,
            extra: """, "time_zone": "Asia/Kolkata" """));
        await AddReserveMixAsync(app);
        var replenish = app.Get<Replenish>();

        var first = await replenish.RunOnceAsync("test", Ct);
        var second = await replenish.RunOnceAsync("test", Ct);
        var third = await replenish.RunOnceAsync("test", Ct);
        app.Clock.Advance(TimeSpan.FromHours(9) + TimeSpan.FromMinutes(29)); // 23:59 IST
        var beforeMidnight = await replenish.RunOnceAsync("test", Ct);
        app.Clock.Advance(TimeSpan.FromMinutes(2));                          // 00:01 IST, next day
        var afterMidnight = await replenish.RunOnceAsync("test", Ct);

        Assert.Equal((20, 10), (first.Released, second.Released));
        Assert.Equal((0, "daily_cap"), (third.Released, third.BlockedBy));
        Assert.Equal((0, "daily_cap"), (beforeMidnight.Released, beforeMidnight.BlockedBy));
        Assert.Equal(20, afterMidnight.Released);
    }

    [Fact]
    public async Task Duplicates_in_reserve_are_never_released()
    {
        await using var app = await StartAsync(Policy(min: 1000, target: 1000, perRun: 100));
        await AddAsync(app, "A", 1, LeadStatus.New, source: "Pool", email: _ => "taken@example.com", phone: _ => "+14155550100");
        var byEmail = await AddAsync(app, "A+", 1, email: _ => "taken@example.com");
        var byPhone = await AddAsync(app, "A+", 1, phone: _ => "+14155550100");
        var twins = await AddAsync(app, "B", 2, email: _ => "twin@example.com");
        var clean = await AddAsync(app, "A", 5);

        var result = await app.Get<Replenish>().RunOnceAsync("test", Ct);

        Assert.Equal(6, result.Released);
        Assert.Equal(3, result.DuplicatesSkipped);
        await using var db = app.CreateDb();
        var stillReserve = await db.Leads.Where(l => l.Status == LeadStatus.Reserve).Select(l => l.Id).ToListAsync(Ct);
        Assert.Equal(byEmail.Concat(byPhone).Append(twins[1]).Order(), stillReserve.Order());
        Assert.Equal(1, await db.Leads.CountAsync(l => l.Email == "twin@example.com" && l.Status == LeadStatus.New, Ct));
        Assert.All(clean, id => Assert.DoesNotContain(id, stillReserve));
    }

    [Fact]
    public async Task Two_runs_at_once_on_two_nodes_never_release_a_lead_twice()
    {
        await using var app = await StartAsync(Policy(min: 10_000, target: 10_000, perRun: 40, cooldownHours: 0));
        await AddReserveMixAsync(app);
        using var node = SecondNode.Create(app.Target, app.Clock);
        var here = app.Get<Replenish>();

        var results = await Task.WhenAll(
            here.RunOnceAsync("test", Ct), here.RunOnceAsync("test", Ct), node.Replenish.RunOnceAsync("test", Ct), node.Replenish.RunOnceAsync("test", Ct));

        Assert.All(results, r => Assert.Equal(40, r.Released));
        Assert.Equal(160, await CountAsync(app, LeadStatus.New));
        Assert.Equal(140, await CountAsync(app, LeadStatus.Reserve));
        await using var db = app.CreateDb();
        Assert.Equal(4, await db.ReplenishmentRuns.CountAsync(r => r.Released == 40, Ct));
    }

    [Fact]
    public async Task A_metrics_query_failing_mid_run_releases_nothing_and_logs_why()
    {
        await using var app = await StartAsync(Policy(perRun: 50));
        await AddReserveMixAsync(app);
        await using (var db = app.CreateDb())
            await db.Database.ExecuteSqlRawAsync("""DROP TABLE "LeadStatusChanges" """, Ct); // the 30-day conversion query now fails

        var result = await app.Get<Replenish>().RunOnceAsync("test", Ct);

        Assert.Equal((0, "metrics_error"), (result.Released, result.BlockedBy));
        Assert.StartsWith("metrics_error:", result.Reasons[0], StringComparison.Ordinal);
        Assert.Equal(300, await CountAsync(app, LeadStatus.Reserve));
        await using var check = app.CreateDb();
        var run = await check.ReplenishmentRuns.SingleAsync(Ct);
        Assert.Equal(("metrics_error", 0), (run.BlockedBy, run.Released));
        Assert.NotNull(run.Error);
    }

    [Fact]
    public async Task An_unreachable_database_releases_nothing()
    {
        await using var app = await StartAsync();
        var broken = app.Target.Provider == DatabaseProvider.Sqlite
            ? DatabaseTarget.Parse(Path.Combine(Path.GetTempPath(), $"lr_missing_{Guid.NewGuid():N}", "no.db"))
            : new DatabaseTarget(DatabaseProvider.Postgres, new NpgsqlConnectionStringBuilder(app.Target.ConnectionString) { Database = $"lr_missing_{Guid.NewGuid():N}" }.ToString());
        using var node = SecondNode.Create(broken, app.Clock);

        var result = await node.Replenish.RunOnceAsync(new ReplenishRequest("test", Policy: Replenish.ParsePolicy(Policy())), Ct);

        Assert.Equal((0, "metrics_error", (long?)null), (result.Released, result.BlockedBy, result.RunId));
    }

    [Fact]
    public async Task Outside_business_hours_or_on_a_holiday_nothing_is_released_and_the_reason_is_given()
    {
        // Monday 6 January 2025, 09:00 UTC = 14:30 in Asia/Kolkata.
        const string hours = """, "time_zone": "Asia/Kolkata", "business_hours": { "days": ["Mon","Tue","Wed","Thu","Fri"], "start": "09:00", "end": "14:00" } """;
        await using var late = await StartAsync(Policy(extra: hours));
        await AddReserveMixAsync(late);
        await using var holiday = await StartAsync(Policy(extra: """, "time_zone": "Asia/Kolkata", "holidays": ["2025-01-06"] """));
        await AddReserveMixAsync(holiday);

        var afterHours = await late.Get<Replenish>().RunOnceAsync("test", Ct);
        var onHoliday = await holiday.Get<Replenish>().RunOnceAsync("test", Ct);

        Assert.Equal((0, "business_hours"), (afterHours.Released, afterHours.BlockedBy));
        Assert.Contains(afterHours.Reasons, r => r.StartsWith("outside_business_hours: Mon 14:30", StringComparison.Ordinal));
        Assert.Equal((0, "business_hours"), (onHoliday.Released, onHoliday.BlockedBy));
        Assert.Contains(onHoliday.Reasons, r => r.StartsWith("holiday: 2025-01-06", StringComparison.Ordinal));
        Assert.Equal(300, await CountAsync(late, LeadStatus.Reserve));
    }

    [Fact]
    public async Task Enough_leads_is_reported_as_sufficient()
    {
        await using var app = await StartAsync(Policy(min: 10, target: 20));
        await AddAsync(app, "A", 15, LeadStatus.New, source: "Pool");
        await AddReserveMixAsync(app, 5);

        var result = await app.Get<Replenish>().RunOnceAsync("test", Ct);

        Assert.Equal((0, "sufficient"), (result.Released, result.BlockedBy));
    }

    [Fact]
    public async Task A_dry_run_reports_the_plan_and_changes_nothing()
    {
        await using var app = await StartAsync(Policy(perRun: 50));
        await AddReserveMixAsync(app);

        var dry = await app.Get<Replenish>().RunOnceAsync(new ReplenishRequest("test", DryRun: true), Ct);
        var real = await app.Get<Replenish>().RunOnceAsync("test", Ct);

        Assert.Equal((true, 50, (long?)null), (dry.DryRun, dry.Released, dry.RunId));
        Assert.Equal(dry.ByGrade, real.ByGrade);
        Assert.Equal(50, real.Released);
        await using var db = app.CreateDb();
        Assert.Equal(1, await db.ReplenishmentRuns.CountAsync(Ct));
    }

    [Fact]
    public async Task Released_leads_are_assigned_by_their_sources_pool()
    {
        await using var app = await StartAsync(Policy(perRun: 30));
        var agents = new[] { "Ann", "Bob", "Cid" };
        foreach (var a in agents) await app.Get<AgentDirectory>().AddAsync(new NewAgent(a), Ct);
        await app.Get<AgentPools>().SaveAsync("Reserve", agents, AssignmentMethod.Fair, true, Ct);
        await AddReserveMixAsync(app);

        var result = await app.Get<Replenish>().RunOnceAsync("test", Ct);

        Assert.Equal((30, 30), (result.Released, result.Assigned));
        await using var db = app.CreateDb();
        var perAgent = await db.Leads.Where(l => l.AgentId != null).GroupBy(l => l.AgentId).Select(g => g.Count()).ToListAsync(Ct);
        Assert.Equal([10, 10, 10], perAgent);
        Assert.Equal(270, await db.Leads.CountAsync(l => l.Status == LeadStatus.Reserve && l.AgentId == null, Ct));
    }

    [Fact]
    public async Task Status_changes_are_recorded_and_30_day_conversion_shifts_the_mix()
    {
        await using var app = await StartAsync(Policy(min: 200, target: 250, perRun: 50));
        var admin = await app.ClientAsync(Roles.Admin);
        var good = await AddAsync(app, "A+", 4, LeadStatus.Pending, source: "Worked");
        var poor = await AddAsync(app, "B", 4, LeadStatus.Pending, source: "Worked");
        foreach (var (id, to) in good.Select(id => (id, "Converted")).Concat(poor.Select(id => (id, "Lost"))))
            (await admin.PatchAsJsonAsync($"/api/v1/leads/{id}/status", new { status = to }, Ct)).EnsureSuccessStatusCode();
        await AddReserveMixAsync(app);

        var result = await app.Get<Replenish>().RunOnceAsync("test", Ct);

        await using var db = app.CreateDb();
        Assert.Equal(8, await db.LeadStatusChanges.CountAsync(c => c.ChangedAt == app.Clock.GetUtcNow(), Ct));
        Assert.Equal(1.0, result.Metrics.ConversionRate30Days["A+"]);
        Assert.Equal(0.0, result.Metrics.ConversionRate30Days["B"]);
        Assert.True(result.ByGrade["A+"] > 10, $"A+ got {result.ByGrade["A+"]}; the default mix gives 10 of 50");
        Assert.True(result.ByGrade["B"] < 15, $"B got {result.ByGrade["B"]}; the default mix gives 15 of 50");
        Assert.Contains(result.Reasons, r => r.Contains("adjusted by 30-day conversion", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Outcomes_older_than_30_days_no_longer_change_the_mix()
    {
        await using var app = await StartAsync(Policy(min: 200, target: 250, perRun: 50, cooldownHours: 0));
        var good = await AddAsync(app, "A+", 2, LeadStatus.Pending, source: "Worked");
        foreach (var id in good) await app.Get<LeadRouter.Web.Features.Leads.ChangeLeadStatus>().SetAsync(id, LeadStatus.Converted, null, "test", Ct);
        var poor = await AddAsync(app, "B", 2, LeadStatus.Pending, source: "Worked");
        foreach (var id in poor) await app.Get<LeadRouter.Web.Features.Leads.ChangeLeadStatus>().SetAsync(id, LeadStatus.Lost, null, "test", Ct);
        app.Clock.Advance(TimeSpan.FromDays(31));
        await AddReserveMixAsync(app);

        var result = await app.Get<Replenish>().RunOnceAsync("test", Ct);

        Assert.Empty(result.Metrics.ConversionRate30Days);
        Assert.Equal(new Dictionary<string, int> { ["A+"] = 10, ["A"] = 25, ["B"] = 15 }, result.ByGrade);
    }

    [Fact]
    public async Task A_reserve_import_through_the_API_stays_out_of_the_pool_until_released()
    {
        await using var app = await StartAsync(Policy(perRun: 2));
        var admin = await app.ClientAsync(Roles.Admin);
        await app.Get<AgentDirectory>().AddAsync(new NewAgent("Ann"), Ct);
        await app.Get<AgentPools>().SaveAsync("Held", ["Ann"], AssignmentMethod.Fair, true, Ct);
        var csv = "Name,Email,Grade,Score,Lead Source\nR1,r1@example.com,A,90,Held\nR2,r2@example.com,A,80,Held\nR3,r3@example.com,B,70,Held\n";
        var form = new MultipartFormDataContent { { new ByteArrayContent(Encoding.UTF8.GetBytes(csv)), "file", "reserve.csv" }, { new StringContent("true"), "reserve" } };

        var response = await admin.PostAsync("/api/v1/imports", form, Ct);
        var reserved = await CountAsync(app, LeadStatus.Reserve);
        var run = await admin.PostAsync("/api/v1/replenishment/run", null, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(0, (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("assigned").GetInt32());
        Assert.Equal(3, reserved);
        var body = await run.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal((2, 2), (body.GetProperty("released").GetInt32(), body.GetProperty("assigned").GetInt32()));
        await using var db = app.CreateDb();
        // Two by the default mix: one A (the best score), one B; A+ has none in reserve.
        Assert.Equal(["r1@example.com", "r3@example.com"], await db.Leads.Where(l => l.AgentId != null).Select(l => l.Email!).OrderBy(e => e).ToListAsync(Ct));
    }

    [Fact]
    public async Task Health_reports_the_last_run()
    {
        await using var app = await StartAsync(Policy(perRun: 50));
        await AddReserveMixAsync(app);
        await app.Get<Replenish>().RunOnceAsync("test", Ct);
        app.Clock.Advance(TimeSpan.FromMinutes(5));
        await app.Get<Replenish>().RunOnceAsync("test", Ct);

        var response = await app.CreateClient().GetAsync("/health", Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var check = (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("checks").GetProperty("replenishment");
        Assert.Equal("Healthy", check.GetProperty("status").GetString());
        var data = check.GetProperty("data");
        Assert.Equal((0, "cooldown"), (data.GetProperty("released").GetInt32(), data.GetProperty("blockedBy").GetString()));
        Assert.Equal(app.Clock.GetUtcNow(), data.GetProperty("lastRunAt").GetDateTimeOffset());
    }
}

public sealed class ReplenishmentTests_Sqlite : ReplenishmentTests<SqliteApp>;

[Trait("Database", "Postgres")]
public sealed class ReplenishmentTests_Postgres : ReplenishmentTests<PostgresApp>;
