using System.CommandLine;
using System.Globalization;
using LeadRouter.Data;
using LeadRouter.Web.Features.Replenishment;
using Microsoft.Extensions.DependencyInjection;
using Spectre.Console;

namespace LeadRouter.Cli.Commands;

/// <summary>
/// <c>leadrouter replenish --once [--config F] [--dry-run] [--json]</c> and
/// <c>leadrouter replenish --continuous --interval MINUTES</c>: release reserve leads into the working pool by policy.
/// </summary>
static class ReplenishCommand
{
    public static Command Create()
    {
        Option<bool> once = new("--once") { Description = "Run once and exit" };
        Option<bool> continuous = new("--continuous") { Description = "Run every --interval minutes until Ctrl+C" };
        Option<int> interval = new("--interval")
        {
            Description = "Minutes between runs with --continuous (the policy's cooldown still applies)",
            DefaultValueFactory = _ => 15,
        };
        Option<FileInfo?> config = new("--config")
        {
            Description = "Policy file in seed 001's JSON format (// comments allowed); stored as the policy, or with --dry-run only used",
        };
        Option<bool> dryRun = new("--dry-run") { Description = "Plan and report what would be released; release and log nothing" };
        var cmd = new Command("replenish", "Release reserve leads when the working pool runs low") { once, continuous, interval, config, dryRun };
        cmd.SetAction((p, ct) => CliRun.Run(p, ct, async (s, console) =>
        {
            var (isOnce, isContinuous, minutes, dry) = (p.GetValue(once), p.GetValue(continuous), p.GetValue(interval), p.GetValue(dryRun));
            if (isOnce == isContinuous) throw new InputException("once", "Give exactly one of --once or --continuous.");
            if (isContinuous && minutes < 1) throw new InputException("interval", $"--interval is {minutes}; give 1 minute or more.");
            if (isContinuous && dry) throw new InputException("dry-run", "--dry-run goes with --once.");

            var replenish = s.GetRequiredService<Replenish>();
            var request = new ReplenishRequest("cli", dry);
            if (p.GetValue(config) is { } file)
            {
                if (!file.Exists) throw new InputException("config", $"File not found: {file.FullName}");
                var json = await File.ReadAllTextAsync(file.FullName, ct);
                request = dry ? request with { Policy = Replenish.ParsePolicy(json) } : request with { Policy = await replenish.SavePolicyAsync(json, ct) };
            }

            if (isOnce)
            {
                var result = await replenish.RunOnceAsync(request, ct);
                return CliResult.Ok(Json(result), c => Render(c, result));
            }

            return await ContinuousAsync(replenish, request, TimeSpan.FromMinutes(minutes), console, ct);
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
                var t = new Table().Border(TableBorder.Rounded).AddColumns("run", "released", "blocked by", "reasons");
                foreach (var r in page.Items) t.AddRow(r.RunId?.ToString(CultureInfo.InvariantCulture) ?? "", r.Released.ToString(CultureInfo.InvariantCulture), r.BlockedBy ?? "", Markup.Escape(string.Join("; ", r.Reasons)));
                c.Write(t);
            });
        }));
        cmd.Subcommands.Add(policy);
        cmd.Subcommands.Add(runs);
        return cmd;
    }

    /// <summary>Runs now and then every <paramref name="every"/> until Ctrl+C; prints each run; a failed run is reported and the loop goes on.</summary>
    static async Task<CliResult> ContinuousAsync(Replenish replenish, ReplenishRequest request, TimeSpan every, IAnsiConsole console, CancellationToken ct)
    {
        var (runsDone, released) = (0, 0);
        console.MarkupLineInterpolated($"Replenishing every {every.TotalMinutes:0} minutes; Ctrl+C stops.");
        using var timer = new PeriodicTimer(every);
        try
        {
            do
            {
                try
                {
                    var result = await replenish.RunOnceAsync(request, ct);
                    (runsDone, released) = (runsDone + 1, released + result.Released);
                    console.MarkupLineInterpolated($"[grey]{DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm:ss}Z[/]");
                    Render(console, result);
                }
                catch (Exception e) when (e is not OperationCanceledException and not OutOfMemoryException)
                {
                    console.MarkupLineInterpolated($"[red]Run failed:[/] {e.GetBaseException().Message}; trying again in {every.TotalMinutes:0} minutes.");
                }
            }
            while (await timer.WaitForNextTickAsync(ct));
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            console.MarkupLineInterpolated($"Stopped after {runsDone} runs, {released} leads released.");
        }

        return CliResult.Ok(new { runs = runsDone, released }, _ => { });
    }

    /// <summary>The <c>--json</c> contract: released, byGrade, duplicatesSkipped, reasons, blockedBy; then details.</summary>
    static object Json(ReplenishmentResult r) => new
    {
        released = r.Released,
        byGrade = r.ByGrade,
        duplicatesSkipped = r.DuplicatesSkipped,
        reasons = r.Reasons,
        blockedBy = r.BlockedBy,
        dryRun = r.DryRun,
        waitMinutes = r.WaitMinutes,
        assigned = r.Assigned,
        runId = r.RunId,
        metrics = r.Metrics,
    };

    /// <summary>Seed 001's lines: current metrics, upload strategy, targets, selected, released (or why not).</summary>
    static void Render(IAnsiConsole c, ReplenishmentResult r)
    {
        var m = r.Metrics;
        if (r.BlockedBy != "metrics_error")
        {
            c.MarkupLineInterpolated($"Current metrics: {m.Total} total, {m.AvailableTotal} available ({Grades(m.AvailableByGrade)}), {m.ReserveTotal} in reserve, {m.ActiveAgents} active agents");
            var triggers = r.Reasons.Where(x => x.StartsWith("trigger: ", StringComparison.Ordinal)).Select(x => x["trigger: ".Length..]).ToList();
            if (triggers.Count > 0) c.MarkupLineInterpolated($"Upload strategy: {string.Join("; ", triggers)}");
        }

        switch (r.BlockedBy)
        {
            case null:
                c.MarkupLineInterpolated($"Targets: {Grades(r.Targets)}");
                c.MarkupLineInterpolated($"Selected {r.Released} leads for release ({Grades(r.ByGrade)})");
                if (r.DryRun) c.MarkupLineInterpolated($"[yellow]Dry run:[/] would release {r.Released}, {r.DuplicatesSkipped} duplicates skipped; nothing was changed");
                else c.MarkupLineInterpolated($"[green]Released {r.Released}[/], {r.DuplicatesSkipped} duplicates, {r.Errors} errors; {r.Assigned} assigned");
                break;
            case "sufficient":
                c.MarkupLineInterpolated($"[green]Lead levels sufficient, no release needed[/] ({Detail(r)})");
                break;
            case "cooldown":
                c.MarkupLineInterpolated($"[yellow]Cooldown: wait {r.WaitMinutes ?? 0} minutes[/]");
                break;
            case "daily_cap":
                c.MarkupLineInterpolated($"[yellow]Daily release limit reached[/] ({Detail(r)})");
                break;
            case "business_hours":
                c.MarkupLineInterpolated($"[yellow]Outside business hours, no release[/] ({Detail(r)})");
                break;
            case "metrics_error":
                c.MarkupLineInterpolated($"[red]Metrics could not be read, nothing released[/] ({Detail(r)})");
                break;
            default:
                c.MarkupLineInterpolated($"[yellow]Nothing released: {r.BlockedBy}[/] ({Detail(r)})");
                break;
        }

        foreach (var reason in r.Reasons) c.MarkupLineInterpolated($"[grey]  • {reason}[/]");
    }

    static string Detail(ReplenishmentResult r) =>
        r.Reasons.FirstOrDefault(x => !x.StartsWith("trigger: ", StringComparison.Ordinal)) ?? r.BlockedBy ?? "";

    static string Grades(IReadOnlyDictionary<string, int> counts) => counts.Count == 0
        ? "none"
        : string.Join(", ", counts.OrderBy(g => g.Key, Domain.Replenishment.Grades.BestFirst).Select(g => $"{g.Key} {g.Value}"));
}
