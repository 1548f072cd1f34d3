using Microsoft.EntityFrameworkCore;

namespace LeadRouter.Data.Notifications;

/// <summary>
/// Claims outbox rows for one sender with a lease (DESIGN rule 5 and "Scale"): on PostgreSQL with
/// <c>FOR UPDATE SKIP LOCKED</c> so several nodes take disjoint rows without waiting; on SQLite (one writer) by a
/// conditional update. Either way a row is held by exactly one token until its lease expires.
/// </summary>
public static class OutboxClaims
{
    /// <summary>
    /// Marks up to <paramref name="batch"/> due rows (pending, next attempt at or before <paramref name="now"/>, no
    /// live lease) as held by <paramref name="token"/> until <paramref name="leaseUntil"/>, oldest first; returns them.
    /// </summary>
    public static async Task<IReadOnlyList<OutboxMessage>> ClaimAsync(LeadRouterDb db, DateTimeOffset now, DateTimeOffset leaseUntil,
        Guid token, int batch, CancellationToken ct)
    {
        if (db.Database.IsNpgsql())
        {
            await db.Database.ExecuteSqlInterpolatedAsync($"""
                UPDATE "OutboxMessages" SET "LeaseUntil" = {leaseUntil}, "LeaseToken" = {token}
                WHERE "Id" IN (
                    SELECT "Id" FROM "OutboxMessages"
                    WHERE "Status" = 'Pending' AND "NextAttemptAt" <= {now} AND ("LeaseUntil" IS NULL OR "LeaseUntil" < {now})
                    ORDER BY "Id" LIMIT {batch}
                    FOR UPDATE SKIP LOCKED)
                """, ct);
        }
        else
        {
            var candidates = await db.OutboxMessages
                .Where(m => m.Status == OutboxStatus.Pending && m.NextAttemptAt <= now && (m.LeaseUntil == null || m.LeaseUntil < now))
                .OrderBy(m => m.Id).Select(m => m.Id).Take(batch).ToListAsync(ct);
            if (candidates.Count == 0) return [];
            await db.OutboxMessages
                .Where(m => candidates.Contains(m.Id) && m.Status == OutboxStatus.Pending && (m.LeaseUntil == null || m.LeaseUntil < now))
                .ExecuteUpdateAsync(s => s.SetProperty(m => m.LeaseUntil, leaseUntil).SetProperty(m => m.LeaseToken, token), ct);
        }

        return await db.OutboxMessages.AsNoTracking().Where(m => m.LeaseToken == token && m.Status == OutboxStatus.Pending)
            .OrderBy(m => m.Id).ToListAsync(ct);
    }
}
