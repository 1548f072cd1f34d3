using System.CommandLine;
using LeadRouter.Web.Features.Replenishment;
using Microsoft.Extensions.DependencyInjection;
using Spectre.Console;

namespace LeadRouter.Cli.Commands;

/// <summary><c>leadrouter replenish</c>: release reserve leads into the working pool by policy (seed 001).</summary>
static class ReplenishCommand
{
    public static Command Create()
    {
        Option<bool> once = new("--once") { Description = "Run once and exit (default: run every --interval seconds until Ctrl+C)" };
        Option<FileInfo?> config = new("--config") { Description = "Policy file in seed 001's JSON format (// comments allowed); stored as the policy" };
        Option<int> interval = new("--interval") { Description = "Seconds between runs without --once", DefaultValueFactory = _ => 900 };
        var cmd = new Command("replenish", "Release reserve leads when the working pool runs low") { once, config, interval };
        cmd.SetAction((p, ct) => CliRun.Run(p, ct, async (s, console) =>
        {
            var replenish = s.GetRequiredService<Replenish>();
            if (p.GetValue(config) is { } file)
            {
                if (!file.Exists) throw new Data.InputException("config", $"File not found: {file.FullName}");
                await replenish.SavePolicyAsync(await File.ReadAllTextAsync(file.FullName, ct), ct);
            }

            var result = await replenish.RunOnceAsync("manual", ct);
            if (!p.GetValue(once))
            {
                Render(console, result);
                using var timer = new PeriodicTimer(TimeSpan.FromSeconds(Math.Max(10, p.GetValue(interval))));
                try
                {
                    while (await timer.WaitForNextTickAsync(ct)) Render(console, result = await replenish.RunOnceAsync("background", ct));
                }
                catch (OperationCanceledException) { }
            }

            return CliResult.Ok(Json(result), c => Render(c, result));
        }));
        var policy = new Command("policy", "Show the stored policy (seed 001's JSON)");
        policy.SetAction((p, ct) => CliRun.Run(p, ct, async (s, _) =>
        {
            var (_, json) = await s.GetRequiredService<Replenish>().GetPolicyAsync(ct);
            return CliResult.Ok(System.Text.Json.JsonDocument.Parse(json, new System.Text.Json.JsonDocumentOptions { CommentHandling = System.Text.Json.JsonCommentHandling.Skip, AllowTrailingCommas = true }).RootElement,
                c => c.WriteLine(json));
        }));
        var runs = new Command("runs", "The run log, newest first");
        runs.SetAction((p, ct) => CliRun.Run(p, ct, async (s, _) =>
        {
            var page = await s.GetRequiredService<Replenish>().RunsAsync(1, 50, ct);
            return CliResult.Ok(new { runs = page.Items.Select(Json), total = page.Total }, c =>
            {
                var t = new Table().Border(TableBorder.Rounded).AddColumns("run", "released", "held by", "reasons");
                foreach (var r in page.Items) t.AddRow(r.RunId.ToString(), r.Released.ToString(), r.BlockedBy ?? "", Markup.Escape(string.Join("; ", r.Reasons)));
                c.Write(t);
            });
        }));
        cmd.Subcommands.Add(policy);
        cmd.Subcommands.Add(runs);
        return cmd;
    }

    static object Json(ReplenishmentResult r) => new
    {
        runId = r.RunId,
        released = r.Released,
        blockedBy = r.BlockedBy,
        reasons = r.Reasons,
        targets = r.Targets,
        releasedByGrade = r.ReleasedByGrade,
        skippedDuplicates = r.SkippedDuplicates,
        assigned = r.Assigned,
        metrics = r.Metrics,
    };

    static void Render(IAnsiConsole c, ReplenishmentResult r)
    {
        if (r.BlockedBy is null)
            c.MarkupLineInterpolated($"Run #{r.RunId}: [green]{r.Released}[/] reserve leads released ({string.Join(", ", r.ReleasedByGrade.Select(g => $"{g.Key} {g.Value}"))}), {r.Assigned} assigned.");
        else
            c.MarkupLineInterpolated($"Run #{r.RunId}: nothing released, held by [yellow]{r.BlockedBy}[/].");
        foreach (var reason in r.Reasons) c.MarkupLineInterpolated($"  • {reason}");
    }
}
