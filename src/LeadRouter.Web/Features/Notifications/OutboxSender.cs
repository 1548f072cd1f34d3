using LeadRouter.Data;
using LeadRouter.Data.Notifications;
using MailKit.Net.Smtp;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using MimeKit;

namespace LeadRouter.Web.Features.Notifications;

/// <summary>
/// Sends due outbox messages over SMTP with MailKit (DESIGN rule 5). A pass claims a batch with a lease
/// (<see cref="OutboxClaims"/>: <c>FOR UPDATE SKIP LOCKED</c> on PostgreSQL), sends each with the Message-Id stored in its
/// row and records the outcome under the lease token: sent, or the error with the next attempt after an exponential
/// backoff, or failed after <see cref="EmailOptions.MaxAttempts"/>. A sender that dies after sending but before recording
/// leaves the lease to expire; the resend carries the same Message-Id, so the receiver can drop the duplicate.
/// </summary>
public sealed class OutboxSender(IDbContextFactory<LeadRouterDb> dbs, TimeProvider clock, IOptions<EmailOptions> options,
    ILogger<OutboxSender> log)
{
    /// <summary>One pass; returns how many messages were claimed (sent or not).</summary>
    public async Task<int> SendDueAsync(CancellationToken ct)
    {
        var o = options.Value;
        var now = clock.GetUtcNow();
        var token = Guid.NewGuid();
        IReadOnlyList<OutboxMessage> batch;
        await using (var db = await dbs.CreateDbContextAsync(ct))
            batch = await OutboxClaims.ClaimAsync(db, now, now.AddSeconds(o.LeaseSeconds), token, o.BatchSize, ct);
        if (batch.Count == 0) return 0;

        using var smtp = new SmtpClient { Timeout = o.TimeoutSeconds * 1000 };
        var from = MailboxAddress.Parse(o.From);
        foreach (var message in batch)
        {
            string? error = null;
            try
            {
                if (!smtp.IsConnected)
                {
                    await smtp.ConnectAsync(o.Host, o.Port, o.Security, ct);
                    if (!string.IsNullOrEmpty(o.User)) await smtp.AuthenticateAsync(o.User, o.Password ?? "", ct);
                }

                await smtp.SendAsync(ToMime(message, from), ct);
            }
            catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                error = $"{e.GetType().Name}: {e.Message}";
                log.LogWarning("E-mail {MessageId} to {To} failed (attempt {Attempt}): {Error}", message.MessageId, message.To,
                    message.Attempts + 1, error);
            }

            await RecordAsync(message, token, error, o);
        }

        if (smtp.IsConnected)
        {
            try { await smtp.DisconnectAsync(true, ct); }
            catch (Exception e) when (e is not OperationCanceledException) { log.LogDebug(e, "SMTP disconnect failed"); }
        }

        return batch.Count;
    }

    /// <summary>The MIME message of a row: plain text, its stored Message-Id.</summary>
    public static MimeMessage ToMime(OutboxMessage m, MailboxAddress from)
    {
        var mime = new MimeMessage { Subject = m.Subject, MessageId = m.MessageId, Body = new TextPart("plain") { Text = m.Body } };
        mime.From.Add(from);
        mime.To.Add(MailboxAddress.Parse(m.To));
        mime.Date = m.CreatedAt;
        return mime;
    }

    async Task RecordAsync(OutboxMessage m, Guid token, string? error, EmailOptions o)
    {
        var now = clock.GetUtcNow();
        var attempts = m.Attempts + 1;
        await using var db = await dbs.CreateDbContextAsync(CancellationToken.None);
        var mine = db.OutboxMessages.Where(x => x.Id == m.Id && x.LeaseToken == token && x.Status == OutboxStatus.Pending);
        if (error is null)
        {
            await mine.ExecuteUpdateAsync(s => s
                .SetProperty(x => x.Status, OutboxStatus.Sent)
                .SetProperty(x => x.Attempts, attempts)
                .SetProperty(x => x.SentAt, now)
                .SetProperty(x => x.LeaseUntil, (DateTimeOffset?)null)
                .SetProperty(x => x.LeaseToken, (Guid?)null), CancellationToken.None);
            return;
        }

        if (error.Length > 2000) error = error[..2000];
        var status = attempts >= o.MaxAttempts ? OutboxStatus.Failed : OutboxStatus.Pending;
        await mine.ExecuteUpdateAsync(s => s
            .SetProperty(x => x.Status, status)
            .SetProperty(x => x.Attempts, attempts)
            .SetProperty(x => x.LastError, error)
            .SetProperty(x => x.NextAttemptAt, now + o.RetryDelay(attempts))
            .SetProperty(x => x.LeaseUntil, (DateTimeOffset?)null)
            .SetProperty(x => x.LeaseToken, (Guid?)null), CancellationToken.None);
    }
}
