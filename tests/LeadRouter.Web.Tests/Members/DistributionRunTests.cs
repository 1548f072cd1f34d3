using LeadRouter.Data.Members;
using LeadRouter.Web.Features.Members;
using LeadRouter.Web.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using static LeadRouter.Web.Tests.Members.MemberSeeding;

namespace LeadRouter.Web.Tests.Members;

/// <summary>
/// Issue cases of distribution runs at the coordinator level. A run serves every eligible member in the database, so each
/// test starts its own app on a fresh database.
/// </summary>
public abstract class DistributionRunTests<TApp> where TApp : LeadRouterApp, new()
{
    static CancellationToken Ct => TestContext.Current.CancellationToken;

    static Task<TApp> StartAsync() => StartFreshAsync<TApp>();

    static async Task<DistributionReport> RunAsync(IServiceProvider services, long importId)
    {
        var outcome = await services.GetRequiredService<RunDistribution>().RunImportAsync(importId, "test", Ct);
        return Assert.IsType<DistributionOutcome.Ran>(outcome).Report;
    }

    static Task<DistributionReport> RunAsync(LeadRouterApp app, long importId) => RunAsync(app.Services, importId);

    [Fact]
    public async Task Seed_002_example_1_gives_every_member_all_100_leads()
    {
        await using var app = await StartAsync();
        var import = await ImportAsync(app, 100);
        await MembersAsync(app, "Bronze", 5, "b");
        await MembersAsync(app, "Silver", 2, "s");
        await MembersAsync(app, "Gold", 1, "g");

        var report = await RunAsync(app, import);

        // Seed 002 says 62–63 / 155–156 / 311, which would give members the same lead twice: with 100 leads no member
        // can get more than 100 distinct leads, so everyone gets all 100 (800 shares, 8 per lead, under the cap of 10).
        Assert.Equal(DistributionRunStatus.Completed, report.Status);
        Assert.Equal(800, report.Shares);
        Assert.Equal(8, report.MembersServed);
        Assert.All(report.ByMember, m => Assert.Equal(100, m.Count));
        await using var db = app.CreateDb();
        Assert.Equal(800, await db.Shares.CountAsync(s => s.RunId == report.RunId, Ct));
        Assert.Equal(8, await db.MemberFiles.CountAsync(f => f.RunId == report.RunId && f.LeadCount == 100, Ct));
    }

    [Fact]
    public async Task Seed_002_example_2_gives_full_allocation_3250_shares()
    {
        await using var app = await StartAsync();
        var import = await ImportAsync(app, 10_000);
        await MembersAsync(app, "Bronze", 10, "b");
        await MembersAsync(app, "Silver", 5, "s");
        await MembersAsync(app, "Gold", 2, "g");

        var report = await RunAsync(app, import);

        Assert.Equal(3_250, report.Shares);
        Assert.All(report.ByMember, m => Assert.Equal(m.Wanted, m.Count));
        Assert.All(report.ByMember, m => Assert.Null(m.Reason));
        Assert.Equal([100, 250, 500], report.ByMember.Select(m => m.Wanted).Distinct().Order());
    }

    [Fact]
    public async Task Seven_bronze_on_104_leads_get_700_then_only_the_28_unseen()
    {
        await using var app = await StartAsync();
        var import = await ImportAsync(app, 104);
        await MembersAsync(app, "Bronze", 7, "m");

        var first = await RunAsync(app, import);
        var second = await app.Services.GetRequiredService<RunDistribution>().RunScheduledAsync("test", Ct);

        Assert.Equal(700, first.Shares);
        Assert.Equal(28, second.Shares);
        Assert.All(second.ByMember, m => Assert.Equal(4, m.Count));
        await using var db = app.CreateDb();
        var perLead = await db.Shares.GroupBy(s => s.LeadId).Select(g => g.Count()).ToListAsync(Ct);
        Assert.True(perLead.Max() <= 10);
        Assert.Equal(728, perLead.Sum());
        var pairs = await db.Shares.Select(s => new { s.MemberId, s.LeadId }).ToListAsync(Ct);
        Assert.Equal(pairs.Count, pairs.Distinct().Count());
        Assert.Equal(7 * 104, pairs.Count);
    }

    [Fact]
    public async Task With_one_share_per_lead_bronze_and_gold_split_10_leads_2_and_8()
    {
        await using var app = await StartAsync();
        await using var oneShare = app.WithWebHostBuilder(b => b.UseSetting("Members:MaxSharesPerLead", "1"));
        var import = await ImportAsync(app, 10);
        await MembersAsync(app, "Bronze", 1, "b");
        await MembersAsync(app, "Gold", 1, "g");

        var report = await RunAsync(oneShare.Services, import);

        Assert.Equal(10, report.Shares);
        Assert.Equal(2, report.ByMember.Single(m => m.Username == "b1").Count);
        Assert.Equal(8, report.ByMember.Single(m => m.Username == "g1").Count);
        Assert.All(report.ByMember, m => Assert.NotNull(m.Reason));
    }

    [Fact]
    public async Task A_second_run_gives_only_unseen_leads_and_says_why_a_member_got_none()
    {
        await using var app = await StartAsync();
        var first = await ImportAsync(app, 50);
        await MembersAsync(app, "Bronze", 2, "old");
        await RunAsync(app, first);
        await MembersAsync(app, "Bronze", 1, "new");

        var second = await app.Services.GetRequiredService<RunDistribution>().RunScheduledAsync("test", Ct);

        Assert.Equal(50, second.Shares);
        Assert.Equal(50, second.ByMember.Single(m => m.Username == "new1").Count);
        Assert.All(second.ByMember.Where(m => m.Username.StartsWith("old", StringComparison.Ordinal)), m =>
        {
            Assert.Equal(0, m.Count);
            Assert.Contains("already received every lead", m.Reason, StringComparison.OrdinalIgnoreCase);
        });
        await using var db = app.CreateDb();
        Assert.Equal(1, await db.MemberFiles.CountAsync(f => f.RunId == second.RunId, Ct));
    }

    [Fact]
    public async Task Suspended_affiliate_and_vip_affiliate_members_get_nothing()
    {
        await using var app = await StartAsync();
        var import = await ImportAsync(app, 20);
        await MembersAsync(app, "Gold", 1, "susp", suspended: true);
        await MembersAsync(app, "Affiliate", 1, "aff");
        await MembersAsync(app, "VIP Affiliate", 1, "vip");
        await MembersAsync(app, "Silver", 1, "silver");

        var report = await RunAsync(app, import);

        Assert.Equal(20, report.Shares);
        Assert.Equal("silver1", Assert.Single(report.ByMember).Username);
        await using var db = app.CreateDb();
        Assert.Equal(["silver1"], await db.Shares.Join(db.Members, s => s.MemberId, m => m.Id, (s, m) => m.Username).Distinct().ToListAsync(Ct));
    }

    [Fact]
    public async Task No_eligible_members_completes_with_a_warning()
    {
        await using var app = await StartAsync();
        var import = await ImportAsync(app, 5);
        await MembersAsync(app, "Affiliate", 2, "aff");

        var report = await RunAsync(app, import);

        Assert.Equal(DistributionRunStatus.Completed, report.Status);
        Assert.Equal(0, report.Shares);
        Assert.Contains("No eligible members", report.Warning, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Running_a_completed_run_again_is_a_conflict_and_changes_nothing()
    {
        await using var app = await StartAsync();
        var import = await ImportAsync(app, 10);
        await MembersAsync(app, "Bronze", 1, "b");
        await RunAsync(app, import);

        var again = await app.Services.GetRequiredService<RunDistribution>().RunImportAsync(import, "test", Ct);

        var conflict = Assert.IsType<DistributionOutcome.Conflict>(again);
        Assert.Equal(DistributionRunStatus.Completed, conflict.Status);
        await using var db = app.CreateDb();
        Assert.Equal(10, await db.Shares.CountAsync(Ct));
    }

    [Fact]
    public async Task An_import_whose_leads_all_reach_the_cap_becomes_exhausted_and_scheduled_runs_skip_it()
    {
        await using var app = await StartAsync();
        var old = await ImportAsync(app, 10);
        await MembersAsync(app, "Bronze", 12, "b");

        var first = await RunAsync(app, old);
        var newer = await ImportAsync(app, 3);
        var scheduled = await app.Services.GetRequiredService<RunDistribution>().RunScheduledAsync("test", Ct);

        Assert.Equal(100, first.Shares);
        await using var db = app.CreateDb();
        var state = await db.MemberImports.SingleAsync(m => m.ImportId == old, Ct);
        Assert.Equal(MemberImportStatus.Exhausted, state.Status);
        Assert.NotNull(state.ExhaustedAt);
        Assert.Equal(30, scheduled.Shares);
        Assert.Equal([newer], scheduled.SourceImports);
    }

    [Fact]
    public async Task A_run_whose_process_stopped_is_marked_failed_once_its_lease_expires_and_then_runs_again()
    {
        await using var app = await StartAsync();
        var import = await ImportAsync(app, 10);
        await MembersAsync(app, "Bronze", 2, "b");
        var runs = app.Services.GetRequiredService<RunDistribution>();
        var lease = TimeSpan.FromSeconds(app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<MembersOptions>>().Value.LeaseSeconds);
        var runId = await AbandonedRunAsync(app, import, app.Clock.GetUtcNow() + lease);

        var whileLeased = await runs.FailAbandonedAsync(Ct);
        var conflict = Assert.IsType<DistributionOutcome.Conflict>(await runs.RunImportAsync(import, "test", Ct));
        app.Clock.Advance(lease + TimeSpan.FromSeconds(1));
        var afterLease = await runs.FailAbandonedAsync(Ct);
        await using (var db = app.CreateDb())
        {
            var failed = await db.DistributionRuns.AsNoTracking().SingleAsync(r => r.Id == runId, Ct);
            Assert.Equal((DistributionRunStatus.Failed, RunDistribution.AbandonedError, (DateTimeOffset?)null), (failed.Status, failed.Error, failed.LeaseUntil));
            Assert.Equal(0, await db.Shares.CountAsync(Ct));
        }
        var again = await RunAsync(app, import);

        Assert.Equal(0, whileLeased);
        Assert.Equal(DistributionRunStatus.Processing, conflict.Status);
        Assert.Equal(1, afterLease);
        Assert.Equal((runId, DistributionRunStatus.Completed, 20), (again.RunId, again.Status, again.Shares));
        Assert.Equal(0, await runs.FailAbandonedAsync(Ct));
    }

    [Fact]
    public async Task A_failed_run_keeps_no_shares_and_stores_the_error()
    {
        await using var app = await StartAsync();
        var import = await ImportAsync(app, 10);
        await MembersAsync(app, "Bronze", 2, "b");
        await using (var db = app.CreateDb())
        {
            // The failure is injected with a trigger that rejects every share insert.
            if (db.Database.IsSqlite())
                await db.Database.ExecuteSqlRawAsync(
                    "CREATE TRIGGER fail_shares BEFORE INSERT ON \"Shares\" BEGIN SELECT RAISE(ABORT, 'disk full'); END;", Ct);
            else
                await db.Database.ExecuteSqlRawAsync("""
                    CREATE FUNCTION fail_shares() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'disk full'; END $$ LANGUAGE plpgsql;
                    CREATE TRIGGER fail_shares BEFORE INSERT ON "Shares" FOR EACH ROW EXECUTE FUNCTION fail_shares();
                    """, Ct);
        }

        var report = await RunAsync(app, import);

        Assert.Equal(DistributionRunStatus.Failed, report.Status);
        Assert.Contains("disk full", report.Error, StringComparison.Ordinal);
        await using var check = app.CreateDb();
        Assert.Equal(0, await check.Shares.CountAsync(Ct));
        Assert.Equal(0, await check.MemberFiles.CountAsync(Ct));
        var run = await check.DistributionRuns.SingleAsync(r => r.ImportId == import, Ct);
        Assert.Equal(DistributionRunStatus.Failed, run.Status);
        Assert.Contains("disk full", run.Error, StringComparison.Ordinal);
    }
}

public sealed class DistributionRunTests_Sqlite : DistributionRunTests<SqliteApp>;

[Trait("Database", "Postgres")]
public sealed class DistributionRunTests_Postgres : DistributionRunTests<PostgresApp>;
