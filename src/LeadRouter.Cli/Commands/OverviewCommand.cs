using System.CommandLine;
using LeadRouter.Web.Features.Members;
using Microsoft.Extensions.DependencyInjection;
using Spectre.Console;

namespace LeadRouter.Cli.Commands;

/// <summary><c>leadrouter overview</c>: seed 004's overview of member imports, remaining leads and the weeks they last.</summary>
static class OverviewCommand
{
    public static Command Create()
    {
        var cmd = new Command("overview", "Member imports, leads remaining, eligible members, weeks remaining and the next scheduled run");
        cmd.SetAction((p, ct) => CliRun.Run(p, ct, async (s, _) =>
        {
            var o = await s.GetRequiredService<DistributionOverview>().GetAsync(ct);
            return CliResult.Ok(o, c => Render(c, o));
        }));
        return cmd;
    }

    static void Render(IAnsiConsole c, OverviewDto o)
    {
        c.MarkupLineInterpolated($"Leads [bold]{o.TotalLeads:N0}[/], remaining [bold]{o.RemainingLeads:N0}[/] ({o.RemainingShares:N0} share slots), shares made [bold]{o.DistributedLeads:N0}[/].");
        c.MarkupLineInterpolated($"Eligible members {o.EligibleMembers} ({o.SharesPerRun:N0} leads per run); about [bold]{(o.EstimateCapped ? "≥ " : "")}{o.EstimatedWeeksRemaining}[/] weeks ({o.RunsRemaining} runs at {o.RunsPerWeek} a week).");
        c.MarkupLineInterpolated($"Next scheduled run: {(o.NextScheduledRun is { } n ? $"{n:yyyy-MM-dd HH:mm} UTC ({o.NextScheduleName})" : "none")}");
        var t = new Table().Border(TableBorder.Rounded).AddColumns("id", "file", "status", "leads", "shares", "remaining", "progress");
        foreach (var i in o.ActiveCsvs.Concat(o.ExhaustedCsvs))
            t.AddRow($"{i.DistributionId}{(i.IsNext ? " (next)" : "")}", Markup.Escape(i.FileName), i.Status, $"{i.TotalLeads:N0}", $"{i.Distributed:N0}",
                $"{i.Remaining:N0}", $"{i.ProgressPercent}%");
        c.Write(t);
    }
}
