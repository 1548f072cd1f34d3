using System.CommandLine;
using LeadRouter.Domain.Agents;
using LeadRouter.Web.Features.Agents;
using Microsoft.Extensions.DependencyInjection;
using Spectre.Console;

namespace LeadRouter.Cli.Commands;

/// <summary><c>leadrouter pools set|list|delete</c>: per-source agent pools (seed 000's auto-assign config).</summary>
static class PoolsCommand
{
    public static Command Create()
    {
        var cmd = new Command("pools", "Manage agent pools per source");
        cmd.Subcommands.Add(Set());
        cmd.Subcommands.Add(List());
        cmd.Subcommands.Add(Delete());
        return cmd;
    }

    static Option<string> SourceOption(bool required) => new("--source") { Description = "Lead source, e.g. META", Required = required };

    static Command Set()
    {
        var source = SourceOption(true);
        Option<string> agents = new("--agents") { Description = "Agents in order, by name or id, comma-separated: \"John,Sarah,Mike\"", Required = true };
        Option<string> method = new("--method") { Description = "fair (default) or round_robin", DefaultValueFactory = _ => "fair" };
        method.AcceptOnlyFromAmong("fair", "round_robin", "round-robin");
        Option<bool> noAuto = new("--no-auto") { Description = "Keep the pool but do not assign on import or in the background loop" };
        var cmd = new Command("set", "Save a source's pool and assign its unassigned leads at once") { source, agents, method, noAuto };
        cmd.SetAction((p, ct) => CliRun.Run(p, ct, async (s, _) =>
        {
            var m = p.GetValue(method) == "fair" ? AssignmentMethod.Fair : AssignmentMethod.RoundRobin;
            var saved = await s.GetRequiredService<AgentPools>().SaveAsync(p.GetValue(source)!,
                p.GetValue(agents)!.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries), m, !p.GetValue(noAuto), ct);
            return CliResult.Ok(new { source = saved.Pool.Source, assigned = saved.Run?.Assigned ?? 0, pool = saved.Pool, run = saved.Run }, c =>
            {
                c.MarkupLineInterpolated($"Pool for [bold]{saved.Pool.Source}[/] saved: {string.Join(", ", saved.Pool.Agents.Select(a => a.Name))} ({saved.Pool.Method}).");
                if (saved.Run is { } run) AssignView.RenderRun(c, run);
            });
        }));
        return cmd;
    }

    static Command List()
    {
        var source = SourceOption(false);
        var cmd = new Command("list", "List pools") { source };
        cmd.SetAction((p, ct) => CliRun.Run(p, ct, async (s, _) =>
        {
            var pools = await s.GetRequiredService<AgentPools>().ListAsync(p.GetValue(source), ct);
            return CliResult.Ok(new { pools }, c =>
            {
                var t = new Table().Border(TableBorder.Rounded).AddColumns("source", "method", "auto", "agents (received)", "unassigned");
                foreach (var pool in pools)
                    t.AddRow(Markup.Escape(pool.Source), pool.Method.ToString(), pool.AutoAssign ? "on" : "off",
                        Markup.Escape(string.Join(", ", pool.Agents.Select(a => $"{a.Name} ({a.Received})"))), pool.Unassigned.ToString());
                c.Write(t);
            });
        }));
        return cmd;
    }

    static Command Delete()
    {
        var source = SourceOption(true);
        var cmd = new Command("delete", "Delete a source's pool (its leads stay as they are)") { source };
        cmd.SetAction((p, ct) => CliRun.Run(p, ct, async (s, _) =>
        {
            var deleted = await s.GetRequiredService<AgentPools>().DeleteAsync(p.GetValue(source)!, ct);
            if (!deleted) throw new Data.InputException("source", $"Source '{p.GetValue(source)}' has no pool.");
            return CliResult.Ok(new { source = p.GetValue(source), deleted }, c => c.MarkupLineInterpolated($"Pool for {p.GetValue(source)} deleted."));
        }));
        return cmd;
    }
}
