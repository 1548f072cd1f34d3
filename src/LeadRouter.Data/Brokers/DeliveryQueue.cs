using Microsoft.EntityFrameworkCore;

namespace LeadRouter.Data.Brokers;

/// <summary>
/// Takes due deliveries for one dispatcher (DESIGN rule 5, several nodes): a row is due when pending, its next attempt
/// time has come and no live lease holds it. Claiming sets a lease (until + token); the outcome is then written only
/// by the holder of that token (<see cref="Delivery.LeaseToken"/>), so an expired lease never lets two nodes record
/// the same attempt. PostgreSQL claims with <c>FOR UPDATE SKIP LOCKED</c> (nodes never wait on each other's rows);
/// SQLite has one writer, so a conditional update in a write transaction is enough.
/// </summary>
public static class DeliveryQueue
{
    /// <summary>Claims up to <paramref name="max"/> due deliveries (only <paramref name="onlyId"/> when given), oldest due first.</summary>
    /// <returns>The claimed rows (untracked), each with <see cref="Delivery.LeaseToken"/> set to the one token of this claim.</returns>
    public static async Task<IReadOnlyList<Delivery>> ClaimDueAsync(
        LeadRouterDb db, DateTimeOffset now, TimeSpan lease, int max, long? onlyId, CancellationToken ct)
    {
        var token = Guid.NewGuid().ToString("N");
        var until = now + lease;
        if (db.Database.IsNpgsql())
        {
            var pending = nameof(DeliveryStatus.Pending);
            var only = onlyId ?? 0;
            var any = onlyId is null;
            await db.Database.ExecuteSqlInterpolatedAsync($"""
                UPDATE "Deliveries" SET "LeaseUntil" = {until}, "LeaseToken" = {token}
                WHERE "Id" IN (
                    SELECT "Id" FROM "Deliveries"
                    WHERE "Status" = {pending} AND "NextAttemptAt" <= {now}
                      AND ("LeaseUntil" IS NULL OR "LeaseUntil" < {now})
                      AND ({any} OR "Id" = {only})
                    ORDER BY "NextAttemptAt", "Id"
                    LIMIT {max}
                    FOR UPDATE SKIP LOCKED)
                """, ct);
        }
        else
        {
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            var due = Due(db, now);
            if (onlyId is { } id) due = due.Where(d => d.Id == id);
            var ids = await due.OrderBy(d => d.NextAttemptAt).ThenBy(d => d.Id).Select(d => d.Id).Take(max).ToListAsync(ct);
            if (ids.Count > 0)
                await Due(db, now).Where(d => ids.Contains(d.Id))
                    .ExecuteUpdateAsync(s => s.SetProperty(d => d.LeaseUntil, until).SetProperty(d => d.LeaseToken, token), ct);
            await tx.CommitAsync(ct);
        }

        return await db.Deliveries.AsNoTracking().Where(d => d.LeaseToken == token && d.Status == DeliveryStatus.Pending)
            .OrderBy(d => d.NextAttemptAt).ThenBy(d => d.Id).ToListAsync(ct);
    }

    static IQueryable<Delivery> Due(LeadRouterDb db, DateTimeOffset now) =>
        db.Deliveries.Where(d => d.Status == DeliveryStatus.Pending && d.NextAttemptAt <= now && (d.LeaseUntil == null || d.LeaseUntil < now));
}
