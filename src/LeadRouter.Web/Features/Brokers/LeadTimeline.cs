using LeadRouter.Data;
using LeadRouter.Domain.Postbacks;
using Microsoft.EntityFrameworkCore;

namespace LeadRouter.Web.Features.Brokers;

/// <summary>
/// One thing that happened to a lead. <see cref="Kind"/>: <c>created</c>, <c>routed</c>, <c>push</c> (a push attempt),
/// <c>status</c> (a status change), <c>postback</c> (a broker's reported outcome, <see cref="Event"/> with amount).
/// </summary>
public sealed record TimelineEntry(DateTimeOffset At, string Kind, string Summary, long? BrokerId = null, string? Event = null,
    decimal? Amount = null, string? Currency = null);

/// <summary>A lead's history, oldest first: creation, routing, push attempts, status changes and postbacks.</summary>
public sealed class LeadTimeline(IDbContextFactory<LeadRouterDb> dbs)
{
    /// <returns>The entries, or null when there is no such lead.</returns>
    public async Task<IReadOnlyList<TimelineEntry>?> GetAsync(long leadId, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var lead = await db.Leads.AsNoTracking().Where(l => l.Id == leadId).Select(l => new { l.CreatedAt }).SingleOrDefaultAsync(ct);
        if (lead is null) return null;
        var entries = new List<TimelineEntry> { new(lead.CreatedAt, "created", "Lead created") };
        entries.AddRange((await db.BrokerAssignments.AsNoTracking().Where(a => a.LeadId == leadId).ToListAsync(ct))
            .Select(a => new TimelineEntry(a.RoutedAt, "routed", $"Routed to broker {a.BrokerId} (priority {a.Priority}, {a.Trigger})", a.BrokerId)));
        entries.AddRange((await db.PushLogs.AsNoTracking().Where(l => l.LeadId == leadId && !l.Test).ToListAsync(ct))
            .Select(l => new TimelineEntry(l.At, "push",
                $"Push attempt {l.Attempt}: {l.Status}{(l.HttpStatus is { } h ? $" (HTTP {h})" : "")} in {l.DurationMs} ms", l.BrokerId)));
        entries.AddRange((await db.LeadStatusChanges.AsNoTracking().Where(c => c.LeadId == leadId).ToListAsync(ct))
            .Select(c => new TimelineEntry(c.ChangedAt, "status", $"{c.From} → {c.To}{(c.ChangedBy is { } by ? $" by {by}" : "")}")));
        entries.AddRange((await db.LeadEvents.AsNoTracking().Where(e => e.LeadId == leadId).ToListAsync(ct))
            .Select(e =>
            {
                var amount = e.AmountMinor is { } m && e.Currency is { } c ? Currencies.FromMinor(m, c) : (decimal?)null;
                var name = e.Event.ToString().ToLowerInvariant();
                return new TimelineEntry(e.OccurredAt, "postback",
                    $"Broker {e.BrokerId} reported {name}{(amount is { } a ? $" {a.ToString(System.Globalization.CultureInfo.InvariantCulture)} {e.Currency}" : "")}",
                    e.BrokerId, name, amount, e.Currency);
            }));
        return [.. entries.OrderBy(e => e.At)];
    }
}
