namespace LeadRouter.Domain.Brokers;

/// <summary>The three cap windows a broker's counts are kept in (seed 003: "capacity limits (day/hour/month)").</summary>
public enum CapKind
{
    /// <summary>The local clock hour.</summary>
    Hourly,
    /// <summary>The local calendar day, midnight to midnight.</summary>
    Daily,
    /// <summary>The local calendar month.</summary>
    Monthly,
}

/// <summary>
/// The cap windows containing one instant, cut in a broker's time zone, as UTC instants (DESIGN rule 3). Each window is
/// half-open: [start, next). The edge counts the broker's assignments with <c>start &lt;= AssignedAt &lt; now</c>.
/// A window is the longest stretch of time over which the local clock shows the same calendar hour (and UTC offset),
/// day, or month, so a day is 23 or 25 hours long on a daylight-saving change, the repeated hour of a
/// fall-back change is two separate hourly windows, and a zone offset by :30 starts its hours at :30 UTC.
/// </summary>
/// <param name="HourStart">Start of the current hour window (UTC).</param>
/// <param name="NextHour">Start of the next hour window (UTC).</param>
/// <param name="DayStart">Start of the current day window: the first instant of today's local date (UTC).</param>
/// <param name="NextDay">Start of tomorrow's window (UTC).</param>
/// <param name="MonthStart">Start of the current month window (UTC).</param>
/// <param name="NextMonth">Start of next month's window (UTC).</param>
public sealed record CapWindows(
    DateTimeOffset HourStart, DateTimeOffset NextHour,
    DateTimeOffset DayStart, DateTimeOffset NextDay,
    DateTimeOffset MonthStart, DateTimeOffset NextMonth)
{
    /// <summary>The windows that contain <paramref name="now"/> in the IANA zone <paramref name="timeZoneId"/>.</summary>
    /// <exception cref="TimeZoneNotFoundException">The zone id is unknown to the system's time zone data.</exception>
    public static CapWindows At(string timeZoneId, DateTimeOffset now) =>
        At(TimeZoneInfo.FindSystemTimeZoneById(timeZoneId), now);

    /// <summary>The windows that contain <paramref name="now"/> in <paramref name="zone"/>.</summary>
    public static CapWindows At(TimeZoneInfo zone, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(zone);
        now = now.ToUniversalTime();
        var (hourStart, nextHour) = Window(zone, now, CapKind.Hourly, TimeSpan.FromHours(3));
        var (dayStart, nextDay) = Window(zone, now, CapKind.Daily, TimeSpan.FromDays(3));
        var (monthStart, nextMonth) = Window(zone, now, CapKind.Monthly, TimeSpan.FromDays(40));
        return new CapWindows(hourStart, nextHour, dayStart, nextDay, monthStart, nextMonth);
    }

    /// <summary>The start of the window of <paramref name="kind"/> after the current one (UTC).</summary>
    public DateTimeOffset Next(CapKind kind) => kind switch
    {
        CapKind.Hourly => NextHour,
        CapKind.Daily => NextDay,
        CapKind.Monthly => NextMonth,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    /// <summary>
    /// The cap the broker has reached in the current windows, or null when it can take a lead. When several are
    /// reached, the one that lasts longest (monthly, then daily, then hourly) is given, since it decides when the broker reopens.
    /// </summary>
    public static CapKind? ReachedCap(BrokerState broker, CapCounts counts)
    {
        ArgumentNullException.ThrowIfNull(broker);
        if (broker.MonthlyCap is { } m && counts.Month >= m) return CapKind.Monthly;
        if (broker.DailyCap is { } d && counts.Day >= d) return CapKind.Daily;
        if (broker.HourlyCap is { } h && counts.Hour >= h) return CapKind.Hourly;
        return null;
    }

    /// <summary>
    /// When a broker at a cap can take leads again: the start of the next window of the longest cap it has reached
    /// (UTC). Null when it is at no cap and can take a lead at <paramref name="now"/>. Counts do not grow while the
    /// broker is capped, so the shorter windows are open again by then.
    /// </summary>
    public static DateTimeOffset? NextOpening(BrokerState broker, CapCounts counts, DateTimeOffset now) =>
        ReachedCap(broker, counts) is { } kind ? At(broker.TimeZoneId, now).Next(kind) : null;

    // The window of `kind` containing `now`: [first instant with now's key, first later instant with another key).
    // Found by bisection to the tick, which needs no assumption about where or how the zone's offsets change.
    static (DateTimeOffset Start, DateTimeOffset Next) Window(TimeZoneInfo zone, DateTimeOffset now, CapKind kind, TimeSpan reach)
    {
        var key = Key(zone, now, kind);

        var outside = now - reach; // a different window
        var inside = now;
        while ((inside - outside).Ticks > 1)
        {
            var mid = outside + TimeSpan.FromTicks((inside - outside).Ticks / 2);
            if (Key(zone, mid, kind) == key) inside = mid; else outside = mid;
        }

        var start = inside;
        inside = now;
        outside = now + reach;
        while ((outside - inside).Ticks > 1)
        {
            var mid = inside + TimeSpan.FromTicks((outside - inside).Ticks / 2);
            if (Key(zone, mid, kind) == key) inside = mid; else outside = mid;
        }

        return (start, outside);
    }

    // What the local clock shows, reduced to the window: hour (with the offset, so a repeated hour is two windows), day or month.
    static (int Year, int Month, int Day, int Hour, long OffsetTicks) Key(TimeZoneInfo zone, DateTimeOffset instant, CapKind kind)
    {
        var local = TimeZoneInfo.ConvertTime(instant, zone);
        return kind switch
        {
            CapKind.Hourly => (local.Year, local.Month, local.Day, local.Hour, local.Offset.Ticks),
            CapKind.Daily => (local.Year, local.Month, local.Day, 0, 0),
            _ => (local.Year, local.Month, 0, 0, 0),
        };
    }
}
