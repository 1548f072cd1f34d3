using LeadRouter.Data;
using LeadRouter.Data.Brokers;
using Microsoft.EntityFrameworkCore;

namespace LeadRouter.Web.Features.Brokers;

/// <summary>
/// Which deliveries to list: one broker (null = all), one status (null = all), and created in [<paramref name="From"/>,
/// <paramref name="To"/>) (UTC instants; null = open).
/// </summary>
public sealed record DeliveryLogFilter(long? BrokerId = null, DeliveryStatus? Status = null, DateTimeOffset? From = null, DateTimeOffset? To = null);

/// <summary>
/// One delivery in the log: the lead and broker, what created it, where it stands, attempts so far, the last attempt's HTTP
/// status and error, when it was created and finished, and while pending when the next attempt is due.
/// </summary>
public sealed record DeliveryLogRow(
    long Id, string WebhookId, long LeadId, string? LeadName, long BrokerId, string Broker, DeliveryTrigger Trigger, DeliveryStatus Status,
    int Attempts, int? LastHttpStatus, string? LastError, DateTimeOffset CreatedAt, DateTimeOffset? CompletedAt, DateTimeOffset? NextAttemptAt);

/// <summary>A page of the delivery log, newest first; <see cref="Total"/> counts every delivery matching the filter.</summary>
public sealed record DeliveryLogPage(IReadOnlyList<DeliveryLogRow> Deliveries, int Page, int PageSize, int Total)
{
    /// <summary>Pages in all (at least 1).</summary>
    public int TotalPages => Math.Max(1, (Total + PageSize - 1) / PageSize);
}

/// <summary>
/// The delivery log of every broker (<c>GET /api/crm/deliveries</c> and the brokers page): deliveries filtered by broker,
/// status and creation time, newest first, paged; and one delivery's attempts.
/// </summary>
public sealed class DeliveryLog(IDbContextFactory<LeadRouterDb> dbs)
{
    /// <summary>Largest page size.</summary>
    public const int MaxPageSize = 200;

    /// <exception cref="InputException">Page below 1, page size outside 1–<see cref="MaxPageSize"/>, or the range ends before it starts.</exception>
    public async Task<DeliveryLogPage> ListAsync(DeliveryLogFilter filter, int page, int pageSize, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        if (page < 1) errors["page"] = ["The page must be 1 or more."];
        if (pageSize is < 1 or > MaxPageSize) errors["pageSize"] = [$"The page size must be 1–{MaxPageSize}."];
        if (filter.From is { } f && filter.To is { } t && t < f) errors["to"] = ["The end is before the start."];
        if (errors.Count > 0) throw new InputException(errors);

        await using var db = await dbs.CreateDbContextAsync(ct);
        var query = db.Deliveries.AsNoTracking();
        if (filter.BrokerId is { } brokerId) query = query.Where(d => d.BrokerId == brokerId);
        if (filter.Status is { } status) query = query.Where(d => d.Status == status);
        if (filter.From is { } from) query = query.Where(d => d.CreatedAt >= from);
        if (filter.To is { } to) query = query.Where(d => d.CreatedAt < to);
        var total = await query.CountAsync(ct);
        var rows = await (from d in query
                          join b in db.Brokers on d.BrokerId equals b.Id
                          join l in db.Leads on d.LeadId equals l.Id
                          orderby d.Id descending
                          select new DeliveryLogRow(d.Id, d.WebhookId, d.LeadId, l.Name, d.BrokerId, b.Name, d.Trigger, d.Status, d.Attempts,
                              d.LastHttpStatus, d.LastError, d.CreatedAt, d.CompletedAt,
                              d.Status == DeliveryStatus.Pending ? d.NextAttemptAt : null))
            .Skip((page - 1) * pageSize).Take(pageSize).ToListAsync(ct);
        return new DeliveryLogPage(rows, page, pageSize, total);
    }

    /// <summary>The attempts of one delivery in order (empty when there is none).</summary>
    public async Task<IReadOnlyList<PushLogDto>> AttemptsAsync(long deliveryId, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        return await db.PushLogs.AsNoTracking().Where(l => l.DeliveryId == deliveryId).OrderBy(l => l.Attempt)
            .Select(l => new PushLogDto(l.Attempt, l.Status, l.HttpStatus, l.ResponseExcerpt, l.DurationMs, l.Error, l.At))
            .ToListAsync(ct);
    }
}
