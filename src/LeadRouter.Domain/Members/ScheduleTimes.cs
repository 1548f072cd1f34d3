namespace LeadRouter.Domain.Members;

/// <summary>How often a distribution schedule fires (seed 004).</summary>
public enum ScheduleFrequency
{
    /// <summary>Once a week, on <see cref="ScheduleRule.DayOfWeek"/>.</summary>
    Weekly,
    /// <summary>Once a month, on <see cref="ScheduleRule.DayOfMonth"/>; 29–31 fall on the last day of shorter months.</summary>
    Monthly,
}

/// <summary>
/// When a distribution schedule fires (seed 004): weekly on a day of the week, or monthly on a day of the month, at a
/// time of day in UTC.
/// </summary>
/// <param name="Frequency">Weekly or monthly.</param>
/// <param name="DayOfWeek">The day of a weekly schedule; ignored for monthly ones.</param>
/// <param name="DayOfMonth">The day (1–31) of a monthly schedule; ignored for weekly ones. 29, 30 and 31 fall on the
/// last day of months that are shorter.</param>
/// <param name="TimeUtc">Time of day, UTC.</param>
public sealed record ScheduleRule(ScheduleFrequency Frequency, DayOfWeek? DayOfWeek, int? DayOfMonth, TimeOnly TimeUtc);

/// <summary>
/// Occurrences of a <see cref="ScheduleRule"/>. Pure: no clock; every instant in and out is UTC (offsets of inputs are
/// honoured, outputs have offset zero).
/// </summary>
public static class ScheduleTimes
{
    /// <summary>Average weeks in a month (365.2425 / 12 / 7), for runs-per-week of monthly schedules.</summary>
    public const double WeeksPerMonth = 365.2425 / 12 / 7;

    /// <summary>Why the rule cannot be used (null when it can): a weekly rule needs a day of the week, a monthly one a
    /// day of the month 1–31.</summary>
    public static string? Validate(ScheduleRule rule)
    {
        ArgumentNullException.ThrowIfNull(rule);
        return rule.Frequency switch
        {
            ScheduleFrequency.Weekly when rule.DayOfWeek is null => "A weekly schedule needs a day of the week.",
            ScheduleFrequency.Weekly when !Enum.IsDefined(rule.DayOfWeek.Value) => "Unknown day of the week.",
            ScheduleFrequency.Monthly when rule.DayOfMonth is not (>= 1 and <= 31) => "A monthly schedule needs a day of the month from 1 to 31.",
            ScheduleFrequency.Weekly or ScheduleFrequency.Monthly => null,
            _ => "Unknown frequency.",
        };
    }

    /// <summary>The first occurrence strictly after <paramref name="after"/>.</summary>
    /// <exception cref="ArgumentException">The rule is invalid (<see cref="Validate"/>).</exception>
    public static DateTimeOffset Next(ScheduleRule rule, DateTimeOffset after)
    {
        ThrowIfInvalid(rule);
        var t = after.ToUniversalTime();
        if (rule.Frequency == ScheduleFrequency.Weekly)
        {
            var ahead = ((int)rule.DayOfWeek!.Value - (int)t.DayOfWeek + 7) % 7;
            var candidate = At(DateOnly.FromDateTime(t.UtcDateTime).AddDays(ahead), rule.TimeUtc);
            return candidate > t ? candidate : candidate.AddDays(7);
        }

        var month = new DateOnly(t.Year, t.Month, 1);
        var inMonth = InMonth(rule, month);
        return inMonth > t ? inMonth : InMonth(rule, month.AddMonths(1));
    }

    /// <summary>The latest occurrence at or before <paramref name="atOrBefore"/>.</summary>
    /// <exception cref="ArgumentException">The rule is invalid (<see cref="Validate"/>).</exception>
    public static DateTimeOffset Previous(ScheduleRule rule, DateTimeOffset atOrBefore)
    {
        ThrowIfInvalid(rule);
        var t = atOrBefore.ToUniversalTime();
        if (rule.Frequency == ScheduleFrequency.Weekly)
        {
            var back = ((int)t.DayOfWeek - (int)rule.DayOfWeek!.Value + 7) % 7;
            var candidate = At(DateOnly.FromDateTime(t.UtcDateTime).AddDays(-back), rule.TimeUtc);
            return candidate <= t ? candidate : candidate.AddDays(-7);
        }

        var month = new DateOnly(t.Year, t.Month, 1);
        var inMonth = InMonth(rule, month);
        return inMonth <= t ? inMonth : InMonth(rule, month.AddMonths(-1));
    }

    /// <summary>Runs a week on average: 1 for weekly, 12 / 52.18 for monthly.</summary>
    public static double RunsPerWeek(ScheduleRule rule) =>
        rule.Frequency == ScheduleFrequency.Weekly ? 1.0 : 1.0 / WeeksPerMonth;

    static DateTimeOffset InMonth(ScheduleRule rule, DateOnly firstOfMonth)
    {
        var day = Math.Min(rule.DayOfMonth!.Value, DateTime.DaysInMonth(firstOfMonth.Year, firstOfMonth.Month));
        return At(firstOfMonth.AddDays(day - 1), rule.TimeUtc);
    }

    static DateTimeOffset At(DateOnly date, TimeOnly time) => new(date.ToDateTime(time, DateTimeKind.Utc));

    static void ThrowIfInvalid(ScheduleRule rule)
    {
        if (Validate(rule) is { } problem) throw new ArgumentException(problem, nameof(rule));
    }
}
