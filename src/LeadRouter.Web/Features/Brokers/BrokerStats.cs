using LeadRouter.Data;
using LeadRouter.Domain.Brokers;
using Microsoft.EntityFrameworkCore;

namespace LeadRouter.Web.Features.Brokers;

/// <summary>
/// One broker's statistics (seed 003's broker metrics, counted from the assignment log, so always current).
/// <see cref="Hour"/>, <see cref="Day"/> and <see cref="Month"/> are leads in the current windows of the broker's time zone,
/// beside the caps (null = none). <see cref="Total"/> is every lead ever routed to it. <see cref="Share"/> (also
/// <see cref="ActualShare"/>) is its fraction of all routed leads, 0–1; <see cref="TargetShare"/> is its weight over the
/// weights of the active brokers at its priority (0 when inactive or of weight 0). <see cref="ByCountry"/>: leads ever per
/// lead country ("" = no country). Delivery: <see cref="Deliveries"/> finished (delivered, rejected or dead),
/// <see cref="PushSuccessRate"/> the delivered fraction of them (0–1), <see cref="AvgResponseMs"/> the mean duration of
/// its push attempts (test pushes excluded), <see cref="Paused"/> when too many failed pushes in a row stopped it.
/// </summary>
public sealed record BrokerStatsDto(
    long Id, string Name, bool Active, int Priority, int Weight, long Total, int Hour, int Day, int Month,
    int? HourCap, int? DayCap, int? MonthCap, double Share, double ActualShare, double TargetShare,
    IReadOnlyDictionary<string, long> ByCountry, long Deliveries = 0, double PushSuccessRate = 0, double AvgResponseMs = 0, bool Paused = false);

/// <summary>Broker statistics for <c>GET /api/crm/brokers/{id}/stats</c> and <c>leadrouter brokers stats</c>.</summary>
public sealed class BrokerStats(IDbContextFactory<LeadRouterDb> dbs, TimeProvider clock)
{
    /// <summary>Every broker that is not deleted (or only <paramref name="brokerId"/>), highest priority first, then by name.</summary>
    public async Task<IReadOnlyList<BrokerStatsDto>> GetAsync(long? brokerId, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var brokers = await db.Brokers.AsNoTracking().Where(b => b.DeletedAt == null).ToListAsync(ct);
        var perCountry = await db.BrokerAssignments.GroupBy(a => new { a.BrokerId, a.Country })
            .Select(g => new { g.Key.BrokerId, g.Key.Country, Count = g.LongCount() }).ToListAsync(ct);
        var totals = perCountry.GroupBy(x => x.BrokerId).ToDictionary(g => g.Key, g => g.Sum(x => x.Count));
        long all = totals.Values.Sum();
        var weightAt = brokers.Where(b => b.Active && b.Weight > 0).GroupBy(b => b.Priority).ToDictionary(g => g.Key, g => g.Sum(b => b.Weight));
        var finished = await db.Deliveries.Where(d => d.Status != Data.Brokers.DeliveryStatus.Pending)
            .GroupBy(d => d.BrokerId)
            .Select(g => new { BrokerId = g.Key, Count = g.LongCount(), Delivered = g.LongCount(d => d.Status == Data.Brokers.DeliveryStatus.Delivered) })
            .ToDictionaryAsync(x => x.BrokerId, ct);
        var timing = await db.PushLogs.Where(l => !l.Test).GroupBy(l => l.BrokerId)
            .Select(g => new { BrokerId = g.Key, Avg = g.Average(l => (double)l.DurationMs) })
            .ToDictionaryAsync(x => x.BrokerId, x => x.Avg, ct);
        var now = clock.GetUtcNow();
        var result = new List<BrokerStatsDto>();
        foreach (var b in brokers.Where(b => brokerId is null || b.Id == brokerId)
                     .OrderByDescending(b => b.Priority).ThenBy(b => b.Name, StringComparer.Ordinal))
        {
            var counts = await RouteLeads.WindowCountsAsync(db, b.Id, CapWindows.At(b.TimeZone, now), ct);
            var total = totals.GetValueOrDefault(b.Id);
            var share = all == 0 ? 0 : Math.Round((double)total / all, 4);
            var target = b.Active && b.Weight > 0 ? Math.Round((double)b.Weight / weightAt[b.Priority], 4) : 0;
            result.Add(new BrokerStatsDto(b.Id, b.Name, b.Active, b.Priority, b.Weight, total, counts.Hour, counts.Day, counts.Month,
                b.HourlyCap, b.DailyCap, b.MonthlyCap, share, share, target,
                perCountry.Where(x => x.BrokerId == b.Id).OrderBy(x => x.Country, StringComparer.Ordinal).ToDictionary(x => x.Country, x => x.Count),
                finished.TryGetValue(b.Id, out var f) ? f.Count : 0,
                f is { Count: > 0 } ? Math.Round((double)f.Delivered / f.Count, 4) : 0,
                Math.Round(timing.GetValueOrDefault(b.Id), 1), b.PausedAt is not null));
        }

        return result;
    }
}
