using LeadRouter.Web.Features.Dashboard;
using LeadRouter.Web.Features.Platform;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace LeadRouter.Web.Tests.Components;

/// <summary>Times shown in the viewer's time zone, the configured one until the browser says.</summary>
public sealed class DisplayClockTests
{
    static DisplayClock Clock(string configured = "UTC", DateTimeOffset? now = null) =>
        new(Options.Create(new DisplayOptions { TimeZone = configured }), new FakeTimeProvider(now ?? new DateTimeOffset(2025, 1, 5, 20, 0, 0, TimeSpan.Zero)));

    [Fact]
    public void Times_are_shown_in_the_configured_zone_until_the_browser_names_its_own()
    {
        var clock = Clock("Asia/Dubai");
        var at = new DateTimeOffset(2025, 1, 5, 20, 0, 0, TimeSpan.Zero);

        Assert.Equal("2025-01-06 00:00", clock.Format(at));
        Assert.False(clock.IsViewerZone);
        Assert.True(clock.UseViewerZone("Asia%2FKolkata")); // as the cookie carries it
        Assert.Equal("2025-01-06 01:30", clock.Format(at));
        Assert.Equal(new DateOnly(2025, 1, 6), clock.Today());
        Assert.Equal(new DateTimeOffset(2025, 1, 5, 18, 30, 0, TimeSpan.Zero), clock.StartOfToday());
        Assert.True(clock.IsViewerZone);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("Mars/Olympus_Mons")]
    public void An_unknown_or_missing_browser_zone_keeps_the_configured_one(string? zone)
    {
        var clock = Clock("Asia/Dubai");

        Assert.False(clock.UseViewerZone(zone));
        Assert.Equal("Asia/Dubai", clock.Zone.Id);
        Assert.Equal("", clock.Format(null));
    }

    [Fact]
    public void A_day_that_starts_in_a_daylight_saving_gap_starts_at_the_first_valid_time()
    {
        var clock = Clock("America/Santiago"); // 2024-09-08: clocks jump from 00:00 to 01:00

        Assert.Equal(new DateTimeOffset(2024, 9, 8, 4, 0, 0, TimeSpan.Zero), clock.StartOf(new DateOnly(2024, 9, 8)));
        Assert.Equal(new DateTimeOffset(2024, 9, 7, 4, 0, 0, TimeSpan.Zero), clock.StartOf(new DateOnly(2024, 9, 7)));
    }
}
