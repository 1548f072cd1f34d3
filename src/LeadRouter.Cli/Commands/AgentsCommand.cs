using System.CommandLine;
using LeadRouter.Web.Features.Agents;
using Microsoft.Extensions.DependencyInjection;
using Spectre.Console;

namespace LeadRouter.Cli.Commands;

/// <summary><c>leadrouter agents add|list|set</c>.</summary>
static class AgentsCommand
{
    public static Command Create()
    {
        var cmd = new Command("agents", "Manage agents (sales reps who work leads)");
        cmd.Subcommands.Add(Add());
        cmd.Subcommands.Add(List());
        cmd.Subcommands.Add(Set());
        return cmd;
    }

    static Command Add()
    {
        Argument<string> name = new("name") { Description = "Unique agent name" };
        Option<string?> email = new("--email") { Description = "E-mail (links a login with the same e-mail)" };
        Option<int> weight = new("--weight") { Description = "Relative share of a pool's leads, 1–100", DefaultValueFactory = _ => 1 };
        Option<int?> capacity = new("--capacity") { Description = "Maximum open leads (none by default)" };
        var cmd = new Command("add", "Add an agent") { name, email, weight, capacity };
        cmd.SetAction((p, ct) => CliRun.Run(p, ct, async (s, _) =>
        {
            var agent = await s.GetRequiredService<AgentDirectory>().AddAsync(
                new NewAgent(p.GetValue(name)!, p.GetValue(email), p.GetValue(weight), p.GetValue(capacity)), ct);
            return CliResult.Ok(new { id = agent.Id, name = agent.Name, agent = agent },
                c => c.MarkupLineInterpolated($"Agent [bold]{agent.Name}[/] added with id {agent.Id}."));
        }));
        return cmd;
    }

    static Command List()
    {
        var cmd = new Command("list", "List agents");
        cmd.SetAction((p, ct) => CliRun.Run(p, ct, async (s, _) =>
        {
            var agents = await s.GetRequiredService<AgentDirectory>().ListAsync(ct);
            return CliResult.Ok(new { agents }, c =>
            {
                var t = new Table().Border(TableBorder.Rounded).AddColumns("id", "name", "e-mail", "status", "weight", "capacity");
                foreach (var a in agents)
                    t.AddRow(a.Id.ToString(), Markup.Escape(a.Name), Markup.Escape(a.Email ?? ""), !a.Active ? "inactive" : a.Away ? "away" : "active",
                        a.Weight.ToString(), a.Capacity?.ToString() ?? "—");
                c.Write(t);
            });
        }));
        return cmd;
    }

    static Command Set()
    {
        Argument<string> agent = new("agent") { Description = "Agent id or name" };
        Option<string?> email = new("--email") { Description = "New e-mail" };
        Option<bool?> active = new("--active") { Description = "true: active; false: inactive (skipped by every pool)" };
        Option<bool?> away = new("--away") { Description = "true: away (skipped); false: back (starts at each pool's minimum)" };
        Option<int?> weight = new("--weight") { Description = "Relative share, 1–100" };
        Option<int?> capacity = new("--capacity") { Description = "Maximum open leads; 0 removes the limit" };
        var cmd = new Command("set", "Change an agent") { agent, email, active, away, weight, capacity };
        cmd.SetAction((p, ct) => CliRun.Run(p, ct, async (s, _) =>
        {
            var cap = p.GetValue(capacity);
            var dto = await s.GetRequiredService<AgentDirectory>().SetAsync(p.GetValue(agent)!, new AgentChanges(
                p.GetValue(email), p.GetValue(active), p.GetValue(away), p.GetValue(weight), cap is > 0 ? cap : null, cap == 0), ct);
            return CliResult.Ok(new { id = dto.Id, name = dto.Name, agent = dto },
                c => c.MarkupLineInterpolated($"Agent [bold]{dto.Name}[/] saved: {(!dto.Active ? "inactive" : dto.Away ? "away" : "active")}, weight {dto.Weight}."));
        }));
        return cmd;
    }
}
