using System.Buffers;
using System.Data.Common;
using System.Text;
using System.Text.Json;
using LeadRouter.Data;
using LeadRouter.Data.Brokers;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace LeadRouter.Web.Features.Brokers;

/// <summary>
/// One attempt of a claimed delivery as the dispatcher records it: the delivery's new state (written only while
/// <paramref name="LeaseToken"/> still holds the row and it is pending) and the attempt's log row.
/// </summary>
/// <param name="DeliveryId">The claimed delivery.</param>
/// <param name="LeaseToken">The claim's lease token.</param>
/// <param name="LeadId">The delivery's lead.</param>
/// <param name="BrokerId">The delivery's broker.</param>
/// <param name="Attempt">The attempt's number, 1-based (the delivery's new attempt count).</param>
/// <param name="Status">The delivery's status after the attempt.</param>
/// <param name="NextAttemptAt">When the next attempt is due (UTC); the claimed value when there is none.</param>
/// <param name="Completed">Whether the delivery ended (delivered, rejected, dead): its completion time is then set.</param>
/// <param name="HttpStatus">The answer's status code, or null when there was no answer.</param>
/// <param name="LastError">The delivery's last error (an HTTP status when there was an answer), or null.</param>
/// <param name="ResponseExcerpt">The start of the answer (at most <see cref="PushLog.MaxExcerpt"/> characters).</param>
/// <param name="DurationMs">How long the attempt took, in milliseconds.</param>
/// <param name="Error">The log row's error: why there was no answer, or null.</param>
sealed record AttemptRecord(
    long DeliveryId, string? LeaseToken, long LeadId, long BrokerId, int Attempt, DeliveryStatus Status, DateTimeOffset NextAttemptAt,
    bool Completed, int? HttpStatus, string? LastError, string? ResponseExcerpt, int DurationMs, string? Error);

/// <summary>
/// The writes of a recorded delivery batch as set-based SQL on the context's connection and transaction, whatever the
/// number of attempts: one <c>UPDATE</c> of every delivery (per-row values, conditional on its lease token) and one
/// <c>INSERT</c> of every log row. One statement each matters on PostgreSQL: the broker report's triggers run once per
/// statement and upsert that statement's rollup rows in key order (migration <c>BrokerReportLockOrder</c>), so a batch
/// written in one statement per table locks its rollup rows in one global order and two nodes recording batches at once
/// queue instead of deadlocking. Before those statements PostgreSQL locks the batch's leads in id order, as the triggers
/// do first, so no trigger takes a lead lock after a rollup lock. PostgreSQL sends all of it as one batch (one round trip)
/// with typed arrays (<c>unnest</c>); SQLite (one writer) reads its rows from one JSON parameter (<c>json_each</c>). Stored
/// values follow the EF model: enums as their names, instants as UTC ticks on SQLite.
/// </summary>
static class AttemptWrites
{
    static readonly string Pending = nameof(DeliveryStatus.Pending);

    const string LogColumns = """
        "LeadPushLogs" ("DeliveryId", "BrokerId", "LeadId", "Test", "Attempt", "Status", "HttpStatus", "ResponseExcerpt", "DurationMs", "Error", "At")
        """;

    /// <summary>Writes the attempts (stamped <paramref name="now"/>); returns the ids of the deliveries whose new state was written.</summary>
    public static Task<HashSet<long>> WriteAsync(LeadRouterDb db, IReadOnlyList<AttemptRecord> attempts, DateTimeOffset now, CancellationToken ct) =>
        attempts.Count == 0 ? Task.FromResult(new HashSet<long>())
        : db.Database.IsNpgsql() ? WritePostgresAsync(db, attempts, now, ct) : WriteSqliteAsync(db, attempts, now, ct);

    static async Task<HashSet<long>> WritePostgresAsync(LeadRouterDb db, IReadOnlyList<AttemptRecord> attempts, DateTimeOffset now, CancellationToken ct)
    {
        var connection = db.Database.GetDbConnection();
        await using var batch = connection.CreateBatch();
        batch.Transaction = db.Database.CurrentTransaction?.GetDbTransaction()
            ?? throw new InvalidOperationException("Recording attempts needs the record transaction.");
        batch.Add("""
            SELECT count(*) FROM (SELECT 1 FROM "Leads" WHERE "Id" = ANY($1) ORDER BY "Id" FOR NO KEY UPDATE) AS locked
            """, attempts.Select(a => a.LeadId).Distinct().Order().ToArray());
        batch.Add("""
            UPDATE "Deliveries" AS d SET "Attempts" = v.a, "Status" = v.s, "NextAttemptAt" = v.n, "LeaseUntil" = NULL, "LeaseToken" = NULL,
                "CompletedAt" = CASE WHEN v.c THEN $1 END, "LastHttpStatus" = v.h, "LastError" = v.e
            FROM unnest($2::bigint[], $3::text[], $4::integer[], $5::text[], $6::timestamptz[], $7::boolean[], $8::integer[], $9::text[])
                AS v(i, t, a, s, n, c, h, e)
            WHERE d."Id" = v.i AND d."LeaseToken" = v.t AND d."Status" = $10
            RETURNING d."Id"
            """, now, attempts.Select(a => a.DeliveryId).ToArray(), attempts.Select(a => a.LeaseToken).ToArray(),
            attempts.Select(a => a.Attempt).ToArray(), attempts.Select(a => a.Status.ToString()).ToArray(),
            attempts.Select(a => a.NextAttemptAt).ToArray(), attempts.Select(a => a.Completed).ToArray(),
            attempts.Select(a => a.HttpStatus).ToArray(), attempts.Select(a => a.LastError).ToArray(), Pending);
        batch.Add($"""
            INSERT INTO {LogColumns}
            SELECT v.i, v.b, v.l, FALSE, v.a, v.s, v.h, v.x, v.ms, v.e, $1
            FROM unnest($2::bigint[], $3::bigint[], $4::bigint[], $5::integer[], $6::text[], $7::integer[], $8::text[], $9::integer[], $10::text[])
                AS v(i, b, l, a, s, h, x, ms, e)
            """, now, attempts.Select(a => a.DeliveryId).ToArray(), attempts.Select(a => a.BrokerId).ToArray(),
            attempts.Select(a => a.LeadId).ToArray(), attempts.Select(a => a.Attempt).ToArray(),
            attempts.Select(a => a.Status.ToString()).ToArray(), attempts.Select(a => a.HttpStatus).ToArray(),
            attempts.Select(a => a.ResponseExcerpt).ToArray(), attempts.Select(a => a.DurationMs).ToArray(), attempts.Select(a => a.Error).ToArray());

        var written = new HashSet<long>();
        await using var reader = await batch.ExecuteReaderAsync(ct);
        // The lock's count, then the updated deliveries' ids; the insert has no rows.
        if (!await reader.NextResultAsync(ct)) throw new InvalidOperationException("The delivery update returned no result.");
        while (await reader.ReadAsync(ct)) written.Add(reader.GetInt64(0));
        while (await reader.NextResultAsync(ct)) { }
        return written;
    }

    static async Task<HashSet<long>> WriteSqliteAsync(LeadRouterDb db, IReadOnlyList<AttemptRecord> attempts, DateTimeOffset now, CancellationToken ct)
    {
        var buffer = new ArrayBufferWriter<byte>(attempts.Count * 256);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartArray();
            foreach (var a in attempts)
            {
                w.WriteStartArray();
                w.WriteNumberValue(a.DeliveryId);
                w.WriteStringValue(a.LeaseToken);
                w.WriteNumberValue(a.Attempt);
                w.WriteStringValue(a.Status.ToString());
                w.WriteNumberValue(a.NextAttemptAt.UtcTicks);
                w.WriteNumberValue(a.Completed ? 1 : 0);
                if (a.HttpStatus is { } h) w.WriteNumberValue(h);
                else w.WriteNullValue();
                w.WriteStringValue(a.LastError);
                w.WriteNumberValue(a.BrokerId);
                w.WriteNumberValue(a.LeadId);
                w.WriteStringValue(a.ResponseExcerpt);
                w.WriteNumberValue(a.DurationMs);
                w.WriteStringValue(a.Error);
                w.WriteEndArray();
            }
            w.WriteEndArray();
        }
        var (json, ticks) = (Encoding.UTF8.GetString(buffer.WrittenSpan), now.UtcTicks);

        var written = await db.Database.SqlQueryRaw<long>("""
            UPDATE "Deliveries" SET "Attempts" = v.a, "Status" = v.s, "NextAttemptAt" = v.n, "LeaseUntil" = NULL, "LeaseToken" = NULL,
                "CompletedAt" = CASE WHEN v.c THEN {1} END, "LastHttpStatus" = v.h, "LastError" = v.e
            FROM (SELECT "value" ->> 0 AS i, "value" ->> 1 AS t, "value" ->> 2 AS a, "value" ->> 3 AS s, "value" ->> 4 AS n,
                    "value" ->> 5 AS c, "value" ->> 6 AS h, "value" ->> 7 AS e FROM json_each({0})) AS v
            WHERE "Deliveries"."Id" = v.i AND "Deliveries"."LeaseToken" = v.t AND "Deliveries"."Status" = {2}
            RETURNING "Id" AS "Value"
            """, json, ticks, Pending).ToListAsync(ct);
        await db.Database.ExecuteSqlRawAsync($$"""
            INSERT INTO {{LogColumns}}
            SELECT "value" ->> 0, "value" ->> 8, "value" ->> 9, 0, "value" ->> 2, "value" ->> 3, "value" ->> 6, "value" ->> 10,
                "value" ->> 11, "value" ->> 12, {1}
            FROM json_each({0})
            """, [json, ticks], ct);
        return [.. written];
    }
}
