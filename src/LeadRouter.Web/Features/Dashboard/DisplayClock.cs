using System.Globalization;
using LeadRouter.Web.Features.Platform;
using Microsoft.Extensions.Options;

namespace LeadRouter.Web.Features.Dashboard;

/// <summary>
/// Shows stored UTC times in the viewer's time zone: the browser's (the dashboard's script keeps it in the
/// <see cref="CookieName"/> cookie, and the page's root component hands it over with <see cref="UseViewerZone"/>), or
/// the configured <c>Display:TimeZone</c> until the browser has said, or when it names a zone this server does not know.
/// One per circuit (scoped).
/// </summary>
public sealed class DisplayClock(IOptions<DisplayOptions> options, TimeProvider clock)
{
    /// <summary>The cookie holding the browser's IANA time zone, e.g. <c>Asia/Kolkata</c>.</summary>
    public const string CookieName = "lr_tz";

    /// <summary>The display time zone.</summary>
    public TimeZoneInfo Zone { get; private set; } = TimeZoneInfo.FindSystemTimeZoneById(options.Value.TimeZone);

    /// <summary>True when <see cref="Zone"/> is the viewer's own (from the browser), not the configured default.</summary>
    public bool IsViewerZone { get; private set; }

    /// <summary>Shows times in the viewer's zone <paramref name="ianaZone"/>; null, empty or unknown keeps the configured zone.</summary>
    /// <returns>True when the zone was taken.</returns>
    public bool UseViewerZone(string? ianaZone)
    {
        if (string.IsNullOrWhiteSpace(ianaZone) || ianaZone.Length > 100) return false;
        if (!TimeZoneInfo.TryFindSystemTimeZoneById(Uri.UnescapeDataString(ianaZone).Trim(), out var zone)) return false;
        Zone = zone;
        IsViewerZone = true;
        return true;
    }

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
