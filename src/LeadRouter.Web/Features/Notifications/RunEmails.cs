using System.Globalization;
using System.Text;
using LeadRouter.Data.Members;
using LeadRouter.Data.Notifications;
using MimeKit;

namespace LeadRouter.Web.Features.Notifications;

/// <summary>One member's part of a run, for its "New Leads Available" e-mail.</summary>
public sealed record MemberFileNotice(long MemberId, string Username, string Email, bool OptedOut, long FileId, string FileName, int LeadCount);

/// <summary>
/// The e-mails a distribution run sends (seed 002), as outbox rows written in the run's own transaction (DESIGN rule 5):
/// each member who received leads and did not opt out gets <c>New Leads Available - {n} Leads</c> with the count, the
/// file name and dashboard links; the admin address gets <c>Lead Distribution Complete</c> with the run id, total
/// shares, members served and status. Message-Ids are derived from the run and recipient, so they are stable.
/// </summary>
public static class RunEmails
{
    public const string MemberKind = "member-new-leads";
    public const string AdminKind = "admin-run-complete";

    /// <summary>The outbox rows for a run that completed.</summary>
    public static IEnumerable<OutboxMessage> ForCompletedRun(DistributionRun run, IEnumerable<MemberFileNotice> files, EmailOptions o,
        DateTimeOffset now)
    {
        var domain = DomainOf(o.From);
        var dashboard = o.DashboardBaseUrl.TrimEnd('/');
        foreach (var f in files.Where(f => !f.OptedOut && f.LeadCount > 0))
        {
            var n = f.LeadCount.ToString(CultureInfo.InvariantCulture);
            var body = new StringBuilder()
                .Append("Hello ").Append(f.Username).Append(",\n\n")
                .Append(n).Append(f.LeadCount == 1 ? " new lead has" : " new leads have").Append(" been distributed to you.\n\n")
                .Append("File: ").Append(f.FileName).Append('\n')
                .Append("Leads: ").Append(n).Append("\n\n")
                .Append("Sign in to your dashboard to download it:\n")
                .Append(dashboard).Append("/api/users/leads\n")
                .Append("Direct download: ").Append(dashboard).Append("/api/users/leads/download/")
                .Append(f.FileId.ToString(CultureInfo.InvariantCulture)).Append('\n')
                .Append("\nYou can turn these e-mails off in your notification settings.\n");
            yield return New($"run-{run.Id}.member-{f.MemberId}@{domain}", MemberKind, f.Email, $"New Leads Available - {n} Leads",
                body.ToString(), run.Id, now);
        }

        if (Admin(run, o, $"run-{run.Id}.admin@{domain}", now) is { } admin) yield return admin;
    }

    /// <summary>The admin's row for a run that failed (one per failed attempt, told apart by <paramref name="attempt"/>).</summary>
    public static OutboxMessage? ForFailedRun(DistributionRun run, Guid attempt, EmailOptions o, DateTimeOffset now)
    {
        var domain = DomainOf(o.From);
        return Admin(run, o, $"run-{run.Id}.admin.failed-{attempt:N}@{domain}", now);
    }

    static OutboxMessage? Admin(DistributionRun run, EmailOptions o, string messageId, DateTimeOffset now)
    {
        if (string.IsNullOrWhiteSpace(o.AdminAddress)) return null;
        var status = run.Status.ToString().ToLowerInvariant();
        var body = new StringBuilder()
            .Append("Distribution run ").Append(run.Id.ToString(CultureInfo.InvariantCulture)).Append(" finished.\n\n")
            .Append("Run id: ").Append(run.Id.ToString(CultureInfo.InvariantCulture)).Append('\n')
            .Append("Kind: ").Append(run.Kind.ToString().ToLowerInvariant()).Append('\n')
            .Append("Status: ").Append(status).Append('\n')
            .Append("Total leads distributed: ").Append(run.Shares.ToString(CultureInfo.InvariantCulture)).Append('\n')
            .Append("Members served: ").Append(run.MembersServed.ToString(CultureInfo.InvariantCulture)).Append('\n');
        if (run.Warning is not null) body.Append("Warning: ").Append(run.Warning).Append('\n');
        if (run.Error is not null) body.Append("Error: ").Append(run.Error).Append('\n');
        return New(messageId, AdminKind, o.AdminAddress.Trim(), "Lead Distribution Complete", body.ToString(), run.Id, now);
    }

    static OutboxMessage New(string messageId, string kind, string to, string subject, string body, long runId, DateTimeOffset now) => new()
    {
        MessageId = messageId,
        Kind = kind,
        To = to,
        Subject = subject,
        Body = body,
        RunId = runId,
        Status = OutboxStatus.Pending,
        NextAttemptAt = now,
        CreatedAt = now,
    };

    /// <summary>The domain part of the sender address, for Message-Ids; <c>leadrouter.local</c> when it has none.</summary>
    static string DomainOf(string from) =>
        MailboxAddress.TryParse(from, out var address) && address.Domain is { Length: > 0 } d ? d : "leadrouter.local";
}
