using System.CommandLine;
using LeadRouter.Data;
using LeadRouter.Web.Features.Members;
using Microsoft.Extensions.DependencyInjection;
using Spectre.Console;

namespace LeadRouter.Cli.Commands;

/// <summary>
/// <c>leadrouter distribute IMPORT_ID</c> (one member import) and <c>leadrouter distribute --scheduled</c> (every active
/// member import, oldest first). Exit 2 when the import is unknown or its run already completed; 1 when the run failed.
/// </summary>
static class DistributeCommand
{
    public static Command Create()
    {
        Argument<long?> importId = new("import-id") { Description = "Id of a member import (its distribution id)", Arity = ArgumentArity.ZeroOrOne };
        Option<bool> scheduled = new("--scheduled") { Description = "Run over all active member imports, oldest first, as a schedule would" };
        var cmd = new Command("distribute", "Share leads with members by tier (a distribution run)") { importId, scheduled };
        cmd.SetAction((p, ct) => CliRun.Run(p, ct, async (s, _) =>
        {
            var runs = s.GetRequiredService<RunDistribution>();
            var id = p.GetValue(importId);
            if (p.GetValue(scheduled) == id.HasValue)
                throw new InputException("import-id", "Give either an import id or --scheduled.");
            var report = id is { } i
                ? await runs.RunImportAsync(i, Environment.UserName, ct) switch
                {
                    DistributionOutcome.Ran r => r.Report,
                    DistributionOutcome.UnknownImport u => throw new InputException("import-id", u.Message),
                    DistributionOutcome.Conflict c => throw new InputException("import-id", c.Message),
                    _ => throw new InvalidOperationException("Unknown outcome."),
                }
                : await runs.RunScheduledAsync(Environment.UserName, ct);
            return new CliResult(report.Status == Data.Members.DistributionRunStatus.Completed ? 0 : 1, Json(report), c => Render(c, report));
        }));
        return cmd;
    }

    /// <summary>The contract of <c>distribute --json</c>.</summary>
    public static object Json(DistributionReport r) => new
    {
        runId = r.RunId,
        importId = r.ImportId,
        kind = r.Kind,
        status = r.Status,
        shares = r.Shares,
        membersServed = r.MembersServed,
        eligibleMembers = r.EligibleMembers,
        sourceImports = r.SourceImports,
        warning = r.Warning,
        error = r.Error,
        byMember = r.ByMember.Select(m => new { username = m.Username, tier = m.Tier, count = m.Count, wanted = m.Wanted, fileId = m.FileId, reason = m.Reason }),
    };

    static void Render(IAnsiConsole c, DistributionReport r)
    {
        c.MarkupLineInterpolated($"Run [bold]#{r.RunId}[/] {r.Status.ToString().ToLowerInvariant()}: {r.Shares:N0} shares to {r.MembersServed} of {r.EligibleMembers} eligible members.");
        if (r.Error is not null) c.MarkupLineInterpolated($"[red]error:[/] {r.Error}");
        if (r.Warning is not null) c.MarkupLineInterpolated($"[yellow]warning:[/] {r.Warning}");
        if (r.ByMember.Count == 0) return;
        var t = new Table().Border(TableBorder.Rounded).AddColumns("member", "tier", "leads", "of", "note");
        foreach (var m in r.ByMember)
            t.AddRow(Markup.Escape(m.Username), Markup.Escape(m.Tier), $"{m.Count:N0}", $"{m.Wanted:N0}", Markup.Escape(m.Reason ?? ""));
        c.Write(t);
    }
}
