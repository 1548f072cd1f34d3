using System.CommandLine;
using LeadRouter.Data;
using LeadRouter.Web.Features.Members;
using Microsoft.Extensions.DependencyInjection;
using Spectre.Console;

namespace LeadRouter.Cli.Commands;

/// <summary><c>leadrouter files list --member U</c> and <c>files export FILE_ID --out PATH</c>: member files (seed 002).</summary>
static class FilesCommand
{
    public static Command Create()
    {
        var cmd = new Command("files", "Member files (one CSV per member per distribution run)");
        cmd.Subcommands.Add(List());
        cmd.Subcommands.Add(Export());
        return cmd;
    }

    static Command List()
    {
        Option<string> member = new("--member") { Description = "Member user name or id", Required = true };
        Option<int> page = new("--page") { Description = "Page, from 1", DefaultValueFactory = _ => 1 };
        Option<int> limit = new("--limit") { Description = "Files per page, 1–100", DefaultValueFactory = _ => 100 };
        var cmd = new Command("list", "List a member's files, newest first") { member, page, limit };
        cmd.SetAction((p, ct) => CliRun.Run(p, ct, async (s, _) =>
        {
            var files = s.GetRequiredService<MemberFiles>();
            var id = await files.MemberIdAsync(p.GetValue(member)!, ct) ?? throw new InputException("member", $"No member '{p.GetValue(member)}'.");
            var list = await files.ListAsync(id, p.GetValue(page), p.GetValue(limit), ct);
            return CliResult.Ok(new
            {
                files = list.Files.Select(f => new
                {
                    fileId = f.FileId,
                    name = f.Name,
                    leadCount = f.LeadCount,
                    tier = f.Tier,
                    runId = f.RunId,
                    createdAt = f.CreatedAt,
                    downloadCount = f.DownloadCount,
                    lastDownloadAt = f.LastDownloadAt,
                }),
                totalCount = list.TotalCount,
                page = list.Page,
                totalPages = list.TotalPages,
                totalLeads = list.TotalLeads,
                totalDownloads = list.TotalDownloads,
            }, c =>
            {
                var t = new Table().Border(TableBorder.Rounded).AddColumns("id", "file", "leads", "tier", "downloads");
                foreach (var f in list.Files) t.AddRow(f.FileId.ToString(), Markup.Escape(f.Name), $"{f.LeadCount:N0}", Markup.Escape(f.Tier), f.DownloadCount.ToString());
                c.Write(t);
            });
        }));
        return cmd;
    }

    static Command Export()
    {
        Argument<long> fileId = new("file-id") { Description = "File id (from files list)" };
        Option<FileInfo> output = new("--out", "-o") { Description = "Where to write the CSV", Required = true };
        var cmd = new Command("export", "Write a member file exactly as the download serves it (does not count as a download)") { fileId, output };
        cmd.SetAction((p, ct) => CliRun.Run(p, ct, async (s, _) =>
        {
            var content = await s.GetRequiredService<MemberFiles>().ContentAsync(p.GetValue(fileId), ct)
                ?? throw new InputException("file-id", $"No member file {p.GetValue(fileId)}.");
            var path = p.GetValue(output)!.FullName;
            await File.WriteAllBytesAsync(path, content.Content, ct);
            return CliResult.Ok(new { fileId = content.FileId, name = content.Name, leadCount = content.LeadCount, path, bytes = content.Content.Length },
                c => c.MarkupLineInterpolated($"Wrote [bold]{content.Name}[/] ({content.LeadCount:N0} leads) to {path}."));
        }));
        return cmd;
    }
}
