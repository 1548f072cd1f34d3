using System.CommandLine;
using LeadRouter.Data.Leads;
using LeadRouter.Web.Features.Leads;
using Microsoft.Extensions.DependencyInjection;
using Spectre.Console;

namespace LeadRouter.Cli.Commands;

/// <summary><c>leadrouter leads list</c> and <c>leadrouter imports list</c>.</summary>
static class LeadsCommand
{
    public static Command Create()
    {
        Option<string?> source = new("--source") { Description = "Only this source" };
        Option<LeadStatus?> status = new("--status") { Description = "Only this status (Reserve, New, Pending, Contacted, Qualified, Converted, Lost)" };
        Option<long?> agent = new("--agent") { Description = "Only this agent id" };
        Option<long?> import = new("--import") { Description = "Only this import id" };
        Option<string?> search = new("--search") { Description = "Name, e-mail or phone contains" };
        Option<int> page = new("--page") { Description = "Page, from 1", DefaultValueFactory = _ => 1 };
        Option<int> size = new("--page-size") { Description = "Rows per page (1–500)", DefaultValueFactory = _ => 50 };
        var list = new Command("list", "List leads, newest first") { source, status, agent, import, search, page, size };
        list.SetAction((p, ct) => CliRun.Run(p, ct, async (s, _) =>
        {
            var result = await s.GetRequiredService<LeadQueries>().ListAsync(new LeadFilter(p.GetValue(source), p.GetValue(status), p.GetValue(agent),
                p.GetValue(import), p.GetValue(search), null, p.GetValue(page), p.GetValue(size)), ct);
            return CliResult.Ok(new { items = result.Items, total = result.Total, page = result.PageNumber, pageSize = result.PageSize, totalPages = result.TotalPages }, c =>
            {
                var t = new Table().Border(TableBorder.Rounded).AddColumns("id", "name", "e-mail", "phone", "country", "source", "status", "agent");
                foreach (var l in result.Items)
                    t.AddRow(l.Id.ToString(), Markup.Escape(l.Name ?? ""), Markup.Escape(l.Email ?? ""), Markup.Escape(l.Phone ?? ""), l.Country ?? "",
                        Markup.Escape(l.Source ?? ""), l.Status.ToString(), Markup.Escape(l.Agent ?? ""));
                c.Write(t);
                c.MarkupLineInterpolated($"page {result.PageNumber} of {result.TotalPages} ({result.Total} leads)");
            });
        }));
        Argument<long> id = new("id") { Description = "Lead id" };
        Argument<LeadStatus> to = new("status") { Description = "Contacted, Qualified, Converted or Lost" };
        var setStatus = new Command("set-status", "Record what happened to a lead (Pending → Contacted → Qualified → Converted / Lost)") { id, to };
        setStatus.SetAction((p, ct) => CliRun.Run(p, ct, async (s, _) =>
        {
            var changed = await s.GetRequiredService<ChangeLeadStatus>().SetAsync(p.GetValue(id), p.GetValue(to), null, Environment.UserName, ct)
                ?? throw new Data.InputException("id", $"No lead {p.GetValue(id)}.");
            return CliResult.Ok(changed, c => c.MarkupLineInterpolated($"Lead #{changed.LeadId}: {changed.From} → {changed.To}."));
        }));
        var cmd = new Command("leads", "Browse leads and record their outcomes");
        cmd.Subcommands.Add(list);
        cmd.Subcommands.Add(setStatus);
        return cmd;
    }

    public static Command Imports()
    {
        Option<int> page = new("--page") { Description = "Page, from 1", DefaultValueFactory = _ => 1 };
        Option<int> size = new("--page-size") { Description = "Rows per page (1–500)", DefaultValueFactory = _ => 20 };
        var list = new Command("list", "List imports, newest first") { page, size };
        list.SetAction((p, ct) => CliRun.Run(p, ct, async (s, _) =>
        {
            var result = await s.GetRequiredService<LeadQueries>().ImportsAsync(p.GetValue(page), p.GetValue(size), ct);
            return CliResult.Ok(new { items = result.Items, total = result.Total, page = result.PageNumber, pageSize = result.PageSize }, c =>
            {
                var t = new Table().Border(TableBorder.Rounded).AddColumns("id", "file", "purpose", "by", "rows", "accepted", "duplicates", "rejected");
                foreach (var i in result.Items)
                    t.AddRow(i.Id.ToString(), Markup.Escape(i.FileName), i.Purpose.ToString(), Markup.Escape(i.ImportedBy ?? ""), i.Rows.ToString(),
                        i.Accepted.ToString(), i.Duplicates.ToString(), i.Rejected.ToString());
                c.Write(t);
            });
        }));
        var cmd = new Command("imports", "Browse imports");
        cmd.Subcommands.Add(list);
        return cmd;
    }
}
