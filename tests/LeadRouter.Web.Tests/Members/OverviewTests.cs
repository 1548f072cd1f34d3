using System.Net.Http.Json;
using System.Text.Json;
using LeadRouter.Data.Members;
using LeadRouter.Domain.Members;
using LeadRouter.Web.Features.Accounts;
using LeadRouter.Web.Features.Members;
using LeadRouter.Web.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using static LeadRouter.Web.Tests.Members.MemberSeeding;

namespace LeadRouter.Web.Tests.Members;

/// <summary>Seed 004's overview. Counts are global, so each test starts its own app on a fresh database.</summary>
public abstract class OverviewTests<TApp> where TApp : LeadRouterApp, new()
{
    static CancellationToken Ct => TestContext.Current.CancellationToken;

    static Task<TApp> StartAsync() => StartFreshAsync<TApp>();

    [Fact]
    public async Task Overview_splits_active_and_exhausted_imports_and_estimates_from_what_members_can_still_receive()
    {
        await using var app = await StartAsync();
        await using var threeShares = app.WithWebHostBuilder(b => b.UseSetting("Members:MaxSharesPerLead", "3"));
        var older = await ImportAsync(app, 30);
        var newer = await ImportAsync(app, 40);
        await MembersAsync(app, "Bronze", 2, "b");
        await MembersAsync(app, "Gold", 1, "g");
        await using (var db = app.CreateDb())
        {
            db.DistributionSchedules.Add(new DistributionSchedule
            {
                Name = "Weekly Distribution",
                Frequency = ScheduleFrequency.Weekly,
                DayOfWeek = DayOfWeek.Monday,
                TimeUtc = new TimeOnly(9, 0),
                Enabled = true,
                CreatedAt = app.Clock.GetUtcNow(),
                UpdatedAt = app.Clock.GetUtcNow(),
            });
            await db.SaveChangesAsync(Ct);
        }

        // Every member takes all 30 leads of the older import: 3 shares each, the limit here, so it is exhausted.
        var run = await threeShares.Services.GetRequiredService<RunDistribution>().RunImportAsync(older, "test", Ct);
        Assert.Equal(90, Assert.IsType<DistributionOutcome.Ran>(run).Report.Shares);
        var o = await threeShares.Services.GetRequiredService<DistributionOverview>().GetAsync(Ct);

        Assert.Equal(70, o.TotalLeads);
        Assert.Equal(90, o.DistributedLeads);
        Assert.Equal(40, o.RemainingLeads);
        Assert.Equal(120, o.RemainingShares);
        Assert.Equal((1, 1), (o.ActiveCsvsCount, o.ExhaustedCsvsCount));
        var active = Assert.Single(o.ActiveCsvs);
        Assert.Equal((newer, true, 40, 0, 40), (active.DistributionId, active.IsNext, active.TotalLeads, active.Distributed, active.Remaining));
        var exhausted = Assert.Single(o.ExhaustedCsvs);
        Assert.Equal((older, "exhausted", 90, 0, 100.0), (exhausted.DistributionId, exhausted.Status, exhausted.Distributed, exhausted.Remaining, exhausted.ProgressPercent));
        Assert.Equal(3, o.EligibleMembers);
        // One weekly run gives every member the 40 new leads (each wants 100 or more): one week left.
        Assert.Equal((1, 1.0), (o.RunsRemaining, o.EstimatedWeeksRemaining));
        Assert.Equal("Weekly Distribution", o.NextScheduleName);
        Assert.Equal(new DateTimeOffset(2025, 1, 13, 9, 0, 0, TimeSpan.Zero), o.NextScheduledRun);
    }

    [Fact]
    public async Task Members_who_have_seen_every_remaining_lead_leave_nothing_to_estimate()
    {
        await using var app = await StartAsync();
        var import = await ImportAsync(app, 30);
        await MembersAsync(app, "Bronze", 2, "b");
        await app.Get<RunDistribution>().RunImportAsync(import, "test", Ct);

        var o = await app.Get<DistributionOverview>().GetAsync(Ct);

        // Every lead still has room (2 of 10 shares), but both members already have all of them.
        Assert.Equal(30, o.RemainingLeads);
        Assert.Equal(240, o.RemainingShares);
        Assert.Equal(0, o.RunsRemaining);
        Assert.Equal(0, o.EstimatedWeeksRemaining);
        Assert.Null(o.NextScheduledRun);
    }

    [Fact]
    public async Task Seed_route_answers_in_snake_case_and_the_upload_estimate_uses_the_same_forecast()
    {
        await using var app = await StartAsync();
        await MembersAsync(app, "Bronze", 7, "m");
        var admin = await app.ClientAsync(Roles.Admin);
        using var form = new MultipartFormDataContent
        {
            { new StringContent(string.Join("\n", ["Name,Email,Address", .. Enumerable.Range(1, 104).Select(i => $"Lead {i},l{i}@example.com,{i} Main St")])), "csv_file", "leads.csv" },
        };

        var upload = await (await admin.PostAsync("/api/admin/leads/upload", form, Ct)).Content.ReadFromJsonAsync<JsonElement>(Ct);
        var overview = await admin.GetFromJsonAsync<JsonElement>("/api/admin/leads/overview", Ct);

        // 7 Bronze on 104 leads: 700 shares, then the 28 unseen ones: two runs, two weeks at one run a week.
        Assert.Equal(2, upload.GetProperty("estimated_weeks").GetInt32());
        Assert.Equal(104, overview.GetProperty("total_leads").GetInt32());
        Assert.Equal(104, overview.GetProperty("remaining_leads").GetInt32());
        Assert.Equal(0, overview.GetProperty("distributed_leads").GetInt32());
        Assert.Equal(1, overview.GetProperty("active_csvs_count").GetInt32());
        Assert.Equal(0, overview.GetProperty("exhausted_csvs_count").GetInt32());
        Assert.True(overview.GetProperty("active_csvs")[0].GetProperty("is_next").GetBoolean());
        Assert.Equal(0, overview.GetProperty("exhausted_csvs").GetArrayLength());
        Assert.Equal(7, overview.GetProperty("eligible_members").GetInt32());
        Assert.Equal(2.0, overview.GetProperty("estimated_weeks_remaining").GetDouble());
        Assert.Equal(JsonValueKind.Null, overview.GetProperty("next_scheduled_run").ValueKind);
        Assert.Equal(JsonValueKind.Null, overview.GetProperty("next_schedule_name").ValueKind);
    }
}

public sealed class OverviewTests_Sqlite : OverviewTests<SqliteApp>;

[Trait("Database", "Postgres")]
public sealed class OverviewTests_Postgres : OverviewTests<PostgresApp>;
