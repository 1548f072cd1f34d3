using LeadRouter.Data;
using LeadRouter.Data.Notifications;
using LeadRouter.Web.Features.Members;
using LeadRouter.Web.Features.Notifications;
using LeadRouter.Web.Tests.Infrastructure;
using MailKit.Security;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using static LeadRouter.Web.Tests.Members.MemberSeeding;

namespace LeadRouter.Web.Tests.Members;

/// <summary>
/// E-mail after a distribution run (seed 002, DESIGN rule 5): outbox rows written with the run, sent over real SMTP to a
/// sink on 127.0.0.1, retried with backoff when the server is down, resent with the same Message-Id after a crash.
/// </summary>
public abstract class MemberEmailTests<TApp> where TApp : LeadRouterApp, new()
{
    const string Admin = "admin@leadrouter.test";

    static CancellationToken Ct => TestContext.Current.CancellationToken;

    static Task<TApp> StartAsync() => StartFreshAsync<TApp>();

    static OutboxSender Sender(LeadRouterApp app, int port, int maxAttempts = 8) => new(
        app.Get<IDbContextFactory<LeadRouterDb>>(), app.Clock,
        Options.Create(new EmailOptions
        {
            Host = "127.0.0.1",
            Port = port,
            Security = SecureSocketOptions.None,
            From = "LeadRouter <noreply@leadrouter.test>",
            AdminAddress = Admin,
            MaxAttempts = maxAttempts,
            RetryBaseSeconds = 30,
            TimeoutSeconds = 5,
        }),
        NullLogger<OutboxSender>.Instance);

    static async Task<DistributionReport> DistributeAsync(LeadRouterApp app, long import)
    {
        var outcome = await app.Get<RunDistribution>().RunImportAsync(import, "test", Ct);
        return Assert.IsType<DistributionOutcome.Ran>(outcome).Report;
    }

    static async Task<List<OutboxMessage>> OutboxAsync(LeadRouterApp app, long runId)
    {
        await using var db = app.CreateDb();
        return await db.OutboxMessages.AsNoTracking().Where(m => m.RunId == runId).OrderBy(m => m.Id).ToListAsync(Ct);
    }

    [Fact]
    public async Task A_completed_run_mails_each_member_and_the_admin_but_not_members_who_opted_out()
    {
        await using var app = await StartAsync();
        await using var sink = await SmtpSink.StartAsync();
        var import = await ImportAsync(app, 300);
        await MembersAsync(app, "Bronze", 2, "mail");
        var quiet = (await MembersAsync(app, "Silver", 1, "quiet"))[0];
        await using (var db = app.CreateDb())
            await db.Members.Where(m => m.Id == quiet).ExecuteUpdateAsync(s => s.SetProperty(m => m.EmailOptOut, true), Ct);

        var report = await DistributeAsync(app, import);
        var written = await OutboxAsync(app, report.RunId);
        var claimed = await Sender(app, sink.Port).SendDueAsync(Ct);

        Assert.Equal(450, report.Shares);
        Assert.Equal(3, written.Count);
        Assert.Equal(3, claimed);
        var received = sink.Messages;
        Assert.Equal(3, received.Count);
        Assert.DoesNotContain(received, m => m.To.Mailboxes.Any(a => a.Address == "quiet1@example.com"));
        foreach (var username in new[] { "mail1", "mail2" })
        {
            var mail = Assert.Single(received, m => m.To.Mailboxes.Single().Address == $"{username}@example.com");
            Assert.Equal("New Leads Available - 100 Leads", mail.Subject);
            Assert.Contains($"leads_{username}_{report.RunId}.csv", mail.TextBody, StringComparison.Ordinal);
            Assert.Contains("100 new leads", mail.TextBody, StringComparison.Ordinal);
            Assert.Contains("http://localhost:5000/api/users/leads", mail.TextBody, StringComparison.Ordinal);
            Assert.Equal("noreply@leadrouter.test", mail.From.Mailboxes.Single().Address);
            Assert.Contains(written, w => w.MessageId == mail.MessageId && w.To == $"{username}@example.com");
        }

        var admin = Assert.Single(received, m => m.To.Mailboxes.Single().Address == Admin);
        Assert.Equal("Lead Distribution Complete", admin.Subject);
        Assert.Contains($"Run id: {report.RunId}", admin.TextBody, StringComparison.Ordinal);
        Assert.Contains("Total leads distributed: 450", admin.TextBody, StringComparison.Ordinal);
        Assert.Contains("Members served: 3", admin.TextBody, StringComparison.Ordinal);
        Assert.Contains("Status: completed", admin.TextBody, StringComparison.Ordinal);
        Assert.All(await OutboxAsync(app, report.RunId), m =>
        {
            Assert.Equal(OutboxStatus.Sent, m.Status);
            Assert.Equal(1, m.Attempts);
            Assert.Equal(app.Clock.GetUtcNow(), m.SentAt);
        });
    }

    [Fact]
    public async Task A_failing_smtp_server_is_recorded_and_retried_after_the_backoff_then_delivered()
    {
        await using var app = await StartAsync();
        var import = await ImportAsync(app, 50);
        await MembersAsync(app, "Gold", 1, "retry");
        var report = await DistributeAsync(app, import);
        var port = SmtpSink.FreePort();
        var sender = Sender(app, port);
        var start = app.Clock.GetUtcNow();

        var first = await sender.SendDueAsync(Ct);
        var afterFailure = await OutboxAsync(app, report.RunId);
        app.Clock.Advance(TimeSpan.FromSeconds(29));
        var tooEarly = await sender.SendDueAsync(Ct);
        await using var sink = await SmtpSink.StartAsync(port);
        app.Clock.Advance(TimeSpan.FromSeconds(1));
        var retried = await sender.SendDueAsync(Ct);
        var delivered = await OutboxAsync(app, report.RunId);

        Assert.Equal(2, first);
        Assert.All(afterFailure, m =>
        {
            Assert.Equal(OutboxStatus.Pending, m.Status);
            Assert.Equal(1, m.Attempts);
            Assert.False(string.IsNullOrEmpty(m.LastError));
            Assert.Equal(start.AddSeconds(30), m.NextAttemptAt);
            Assert.Null(m.LeaseToken);
        });
        Assert.Equal(0, tooEarly);
        Assert.Equal(2, retried);
        Assert.All(delivered, m =>
        {
            Assert.Equal(OutboxStatus.Sent, m.Status);
            Assert.Equal(2, m.Attempts);
        });
        Assert.Equal(delivered.Select(m => m.MessageId).Order(), sink.Messages.Select(m => m.MessageId).Order());
        Assert.Contains(sink.Messages, m => m.Subject == "New Leads Available - 50 Leads");
    }

    [Fact]
    public async Task A_message_stays_failed_after_the_last_attempt_with_its_error()
    {
        await using var app = await StartAsync();
        var import = await ImportAsync(app, 10);
        await MembersAsync(app, "Bronze", 1, "gives-up");
        var report = await DistributeAsync(app, import);
        var sender = Sender(app, SmtpSink.FreePort(), maxAttempts: 2);

        await sender.SendDueAsync(Ct);
        app.Clock.Advance(TimeSpan.FromSeconds(30));
        await sender.SendDueAsync(Ct);
        app.Clock.Advance(TimeSpan.FromHours(2));
        var afterGivingUp = await sender.SendDueAsync(Ct);

        Assert.Equal(0, afterGivingUp);
        Assert.All(await OutboxAsync(app, report.RunId), m =>
        {
            Assert.Equal(OutboxStatus.Failed, m.Status);
            Assert.Equal(2, m.Attempts);
            Assert.NotNull(m.LastError);
        });
    }

    [Fact]
    public async Task After_a_sender_crash_the_lease_expires_and_the_resend_carries_the_same_message_id()
    {
        await using var app = await StartAsync();
        await using var sink = await SmtpSink.StartAsync();
        var import = await ImportAsync(app, 10);
        await MembersAsync(app, "Bronze", 1, "crash");
        var report = await DistributeAsync(app, import);
        var sender = Sender(app, sink.Port);
        var stored = await OutboxAsync(app, report.RunId);

        // A sender claims the messages, sends them, then dies before recording the outcome.
        var now = app.Clock.GetUtcNow();
        await using (var db = app.CreateDb())
            await OutboxClaims.ClaimAsync(db, now, now.AddSeconds(300), Guid.NewGuid(), 50, Ct);
        var from = MimeKit.MailboxAddress.Parse("noreply@leadrouter.test");
        using (var smtp = new MailKit.Net.Smtp.SmtpClient())
        {
            await smtp.ConnectAsync("127.0.0.1", sink.Port, SecureSocketOptions.None, Ct);
            foreach (var m in stored) await smtp.SendAsync(OutboxSender.ToMime(m, from), Ct);
            await smtp.DisconnectAsync(true, Ct);
        }

        var whileLeased = await sender.SendDueAsync(Ct);
        app.Clock.Advance(TimeSpan.FromSeconds(301));
        var afterLease = await sender.SendDueAsync(Ct);

        Assert.Equal(0, whileLeased);
        Assert.Equal(2, afterLease);
        Assert.Equal(4, sink.Messages.Count);
        Assert.All(sink.Messages.GroupBy(m => m.MessageId), g => Assert.Equal(2, g.Count()));
        Assert.Equal(stored.Select(m => m.MessageId).Order(), sink.Messages.Select(m => m.MessageId).Distinct().Order());
        Assert.All(await OutboxAsync(app, report.RunId), m => Assert.Equal(OutboxStatus.Sent, m.Status));
    }

    [Fact]
    public async Task Outbox_rows_commit_with_the_run_and_a_run_without_shares_mails_only_the_admin()
    {
        await using var app = await StartAsync();
        var import = await ImportAsync(app, 10);

        var report = await DistributeAsync(app, import);
        var rows = await OutboxAsync(app, report.RunId);

        var admin = Assert.Single(rows);
        Assert.Equal(RunEmails.AdminKind, admin.Kind);
        Assert.Contains("No eligible members", admin.Body, StringComparison.Ordinal);
        Assert.Equal($"run-{report.RunId}.admin@localhost", admin.MessageId);
    }
}

public sealed class MemberEmailTests_Sqlite : MemberEmailTests<SqliteApp>;

[Trait("Database", "Postgres")]
public sealed class MemberEmailTests_Postgres : MemberEmailTests<PostgresApp>;
