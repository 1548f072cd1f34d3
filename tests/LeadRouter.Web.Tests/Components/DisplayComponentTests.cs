using Bunit;
using LeadRouter.Web.Features.Brokers;
using LeadRouter.Web.Features.Dashboard;
using LeadRouter.Web.Features.Platform;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace LeadRouter.Web.Tests.Components;

/// <summary>Dashboard components that only show what they are given or told (bUnit, no database).</summary>
public sealed class DisplayComponentTests : IAsyncDisposable
{
    readonly BunitContext ctx = Components.NewContext();
    readonly FakeTimeProvider clock = new(new DateTimeOffset(2025, 1, 6, 9, 0, 0, TimeSpan.Zero));
    readonly RunProgress progress;

    public DisplayComponentTests()
    {
        progress = new RunProgress(clock);
        ctx.Services.AddSingleton(progress);
    }

    public ValueTask DisposeAsync() => ctx.DisposeAsync();

    [Fact]
    public void A_stat_card_shows_its_label_and_the_value_with_thousands_separators_over_the_given_columns()
    {
        var cut = ctx.Render<StatCard>(p => p.Add(c => c.Label, "Unassigned").Add(c => c.Value, 1234567).Add(c => c.Id, "stat-unassigned").Add(c => c.Sm, 4));

        Assert.Equal("Unassigned", cut.Find("#stat-unassigned .mud-text-secondary").TextContent);
        Assert.Equal("1,234,567", cut.Find("#stat-unassigned .lr-stat-value").TextContent);
        Assert.Contains("mud-grid-item-sm-4", cut.Find(".mud-grid-item").ClassName, StringComparison.Ordinal);
    }

    [Fact]
    public void The_share_chart_draws_each_brokers_actual_share_and_target_to_scale()
    {
        BrokerStatsDto Stats(string name, double share, double target) =>
            new(1, name, true, 5, 50, 10, 0, 0, 0, null, null, null, share, share, target, new Dictionary<string, long>());

        var cut = ctx.Render<BrokerShareChart>(p => p.Add(c => c.Brokers, [Stats("B50", 0.625, 0.5), Stats("B30", 1.4, 0.3)]));

        var b50 = cut.Find("[data-share='B50']");
        Assert.Equal(["width:62.5%", "width:50%"], b50.QuerySelectorAll(".lr-bar-fill").Select(e => e.GetAttribute("style")));
        Assert.Equal(["63%", "50%"], b50.QuerySelectorAll(".lr-bar-count").Select(e => e.TextContent));
        Assert.Equal("B50: 63% of routed leads, target 50%", b50.GetAttribute("aria-label"));
        // A share above 100 % (bad data) never draws past the track.
        Assert.Equal("width:100%", cut.Find("[data-share='B30'] .lr-bar-fill").GetAttribute("style"));
    }

    [Fact]
    public void The_progress_bar_follows_its_run_as_reports_come_and_shows_the_last_word_when_it_finishes()
    {
        WorkProgress? finished = null;
        var cut = ctx.Render<WorkProgressBar>(p => p.Add(c => c.Key, "import:7").Add(c => c.OnFinished, (WorkProgress w) => finished = w));
        Assert.Empty(cut.FindAll("[data-progress]"));

        progress.Report("import:7", WorkKind.Distribution, "Distributing import 7", "Writing shares", 2_000, 6_000);
        progress.Report("import:8", WorkKind.Distribution, "Distributing import 8", "Planning the shares");

        cut.WaitForAssertion(() => Assert.Equal("Writing shares: 2,000 of 6,000 (33.3 %)", cut.Find("[data-stage='import:7']").TextContent));
        Assert.Single(cut.FindAll("[data-progress]"));
        Assert.Equal("33.3", cut.Find(".mud-progress-linear").GetAttribute("aria-valuenow"));

        progress.Report("import:7", WorkKind.Distribution, "Distributing import 7", "Writing shares", 6_000, 6_000);
        cut.WaitForAssertion(() => Assert.Equal("100", cut.Find(".mud-progress-linear").GetAttribute("aria-valuenow")));
        progress.Finish("import:7", WorkKind.Distribution, "Distributing import 7", "Completed: 6,000 leads to 12 members");

        cut.WaitForAssertion(() => Assert.Equal("true", cut.Find("[data-progress='import:7']").GetAttribute("data-finished")));
        Assert.Equal("Completed: 6,000 leads to 12 members", cut.Find("[data-stage='import:7']").TextContent);
        Assert.Empty(cut.FindAll(".mud-progress-linear"));
        Assert.Equal("Completed: 6,000 leads to 12 members", finished?.Stage);
        Assert.Null(progress.Get("import:7"));
    }

    [Fact]
    public async Task The_progress_bar_of_a_kind_shows_every_run_of_that_kind_already_going_and_stops_listening_when_disposed()
    {
        progress.Report("run:3", WorkKind.Distribution, "Distribution run 3", "Loading members and leads");
        progress.Report("source:1", WorkKind.Assignment, "Assigning META leads", "Assigning leads", 10, 40);

        var cut = ctx.Render<WorkProgressBar>(p => p.Add(c => c.Kind, WorkKind.Distribution));

        Assert.Equal(["run:3"], cut.FindAll("[data-progress]").Select(e => e.GetAttribute("data-progress")));
        Assert.Contains("mud-progress-indeterminate", cut.Find(".mud-progress-linear").ClassName, StringComparison.Ordinal); // not counted
        await ctx.DisposeComponentsAsync();
        progress.Report("run:3", WorkKind.Distribution, "Distribution run 3", "Writing shares", 1, 2); // no listener left to throw
    }

    [Fact]
    public void A_listener_whose_page_went_away_neither_fails_the_run_nor_keeps_the_others_from_hearing()
    {
        var heard = new List<string>();
        progress.Changed += _ => throw new ObjectDisposedException("page");
        progress.Changed += p => heard.Add(p.Stage);

        progress.Report("source:9", WorkKind.Assignment, "Assigning X leads", "Planning", 0, 5);
        progress.Finish("source:9", WorkKind.Assignment, "Assigning X leads", "5 leads assigned");

        Assert.Equal(["Planning", "5 leads assigned"], heard);
        Assert.Empty(progress.Running);
    }

    [Theory]
    [InlineData(0, 0, "Loading", "Loading")]
    [InlineData(1, 3, "Writing shares", "Writing shares: 1 of 3 (33.3 %)")]
    [InlineData(12_345, 12_345, "Assigning leads", "Assigning leads: 12,345 of 12,345 (100 %)")]
    public void A_stage_is_described_with_its_counts_only_when_it_is_counted(long done, long total, string stage, string expected)
    {
        var p = new WorkProgress("k", WorkKind.Assignment, "t", stage, done, total, false, clock.GetUtcNow());

        Assert.Equal(expected, WorkProgressBar.Describe(p));
        Assert.Equal(total == 0 ? null : Math.Round(100.0 * done / total, 1), p.Percent);
    }
}
