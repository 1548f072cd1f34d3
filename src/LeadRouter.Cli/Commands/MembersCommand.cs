using System.CommandLine;
using LeadRouter.Web.Features.Members;
using Microsoft.Extensions.DependencyInjection;
using Spectre.Console;

namespace LeadRouter.Cli.Commands;

/// <summary><c>leadrouter members add|list|set</c>: paying subscribers who receive shared leads (seed 002).</summary>
static class MembersCommand
{
    public static Command Create()
    {
        var cmd = new Command("members", "Manage members (subscribers who receive shared leads by tier)");
        cmd.Subcommands.Add(Add());
        cmd.Subcommands.Add(List());
        cmd.Subcommands.Add(Set());
        cmd.Subcommands.Add(Import());
        return cmd;
    }

    static Command Add()
    {
        Argument<string> username = new("username") { Description = "Unique user name (letters, digits, . _ @ -)" };
        Option<string> email = new("--email") { Description = "E-mail (also the login name)", Required = true };
        Option<string> tier = new("--tier") { Description = "Tier: Bronze, Silver, Gold, Affiliate, VIP Affiliate", Required = true };
        Option<bool> suspended = new("--suspended") { Description = "Add the member suspended (receives nothing)" };
        Option<string?> password = new("--password") { Description = "Creates a login with role Member; without it the member has no login" };
        var cmd = new Command("add", "Add a member") { username, email, tier, suspended, password };
        cmd.SetAction((p, ct) => CliRun.Run(p, ct, async (s, _) =>
        {
            await using var scope = s.CreateAsyncScope();
            var m = await scope.ServiceProvider.GetRequiredService<MemberDirectory>().AddAsync(
                new NewMember(p.GetValue(username)!, p.GetValue(email)!, p.GetValue(tier)!, p.GetValue(suspended), false, p.GetValue(password)), ct);
            return CliResult.Ok(new { id = m.Id, username = m.Username, tier = m.Tier, member = m },
                c => c.MarkupLineInterpolated($"Member [bold]{m.Username}[/] ({m.Tier}{(m.Suspended ? ", suspended" : "")}) added with id {m.Id}."));
        }));
        return cmd;
    }

    static Command List()
    {
        var cmd = new Command("list", "List members");
        cmd.SetAction((p, ct) => CliRun.Run(p, ct, async (s, _) =>
        {
            await using var scope = s.CreateAsyncScope();
            var members = await scope.ServiceProvider.GetRequiredService<MemberDirectory>().ListAsync(ct);
            return CliResult.Ok(new { members }, c =>
            {
                var t = new Table().Border(TableBorder.Rounded).AddColumns("id", "username", "e-mail", "tier", "status", "e-mail opt-out", "login");
                foreach (var m in members)
                    t.AddRow(m.Id.ToString(), Markup.Escape(m.Username), Markup.Escape(m.Email), Markup.Escape(m.Tier),
                        m.Suspended ? "suspended" : "active", m.EmailOptOut ? "yes" : "no", m.HasLogin ? "yes" : "no");
                c.Write(t);
            });
        }));
        return cmd;
    }

    static Command Set()
    {
        Argument<string> member = new("member") { Description = "Member id or user name" };
        Option<string?> email = new("--email") { Description = "New e-mail" };
        Option<string?> tier = new("--tier") { Description = "New tier" };
        Option<bool?> suspended = new("--suspended") { Description = "true: suspended (receives nothing); false: active" };
        Option<bool?> optOut = new("--email-opt-out") { Description = "true: no 'New Leads Available' e-mails" };
        var cmd = new Command("set", "Change a member") { member, email, tier, suspended, optOut };
        cmd.SetAction((p, ct) => CliRun.Run(p, ct, async (s, _) =>
        {
            await using var scope = s.CreateAsyncScope();
            var m = await scope.ServiceProvider.GetRequiredService<MemberDirectory>().SetAsync(p.GetValue(member)!,
                new MemberChanges(p.GetValue(email), p.GetValue(tier), p.GetValue(suspended), p.GetValue(optOut)), ct);
            return CliResult.Ok(new { id = m.Id, username = m.Username, tier = m.Tier, member = m },
                c => c.MarkupLineInterpolated($"Member [bold]{m.Username}[/] saved: {m.Tier}, {(m.Suspended ? "suspended" : "active")}."));
        }));
        return cmd;
    }

    static Command Import()
    {
        Argument<FileInfo> file = new("file") { Description = "CSV with columns username,email,tier and optional suspended" };
        Option<bool> skipInvalid = new("--skip-invalid") { Description = "Store the valid rows and report the rest (default: reject the whole file)" };
        var cmd = new Command("import", "Add or update members in bulk from a CSV (matched by user name)") { file, skipInvalid };
        cmd.SetAction((p, ct) => CliRun.Run(p, ct, async (s, _) =>
        {
            var info = p.GetValue(file)!;
            if (!info.Exists) throw new LeadRouter.Data.Leads.Intake.ImportInputException($"File not found: {info.FullName}");
            using var text = new StreamReader(info.FullName);
            var r = await s.GetRequiredService<ImportMembers>().RunAsync(text, p.GetValue(skipInvalid), ct);
            var json = new
            {
                added = r.Added,
                updated = r.Updated,
                rejected = r.Rejected,
                stored = r.Stored,
                errors = r.Errors.Select(e => new { row = e.Row, column = e.Column, message = e.Message }),
            };
            return new CliResult(r.Stored ? 0 : 2, json, c =>
            {
                c.MarkupLineInterpolated($"{(r.Stored ? "Stored" : "[red]Rejected, nothing stored[/]")}: {r.Added} added, {r.Updated} updated, {r.Rejected} rows rejected.");
                foreach (var e in r.Errors) c.MarkupLineInterpolated($"  row {e.Row}, {e.Column}: {e.Message}");
            });
        }));
        return cmd;
    }
}
