using CsCheck;
using LeadRouter.Domain.Brokers;

namespace LeadRouter.Domain.Tests.Brokers;

public sealed class CapWindowsTests
{
    static DateTimeOffset Utc(int y, int mo, int d, int h, int mi = 0) => new(y, mo, d, h, mi, 0, TimeSpan.Zero);

    [Fact]
    public void Dubai_windows_are_cut_at_local_hours_midnights_and_month_starts()
    {
        var w = CapWindows.At("Asia/Dubai", Utc(2025, 1, 6, 21, 30)); // 01:30 on 7 January in Dubai (UTC+4)

        Assert.Equal(new CapWindows(
            HourStart: Utc(2025, 1, 6, 21), NextHour: Utc(2025, 1, 6, 22),
            DayStart: Utc(2025, 1, 6, 20), NextDay: Utc(2025, 1, 7, 20),
            MonthStart: Utc(2024, 12, 31, 20), NextMonth: Utc(2025, 1, 31, 20)), w);
        Assert.Equal(TimeSpan.Zero, w.DayStart.Offset);
    }

    [Fact]
    public void A_zone_offset_by_half_an_hour_starts_its_hours_at_half_past_utc()
    {
        var w = CapWindows.At("Asia/Kolkata", Utc(2025, 1, 6, 10, 10)); // 15:40 IST

        Assert.Equal((Utc(2025, 1, 6, 9, 30), Utc(2025, 1, 6, 10, 30)), (w.HourStart, w.NextHour));
        Assert.Equal((Utc(2025, 1, 5, 18, 30), Utc(2025, 1, 6, 18, 30)), (w.DayStart, w.NextDay));
    }

    [Fact]
    public void Daylight_saving_days_last_23_and_25_hours()
    {
        var spring = CapWindows.At("America/New_York", Utc(2025, 3, 9, 12));
        var autumn = CapWindows.At("America/New_York", Utc(2025, 11, 2, 12));

        Assert.Equal((Utc(2025, 3, 9, 5), Utc(2025, 3, 10, 4)), (spring.DayStart, spring.NextDay));
        Assert.Equal((Utc(2025, 11, 2, 4), Utc(2025, 11, 3, 5)), (autumn.DayStart, autumn.NextDay));
        Assert.Equal(Utc(2025, 3, 1, 5), spring.MonthStart);
        Assert.Equal(Utc(2025, 12, 1, 5), autumn.NextMonth);
    }

    [Fact]
    public void The_repeated_hour_when_clocks_go_back_is_two_hourly_windows()
    {
        var first = CapWindows.At("America/New_York", Utc(2025, 11, 2, 5, 30));  // 01:30 EDT
        var second = CapWindows.At("America/New_York", Utc(2025, 11, 2, 6, 30)); // 01:30 EST

        Assert.Equal((Utc(2025, 11, 2, 5), Utc(2025, 11, 2, 6)), (first.HourStart, first.NextHour));
        Assert.Equal((Utc(2025, 11, 2, 6), Utc(2025, 11, 2, 7)), (second.HourStart, second.NextHour));
    }

    [Fact]
    public void Next_opening_is_null_below_every_cap_and_else_the_next_window_of_the_longest_cap_reached()
    {
        var broker = new BrokerState(1, "B", true, 5, 50, [], "Asia/Dubai", HourlyCap: 5, DailyCap: 20, MonthlyCap: 100);
        var now = Utc(2025, 1, 6, 9);

        Assert.Null(CapWindows.NextOpening(broker, new CapCounts(4, 19, 99), now));
        Assert.Equal(Utc(2025, 1, 6, 10), CapWindows.NextOpening(broker, new CapCounts(5, 19, 99), now));
        Assert.Equal(Utc(2025, 1, 6, 20), CapWindows.NextOpening(broker, new CapCounts(5, 20, 99), now));
        Assert.Equal(Utc(2025, 1, 31, 20), CapWindows.NextOpening(broker, new CapCounts(5, 20, 100), now));
        Assert.Equal(CapKind.Monthly, CapWindows.ReachedCap(broker, new CapCounts(0, 0, 100)));
    }

    [Fact]
    public void An_unknown_time_zone_is_refused() =>
        Assert.Throws<TimeZoneNotFoundException>(() => CapWindows.At("Mars/Olympus_Mons", Utc(2025, 1, 6, 9)));

    // Daylight-saving changes of the test zones in 2025 (New York, London, Lord Howe's half-hour shift), to sample around.
    static readonly DateTimeOffset[] ClockChanges =
        [Utc(2025, 3, 9, 7), Utc(2025, 11, 2, 6), Utc(2025, 3, 30, 1), Utc(2025, 10, 26, 1), Utc(2025, 4, 5, 15), Utc(2025, 10, 4, 15, 30)];

    static (int, int, int, int, TimeSpan) Local(TimeZoneInfo zone, DateTimeOffset instant, CapKind kind)
    {
        var l = TimeZoneInfo.ConvertTime(instant, zone);
        return kind switch
        {
            CapKind.Hourly => (l.Year, l.Month, l.Day, l.Hour, l.Offset),
            CapKind.Daily => (l.Year, l.Month, l.Day, 0, TimeSpan.Zero),
            _ => (l.Year, l.Month, 0, 0, TimeSpan.Zero),
        };
    }

    [Fact]
    public void Each_window_holds_now_and_is_bounded_where_the_local_clock_changes_hour_day_or_month() =>
        Gen.Select(Gen.OneOf(BrokerGen.Zones), Gen.Frequency(
                (1, Gen.Long[Utc(2020, 1, 1, 0).UtcTicks, Utc(2030, 12, 31, 0).UtcTicks]),
                (2, Gen.Select(Gen.OneOf(ClockChanges), Gen.Long[-TimeSpan.TicksPerDay * 2, TimeSpan.TicksPerDay * 2], (at, offset) => at.UtcTicks + offset))))
            .Sample((zoneId, ticks) =>
            {
                var zone = TimeZoneInfo.FindSystemTimeZoneById(zoneId);
                var now = new DateTimeOffset(ticks, TimeSpan.Zero);
                var w = CapWindows.At(zone, now);
                var tick = TimeSpan.FromTicks(1);
                return new[] { (CapKind.Hourly, w.HourStart, w.NextHour), (CapKind.Daily, w.DayStart, w.NextDay), (CapKind.Monthly, w.MonthStart, w.NextMonth) }
                    .All(x => x.Item2 <= now && now < x.Item3
                        && Local(zone, x.Item2, x.Item1) == Local(zone, now, x.Item1)
                        && Local(zone, x.Item3 - tick, x.Item1) == Local(zone, now, x.Item1)
                        && Local(zone, x.Item2 - tick, x.Item1) != Local(zone, now, x.Item1)
                        && Local(zone, x.Item3, x.Item1) != Local(zone, now, x.Item1))
                    && w.MonthStart <= w.DayStart && w.DayStart <= w.HourStart && w.NextHour <= w.NextDay && w.NextDay <= w.NextMonth;
            }, iter: 2000);
}
