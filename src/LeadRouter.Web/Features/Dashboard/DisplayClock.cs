using System.Globalization;
using LeadRouter.Web.Features.Platform;
using Microsoft.Extensions.Options;

namespace LeadRouter.Web.Features.Dashboard;

/// <summary>Shows stored UTC times in the configured display time zone (<c>Display:TimeZone</c>).</summary>
public sealed class DisplayClock(IOptions<DisplayOptions> options, TimeProvider clock)
{
    /// <summary>The display time zone.</summary>
    public TimeZoneInfo Zone { get; } = TimeZoneInfo.FindSystemTimeZoneById(options.Value.TimeZone);

    /// <summary>A UTC instant as local time in the display zone.</summary>
    public DateTimeOffset ToLocal(DateTimeOffset utc) => TimeZoneInfo.ConvertTime(utc, Zone);

    /// <summary>"2025-01-06 14:30" in the display zone; empty for null.</summary>
    public string Format(DateTimeOffset? utc) =>
        utc is { } t ? ToLocal(t).ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) : "";

    /// <summary>Midnight today in the display zone, as a UTC instant.</summary>
    public DateTimeOffset StartOfToday() => StartOf(Today());

    /// <summary>Today's date in the display zone.</summary>
    public DateOnly Today() => DateOnly.FromDateTime(ToLocal(clock.GetUtcNow()).DateTime);

    /// <summary>The start of <paramref name="date"/> in the display zone (midnight, or the first valid time after a gap), as a UTC instant.</summary>
    public DateTimeOffset StartOf(DateOnly date)
    {
        var midnight = date.ToDateTime(TimeOnly.MinValue, DateTimeKind.Unspecified);
        while (Zone.IsInvalidTime(midnight)) midnight = midnight.AddMinutes(15);
        return new DateTimeOffset(midnight, Zone.GetUtcOffset(midnight)).ToUniversalTime();
    }
}
