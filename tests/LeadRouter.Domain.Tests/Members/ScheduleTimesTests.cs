using CsCheck;
using LeadRouter.Domain.Members;

namespace LeadRouter.Domain.Tests.Members;

public sealed class ScheduleTimesTests
{
    static readonly Gen<ScheduleRule> Rules =
        Gen.Select(Gen.Bool, Gen.Int[0, 6], Gen.Int[1, 31], Gen.Int[0, 23], Gen.Int[0, 59]).Select((weekly, dow, dom, h, m) => weekly
            ? new ScheduleRule(ScheduleFrequency.Weekly, (DayOfWeek)dow, null, new TimeOnly(h, m))
            : new ScheduleRule(ScheduleFrequency.Monthly, null, dom, new TimeOnly(h, m)));

    // 2000-01-01 .. 2100-01-01, minute resolution plus a few odd ticks.
    static readonly Gen<DateTimeOffset> Instants = Gen.Long[0, 52_596_000L].Select(Gen.Int[0, 3]).Select((minutes, odd) =>
        new DateTimeOffset(2000, 1, 1, 0, 0, 0, TimeSpan.Zero).AddMinutes(minutes).AddTicks(odd == 0 ? 1 : 0));

    static bool Matches(ScheduleRule r, DateTimeOffset t) =>
        TimeOnly.FromTimeSpan(t.TimeOfDay) == r.TimeUtc && t.Offset == TimeSpan.Zero && (r.Frequency == ScheduleFrequency.Weekly
            ? t.DayOfWeek == r.DayOfWeek
            : t.Day == Math.Min(r.DayOfMonth!.Value, DateTime.DaysInMonth(t.Year, t.Month)));

    [Fact]
    public void Next_is_a_matching_occurrence_strictly_after_with_none_skipped() =>
        Gen.Select(Rules, Instants).Sample((rule, t) =>
        {
            var next = ScheduleTimes.Next(rule, t);
            var gap = rule.Frequency == ScheduleFrequency.Weekly ? TimeSpan.FromDays(7) : TimeSpan.FromDays(31);
            return next > t && next - t <= gap && Matches(rule, next)
                && ScheduleTimes.Previous(rule, next.AddTicks(-1)) <= t;
        });

    [Fact]
    public void Previous_is_a_matching_occurrence_at_or_before_and_next_follows_it() =>
        Gen.Select(Rules, Instants).Sample((rule, t) =>
        {
            var previous = ScheduleTimes.Previous(rule, t);
            return previous <= t && Matches(rule, previous) && ScheduleTimes.Next(rule, previous) > t
                && ScheduleTimes.Previous(rule, previous) == previous;
        });

    [Fact]
    public void Days_29_to_31_fall_on_the_last_day_of_shorter_months()
    {
        var rule = new ScheduleRule(ScheduleFrequency.Monthly, null, 31, new TimeOnly(10, 0));

        var feb = ScheduleTimes.Next(rule, new DateTimeOffset(2025, 2, 1, 0, 0, 0, TimeSpan.Zero));
        var leapFeb = ScheduleTimes.Next(rule, new DateTimeOffset(2024, 2, 1, 0, 0, 0, TimeSpan.Zero));
        var april = ScheduleTimes.Next(rule, new DateTimeOffset(2025, 3, 31, 10, 0, 0, TimeSpan.Zero));

        Assert.Equal(new DateTimeOffset(2025, 2, 28, 10, 0, 0, TimeSpan.Zero), feb);
        Assert.Equal(new DateTimeOffset(2024, 2, 29, 10, 0, 0, TimeSpan.Zero), leapFeb);
        Assert.Equal(new DateTimeOffset(2025, 4, 30, 10, 0, 0, TimeSpan.Zero), april);
    }

    [Fact]
    public void Weekly_at_the_exact_time_moves_to_the_next_week()
    {
        var rule = new ScheduleRule(ScheduleFrequency.Weekly, DayOfWeek.Monday, null, new TimeOnly(9, 0));
        var monday = new DateTimeOffset(2025, 1, 6, 9, 0, 0, TimeSpan.Zero);

        Assert.Equal(monday.AddDays(7), ScheduleTimes.Next(rule, monday));
        Assert.Equal(monday, ScheduleTimes.Previous(rule, monday));
        Assert.Equal(monday, ScheduleTimes.Next(rule, monday.AddTicks(-1)));
    }

    [Fact]
    public void Offsets_of_inputs_are_honoured()
    {
        var rule = new ScheduleRule(ScheduleFrequency.Weekly, DayOfWeek.Monday, null, new TimeOnly(9, 0));
        // 2025-01-06 14:00 +05:30 is 08:30 UTC, before Monday 09:00 UTC.
        var ist = new DateTimeOffset(2025, 1, 6, 14, 0, 0, TimeSpan.FromHours(5.5));

        Assert.Equal(new DateTimeOffset(2025, 1, 6, 9, 0, 0, TimeSpan.Zero), ScheduleTimes.Next(rule, ist));
    }

    [Fact]
    public void Invalid_rules_are_rejected()
    {
        Assert.NotNull(ScheduleTimes.Validate(new ScheduleRule(ScheduleFrequency.Weekly, null, 3, TimeOnly.MinValue)));
        Assert.NotNull(ScheduleTimes.Validate(new ScheduleRule(ScheduleFrequency.Monthly, null, 32, TimeOnly.MinValue)));
        Assert.NotNull(ScheduleTimes.Validate(new ScheduleRule(ScheduleFrequency.Monthly, DayOfWeek.Friday, null, TimeOnly.MinValue)));
        Assert.Throws<ArgumentException>(() => ScheduleTimes.Next(new ScheduleRule(ScheduleFrequency.Monthly, null, 0, TimeOnly.MinValue), DateTimeOffset.UnixEpoch));
    }
}
