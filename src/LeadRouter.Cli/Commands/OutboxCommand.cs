using System.CommandLine;
using LeadRouter.Data.Notifications;
using LeadRouter.Web.Features.Notifications;
using Microsoft.Extensions.DependencyInjection;
using Spectre.Console;

namespace LeadRouter.Cli.Commands;

/// <summary><c>leadrouter outbox list</c>: the e-mails written by runs, their delivery state and last error.</summary>
static class OutboxCommand
{
    public static Command Create()
    {
        var cmd = new Command("outbox", "Inspect the e-mail outbox");
        cmd.Subcommands.Add(List());
        return cmd;
    }

    static Command List()
    {
        Option<OutboxStatus?> status = new("--status") { Description = "Only messages in this state: pending, sent, failed" };
        Option<int> limit = new("--limit") { Description = "Newest messages shown", DefaultValueFactory = _ => 50 };
        var cmd = new Command("list", "List outbox messages, newest first") { status, limit };
        cmd.SetAction((p, ct) => CliRun.Run(p, ct, async (s, _) =>
        {
            var n = p.GetValue(limit);
            if (n is < 1 or > 10_000) throw new LeadRouter.Data.InputException("limit", "--limit must be between 1 and 10000.");
            var messages = await s.GetRequiredService<OutboxQueries>().ListAsync(p.GetValue(status), n, ct);
            return CliResult.Ok(new { messages }, c =>
            {
                var t = new Table().Border(TableBorder.Rounded).AddColumns("id", "to", "subject", "status", "attempts", "next attempt", "last error");
                foreach (var m in messages)
                    t.AddRow(m.Id.ToString(), Markup.Escape(m.To), Markup.Escape(m.Subject), m.Status.ToString().ToLowerInvariant(),
                        m.Attempts.ToString(), m.Status == OutboxStatus.Pending ? m.NextAttemptAt.ToString("u") : "—",
                        Markup.Escape(m.LastError ?? ""));
                c.Write(t);
            });
        }));
        return cmd;
    }
}
