using LeadRouter.Web.Features.Agents;
using Spectre.Console;

namespace LeadRouter.Cli.Commands;

/// <summary>Rich rendering of assignment runs and statistics (seed 000's terminal breakdown, honest).</summary>
static class AssignView
{
    public static void RenderRun(IAnsiConsole c, AssignmentRun run)
    {
        c.MarkupLineInterpolated($"[bold]{run.Source}[/]: {run.Assigned} leads assigned ({run.Method}, {run.Trigger}){(run.Waiting > 0 ? $", {run.Waiting} waiting: no agent available" : "")}");
        if (run.Agents.Count == 0) return;
        var table = new Table().Border(TableBorder.Rounded).AddColumns("agent", "this run", "before", "after");
        foreach (var a in run.Agents) table.AddRow(Markup.Escape(a.Name), a.Received.ToString(), a.Before.ToString(), a.After.ToString());
        c.Write(table);
        if (run.OddLeadTo.Count > 0) c.MarkupLineInterpolated($"Uneven split: one more lead to {string.Join(", ", run.OddLeadTo)}.");
    }

    public static void RenderStats(IAnsiConsole c, SourceStats s, TimeZoneInfo zone)
    {
        c.MarkupLineInterpolated($"[bold]{s.Source}[/]: {s.TotalAssigned} assigned, last {CliRun.Show(s.LastAssignedAt, zone)}, {s.Unassigned} unassigned, next in line: {s.Next ?? "—"}");
        if (s.Agents.Count == 0) return;
        var chart = new BarChart().Width(60);
        foreach (var a in s.Agents) chart.AddItem(Markup.Escape(a.Name) + (a.Available ? "" : " (away)"), a.Count, a.Available ? Color.Green : Color.Grey);
        c.Write(chart);
        c.MarkupLineInterpolated($"average {s.Average:0.##}, min {s.Min}, max {s.Max}, spread {s.Spread}");
    }
}
