using System.CommandLine;
using LeadRouter.Data.Agents;
using LeadRouter.Web.Features.Agents;
using LeadRouter.Web.Features.Platform;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Spectre.Console;

namespace LeadRouter.Cli.Commands;

/// <summary><c>leadrouter assign</c>, <c>stats</c> and <c>history</c>.</summary>
static class AssignCommand
{
    public static Command Create()
    {
        Option<string?> source = new("--source") { Description = "Only this source (default: every pool with auto-assign on)" };
        var cmd = new Command("assign", "Assign unassigned leads to the pools' agents now") { source };
        cmd.SetAction((p, ct) => CliRun.Run(p, ct, async (s, _) =>
        {
            var runs = await s.GetRequiredService<LeadAssigner>().AssignAsync(AssignmentTrigger.Manual, p.GetValue(source), ct);
            if (p.GetValue(source) is { } named && runs.Count == 0) throw new Data.InputException("source", $"Source '{named}' has no pool.");
            var response = AssignResponse.From(runs);
            return CliResult.Ok(new { assigned = response.Assigned, bySource = response.BySource, runs }, c =>
            {
                c.MarkupLineInterpolated($"[bold]{response.Assigned}[/] leads assigned.");
                foreach (var run in runs) AssignView.RenderRun(c, run);
            });
        }));
        return cmd;
    }

    public static Command Stats()
    {
        Option<string?> source = new("--source") { Description = "One source (default: every pooled source)" };
        var cmd = new Command("stats", "Assignment statistics per source and agent") { source };
        cmd.SetAction((p, ct) => CliRun.Run(p, ct, async (s, _) =>
        {
            var stats = await s.GetRequiredService<AssignmentStats>().GetAsync(p.GetValue(source), ct);
            var zone = TimeZoneInfo.FindSystemTimeZoneById(s.GetRequiredService<IOptions<DisplayOptions>>().Value.TimeZone);
            object json = p.GetValue(source) is not null && stats.Count == 1 ? StatsJson(stats[0]) : new { sources = stats.Select(StatsJson) };
            return CliResult.Ok(json, c => { foreach (var x in stats) AssignView.RenderStats(c, x, zone); });
        }));
        return cmd;
    }

    static object StatsJson(SourceStats s) => new
    {
        source = s.Source,
        totalAssigned = s.TotalAssigned,
        lastAssignedAt = s.LastAssignedAt,
        agents = s.Agents.Select(a => new { id = a.AgentId, name = a.Name, count = a.Count, available = a.Available }),
        average = s.Average,
        min = s.Min,
        max = s.Max,
        spread = s.Spread,
        next = s.Next,
        unassigned = s.Unassigned,
    };

    public static Command History()
    {
        Option<string?> source = new("--source") { Description = "Only this source" };
        Option<long?> agent = new("--agent") { Description = "Only this agent id" };
        Option<int> page = new("--page") { Description = "Page, from 1", DefaultValueFactory = _ => 1 };
        Option<int> size = new("--page-size") { Description = "Rows per page (1–500)", DefaultValueFactory = _ => 50 };
        var cmd = new Command("history", "Assignment history, newest first") { source, agent, page, size };
        cmd.SetAction((p, ct) => CliRun.Run(p, ct, async (s, _) =>
        {
            var history = await s.GetRequiredService<AssignmentStats>().HistoryAsync(p.GetValue(source), p.GetValue(agent), p.GetValue(page), p.GetValue(size), ct);
            var zone = TimeZoneInfo.FindSystemTimeZoneById(s.GetRequiredService<IOptions<DisplayOptions>>().Value.TimeZone);
            return CliResult.Ok(new { items = history.Items, total = history.Total, page = history.PageNumber, pageSize = history.PageSize, totalPages = history.TotalPages }, c =>
            {
                var t = new Table().Border(TableBorder.Rounded).AddColumns("time", "lead", "source", "agent", "before → after", "method", "trigger");
                foreach (var a in history.Items)
                    t.AddRow(CliRun.Show(a.AssignedAt, zone), Markup.Escape($"#{a.LeadId} {a.LeadName}"), Markup.Escape(a.Source), Markup.Escape(a.Agent),
                        $"{a.CountBefore} → {a.CountAfter}", a.Method.ToString(), a.Trigger.ToString());
                c.Write(t);
                c.MarkupLineInterpolated($"page {history.PageNumber} of {history.TotalPages} ({history.Total} assignments)");
            });
        }));
        return cmd;
    }
}
