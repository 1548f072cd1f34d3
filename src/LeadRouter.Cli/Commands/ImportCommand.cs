using System.CommandLine;
using LeadRouter.Data.Leads;
using LeadRouter.Data.Leads.Intake;
using LeadRouter.Web.Features.Leads;
using Microsoft.Extensions.DependencyInjection;
using Spectre.Console;

namespace LeadRouter.Cli.Commands;

/// <summary><c>leadrouter import FILE</c>: CSV or XLSX intake with the same pipeline as the API.</summary>
static class ImportCommand
{
    public static Command Create()
    {
        Argument<FileInfo> file = new("file") { Description = "CSV (, ; tab |) or XLSX file of leads" };
        Option<string?> source = new("--source") { Description = "Lead source for every row, e.g. META" };
        Option<string?> sourceColumn = new("--source-column") { Description = "Header of the column holding each row's source" };
        Option<string[]> map = new("--map") { Description = "Header override field=Header (repeatable), e.g. email=E-mail Address", AllowMultipleArgumentsPerToken = false };
        Option<string?> sheet = new("--sheet") { Description = "XLSX sheet name (default: the first)" };
        Option<string?> region = new("--default-region") { Description = "Region for phone numbers without a country code, e.g. IN, US" };
        Option<bool> skipInvalid = new("--skip-invalid") { Description = "Import the valid rows and report the rest (default: reject the whole file)" };
        Option<bool> reserve = new("--reserve") { Description = "Hold the leads in reserve (released by replenishment)" };
        Option<bool> forMembers = new("--for-members") { Description = "Leads for member distribution runs (seed 002)" };
        var cmd = new Command("import", "Import a lead file, then assign the leads of pooled sources")
        {
            file, source, sourceColumn, map, sheet, region, skipInvalid, reserve, forMembers,
        };
        cmd.SetAction((p, ct) => CliRun.Run(p, ct, async (services, console) =>
        {
            var info = p.GetValue(file)!;
            if (!info.Exists) throw new ImportInputException($"File not found: {info.FullName}");
            var options = new ImportOptions
            {
                FileName = info.Name,
                Purpose = p.GetValue(forMembers) ? ImportPurpose.Members : p.GetValue(reserve) ? ImportPurpose.Reserve : ImportPurpose.Agents,
                Source = p.GetValue(source),
                SourceColumn = p.GetValue(sourceColumn),
                Map = ImportMaps.Parse(p.GetValue(map) ?? []),
                Sheet = p.GetValue(sheet),
                DefaultRegion = p.GetValue(region),
                SkipInvalid = p.GetValue(skipInvalid),
                ImportedBy = Environment.UserName,
                RequiredColumns = p.GetValue(forMembers) ? ["Name", "Email", "Address"] : null,
            };
            var import = services.GetRequiredService<ImportLeads>();
            ImportResult result;
            await using (var stream = new FileStream(info.FullName, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true))
                result = await WithProgress(console, info.Length, progress => import.RunAsync(stream, options, progress, ct));
            return new CliResult(result.Report.Stored ? 0 : 2, ImportJson(result), c => ImportView.Render(c, result));
        }));
        return cmd;
    }

    /// <summary>The contract of <c>import --json</c>.</summary>
    public static object ImportJson(ImportResult r) => new
    {
        importId = r.Report.ImportId,
        fileName = r.Report.FileName,
        stored = r.Report.Stored,
        rows = r.Report.Rows,
        accepted = r.Report.Accepted,
        duplicates = r.Report.Duplicates,
        rejected = r.Report.Rejected,
        warnings = r.Report.Warnings,
        assigned = r.Assigned,
        bySource = r.Runs.ToDictionary(x => x.Source, x => x.Assigned),
        routed = r.Routed,
        unrouted = r.Unrouted,
        byBroker = r.Routing?.ByBroker ?? new Dictionary<string, int>(),
        unroutedReasons = r.Routing?.UnroutedReasons ?? new Dictionary<string, int>(),
        errors = r.Report.Errors.Select(e => new { row = e.Row, column = e.Column, message = e.Message }),
        warningList = r.Report.WarningList.Select(e => new { row = e.Row, column = e.Column, message = e.Message }),
        duplicateRows = r.Report.DuplicateRows.Select(d => new { row = d.Row, key = d.IdentityKey }),
        runs = r.Runs,
    };

    /// <summary>Shows a progress bar (by bytes read) for files over 256 KB on an interactive console.</summary>
    static async Task<T> WithProgress<T>(IAnsiConsole console, long size, Func<IProgress<ImportProgress>?, Task<T>> work)
    {
        if (size < 256 * 1024 || !console.Profile.Capabilities.Interactive) return await work(null);
        T result = default!;
        await console.Progress().AutoClear(true).StartAsync(async ctx =>
        {
            var task = ctx.AddTask("Importing", maxValue: size);
            result = await work(new SyncProgress(p => { task.Value = p.BytesRead; task.Description = $"Importing {p.RowsRead:N0} rows"; }));
        });
        return result;
    }

    /// <summary>Calls back on the reporting thread (unlike Progress&lt;T&gt;, which posts to the thread pool).</summary>
    sealed class SyncProgress(Action<ImportProgress> report) : IProgress<ImportProgress>
    {
        public void Report(ImportProgress value) => report(value);
    }
}

/// <summary>Rich rendering of an import report.</summary>
static class ImportView
{
    public static void Render(IAnsiConsole c, ImportResult r, int maxErrors = 100)
    {
        var rep = r.Report;
        var table = new Table().Border(TableBorder.Rounded).AddColumns("rows", "accepted", "duplicates", "rejected", "warnings", "assigned");
        table.AddRow($"{rep.Rows:N0}", $"[green]{rep.Accepted:N0}[/]", $"{rep.Duplicates:N0}", rep.Rejected > 0 ? $"[red]{rep.Rejected:N0}[/]" : "0",
            $"{rep.Warnings:N0}", $"{r.Assigned:N0}");
        c.MarkupLineInterpolated($"[bold]{rep.FileName}[/] {(rep.Stored ? $"imported as #{rep.ImportId}" : "rejected: nothing was stored")}");
        c.Write(table);
        if (rep.Errors.Count > 0)
        {
            var errors = new Table().Border(TableBorder.Simple).AddColumns("row", "column", "problem");
            foreach (var e in rep.Errors.Take(maxErrors)) errors.AddRow(Markup.Escape(e.Row.ToString()), Markup.Escape(e.Column ?? ""), Markup.Escape(e.Message));
            c.Write(errors);
            if (rep.Errors.Count > maxErrors) c.MarkupLineInterpolated($"… and {rep.Errors.Count - maxErrors} more problems (use --json for all).");
            if (!rep.Stored) c.MarkupLine("Fix the rows above, or use [bold]--skip-invalid[/] to import the valid rows.");
        }

        foreach (var run in r.Runs.Where(x => x.Assigned > 0)) AssignView.RenderRun(c, run);
        if (r.Routing is { } routing) RouteView.Render(c, routing);
    }
}
