using System.CommandLine;
using LeadRouter.Web.Features.Accounts;
using Microsoft.Extensions.DependencyInjection;
using Spectre.Console;

namespace LeadRouter.Cli.Commands;

/// <summary><c>leadrouter users add|list</c>: logins for the API and dashboard.</summary>
static class UsersCommand
{
    public static Command Create()
    {
        Option<string> email = new("--email") { Description = "Login e-mail", Required = true };
        Option<string> role = new("--role") { Description = "Admin, Agent or Member", Required = true };
        Option<string?> password = new("--password") { Description = "Password; without it you are asked (only on an interactive terminal)" };
        var add = new Command("add", "Create a login") { email, role, password };
        add.SetAction((p, ct) => CliRun.Run(p, ct, async (s, console) =>
        {
            var pw = p.GetValue(password);
            if (pw is null)
            {
                if (Console.IsInputRedirected || !console.Profile.Capabilities.Interactive)
                    throw new Data.InputException("password", "Give --password: there is no terminal to ask on.");
                pw = console.Prompt(new TextPrompt<string>("Password:").Secret());
            }

            await using var scope = s.CreateAsyncScope();
            var user = await scope.ServiceProvider.GetRequiredService<UserAccounts>().AddAsync(p.GetValue(email)!, pw, p.GetValue(role)!, ct);
            return CliResult.Ok(new { id = user.Id, email = user.Email, roles = user.Roles },
                c => c.MarkupLineInterpolated($"Login [bold]{user.Email}[/] created ({string.Join(", ", user.Roles)})."));
        }));
        var list = new Command("list", "List logins");
        list.SetAction((p, ct) => CliRun.Run(p, ct, async (s, _) =>
        {
            await using var scope = s.CreateAsyncScope();
            var users = await scope.ServiceProvider.GetRequiredService<UserAccounts>().ListAsync(ct);
            return CliResult.Ok(new { users }, c =>
            {
                var t = new Table().Border(TableBorder.Rounded).AddColumns("e-mail", "roles");
                foreach (var u in users) t.AddRow(Markup.Escape(u.Email), string.Join(", ", u.Roles));
                c.Write(t);
            });
        }));
        var cmd = new Command("users", "Manage logins");
        cmd.Subcommands.Add(add);
        cmd.Subcommands.Add(list);
        return cmd;
    }
}
