using LeadRouter.Data;
using LeadRouter.Data.Notifications;
using Microsoft.EntityFrameworkCore;

namespace LeadRouter.Web.Features.Notifications;

/// <summary>An outbox message as the CLI and API show it (the body is left out).</summary>
public sealed record OutboxMessageDto(long Id, string MessageId, string Kind, string To, string Subject, OutboxStatus Status, int Attempts,
    DateTimeOffset NextAttemptAt, string? LastError, long? RunId, DateTimeOffset CreatedAt, DateTimeOffset? SentAt)
{
    public static OutboxMessageDto Of(OutboxMessage m) =>
        new(m.Id, m.MessageId, m.Kind, m.To, m.Subject, m.Status, m.Attempts, m.NextAttemptAt, m.LastError, m.RunId, m.CreatedAt, m.SentAt);
}

/// <summary>Reads the e-mail outbox.</summary>
public sealed class OutboxQueries(IDbContextFactory<LeadRouterDb> dbs)
{
    /// <summary>The newest <paramref name="limit"/> messages, optionally of one status.</summary>
    public async Task<IReadOnlyList<OutboxMessageDto>> ListAsync(OutboxStatus? status, int limit, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var q = db.OutboxMessages.AsNoTracking();
        if (status is { } s) q = q.Where(m => m.Status == s);
        var rows = await q.OrderByDescending(m => m.Id).Take(limit).ToListAsync(ct);
        return rows.Select(OutboxMessageDto.Of).ToList();
    }
}
