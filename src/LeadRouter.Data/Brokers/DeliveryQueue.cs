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
        var pending = nameof(DeliveryStatus.Pending);
        var only = onlyId ?? 0;
        var any = onlyId is null;
        List<Delivery> claimed;
        // One statement claims and returns the rows (UPDATE … RETURNING), so no second look-up by token is needed.
        if (db.Database.IsNpgsql())
        {
            claimed = await db.Deliveries.FromSqlInterpolated($"""
                UPDATE "Deliveries" SET "LeaseUntil" = {until}, "LeaseToken" = {token}
                WHERE "Id" IN (
                    SELECT "Id" FROM "Deliveries"
                    WHERE "Status" = {pending} AND "NextAttemptAt" <= {now}
                      AND ("LeaseUntil" IS NULL OR "LeaseUntil" < {now})
                      AND ({any} OR "Id" = {only})
                    ORDER BY "NextAttemptAt", "Id"
                    LIMIT {max}
                    FOR UPDATE SKIP LOCKED)
                RETURNING *
                """).AsNoTracking().ToListAsync(ct);
        }
        else
        {
            // SQLite stores instants as UTC ticks (see LeadRouterDb); the write transaction makes the claim exclusive.
            var (nowTicks, untilTicks) = (now.UtcTicks, until.UtcTicks);
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            claimed = await db.Deliveries.FromSqlInterpolated($"""
                UPDATE "Deliveries" SET "LeaseUntil" = {untilTicks}, "LeaseToken" = {token}
                WHERE "Id" IN (
                    SELECT "Id" FROM "Deliveries"
                    WHERE "Status" = {pending} AND "NextAttemptAt" <= {nowTicks}
                      AND ("LeaseUntil" IS NULL OR "LeaseUntil" < {nowTicks})
                      AND ({any} OR "Id" = {only})
                    ORDER BY "NextAttemptAt", "Id"
                    LIMIT {max})
                RETURNING *
                """).AsNoTracking().ToListAsync(ct);
            await tx.CommitAsync(ct);
        }

        claimed.Sort((a, b) => a.NextAttemptAt != b.NextAttemptAt ? a.NextAttemptAt.CompareTo(b.NextAttemptAt) : a.Id.CompareTo(b.Id));
        return claimed;
    }
}
