using System.Data;
using System.Text;
using LeadRouter.Data;
using LeadRouter.Data.Members;
using Microsoft.EntityFrameworkCore;
using Sylvan.Data.Csv;

namespace LeadRouter.Web.Features.Members;

/// <summary>A member file as listed: name, lead count, tier when received, created, downloads, last download (UTC).</summary>
public sealed record MemberFileDto(long FileId, long MemberId, string Username, long RunId, string Name, int LeadCount, string Tier,
    DateTimeOffset CreatedAt, int DownloadCount, DateTimeOffset? LastDownloadAt);

/// <summary>One page of a member's files plus the member's totals (seed 002's summary cards).</summary>
public sealed record MemberFilePage(IReadOnlyList<MemberFileDto> Files, int TotalCount, int Page, int Limit, int TotalPages,
    int TotalLeads, int TotalDownloads);

/// <summary>A file's content as served: name, bytes (UTF-8 CSV), lead count.</summary>
public sealed record MemberFileContent(long FileId, string Name, byte[] Content, int LeadCount);

/// <summary>The outcome of a member's download request (seed 002: 404 unknown file, 403 another member's file).</summary>
public abstract record DownloadOutcome
{
    private DownloadOutcome() { }

    /// <summary>The file; its download count was incremented.</summary>
    public sealed record File(MemberFileContent Content) : DownloadOutcome;

    /// <summary>No file with this id.</summary>
    public sealed record NotFound : DownloadOutcome;

    /// <summary>The file belongs to another member (or the caller is not a member).</summary>
    public sealed record Forbidden : DownloadOutcome;
}

/// <summary>
/// Member files (seed 002): listing, the CSV content (generated from the run's shares on each request, so every
/// download and <c>files export</c> serve the same bytes), and downloads with their count and last time.
/// </summary>
public sealed class MemberFiles(IDbContextFactory<LeadRouterDb> dbs, TimeProvider clock)
{
    /// <summary>A member's files, newest first; <paramref name="limit"/> 1–100.</summary>
    public async Task<MemberFilePage> ListAsync(long memberId, int page, int limit, CancellationToken ct)
    {
        page = Math.Max(page, 1);
        limit = Math.Clamp(limit, 1, 100);
        await using var db = await dbs.CreateDbContextAsync(ct);
        var total = await db.MemberFiles.CountAsync(f => f.MemberId == memberId, ct);
        var totals = await db.MemberFiles.Where(f => f.MemberId == memberId)
            .GroupBy(f => 1).Select(g => new { Leads = g.Sum(f => f.LeadCount), Downloads = g.Sum(f => f.DownloadCount) })
            .SingleOrDefaultAsync(ct);
        var files = await (from f in db.MemberFiles
                           join m in db.Members on f.MemberId equals m.Id
                           where f.MemberId == memberId
                           orderby f.RunId descending, f.Id descending
                           select new MemberFileDto(f.Id, f.MemberId, m.Username, f.RunId, f.Name, f.LeadCount, f.TierName, f.CreatedAt,
                               f.DownloadCount, f.LastDownloadAt)).Skip((page - 1) * limit).Take(limit).ToListAsync(ct);
        return new MemberFilePage(files, total, page, limit, (total + limit - 1) / limit, totals?.Leads ?? 0, totals?.Downloads ?? 0);
    }

    /// <summary>The member with this user name (or id), else null.</summary>
    public async Task<long?> MemberIdAsync(string idOrUsername, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var key = idOrUsername.Trim();
        return long.TryParse(key, out var id)
            ? await db.Members.Where(m => m.Id == id || m.Username == key).Select(m => (long?)m.Id).FirstOrDefaultAsync(ct)
            : await db.Members.Where(m => m.Username == key).Select(m => (long?)m.Id).FirstOrDefaultAsync(ct);
    }

    /// <summary>The member linked to a login (Identity user id), else null.</summary>
    public async Task<long?> MemberOfUserAsync(string? userId, CancellationToken ct)
    {
        if (userId is null) return null;
        await using var db = await dbs.CreateDbContextAsync(ct);
        return await db.Members.Where(m => m.UserId == userId).Select(m => (long?)m.Id).FirstOrDefaultAsync(ct);
    }

    /// <summary>The CSV of a file without counting a download (<c>files export</c>); null for an unknown file.</summary>
    public async Task<MemberFileContent?> ContentAsync(long fileId, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var file = await db.MemberFiles.AsNoTracking().SingleOrDefaultAsync(f => f.Id == fileId, ct);
        return file is null ? null : await RenderAsync(db, file, ct);
    }

    /// <summary>
    /// A member downloads one of its files: the content, and the download count + 1 with the last download time now.
    /// Unlimited downloads; files stay available after a subscription ends.
    /// </summary>
    public async Task<DownloadOutcome> DownloadAsync(long fileId, long? callerMemberId, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var file = await db.MemberFiles.AsNoTracking().SingleOrDefaultAsync(f => f.Id == fileId, ct);
        if (file is null) return new DownloadOutcome.NotFound();
        if (callerMemberId != file.MemberId) return new DownloadOutcome.Forbidden();
        var content = await RenderAsync(db, file, ct);
        var now = clock.GetUtcNow();
        await db.MemberFiles.Where(f => f.Id == fileId).ExecuteUpdateAsync(s => s
            .SetProperty(f => f.DownloadCount, f => f.DownloadCount + 1)
            .SetProperty(f => f.LastDownloadAt, now), ct);
        return new DownloadOutcome.File(content);
    }

    static async Task<MemberFileContent> RenderAsync(LeadRouterDb db, MemberFile file, CancellationToken ct)
    {
        var rows = await (from s in db.Shares
                          join l in db.Leads on s.LeadId equals l.Id
                          where s.RunId == file.RunId && s.MemberId == file.MemberId
                          orderby l.ImportId, l.Id
                          select new MemberCsv.Row(l.Name, l.Email, l.Address)).ToListAsync(ct);
        return new MemberFileContent(file.Id, file.Name, MemberCsv.Write(rows), rows.Count);
    }
}

/// <summary>
/// The member file format (seed 002): header <c>Name,Email,Address</c>, RFC 4180 quoting (Sylvan.Data.Csv), UTF-8 without
/// BOM, CRLF line ends; embedded newlines stay inside quoted cells. A cell starting with <c>=</c>, <c>+</c>, <c>-</c>,
/// <c>@</c>, tab or CR gets a leading <c>'</c> so spreadsheets do not run it as a formula (OWASP CSV injection).
/// </summary>
public static class MemberCsv
{
    /// <summary>One row of a member file.</summary>
    public sealed record Row(string? Name, string? Email, string? Address);

    /// <summary>Writes the rows as the file's bytes.</summary>
    public static byte[] Write(IEnumerable<Row> rows)
    {
        using var table = new DataTable();
        table.Columns.Add("Name", typeof(string));
        table.Columns.Add("Email", typeof(string));
        table.Columns.Add("Address", typeof(string));
        foreach (var r in rows) table.Rows.Add(Neutralise(r.Name), Neutralise(r.Email), Neutralise(r.Address));
        using var text = new StringWriter(System.Globalization.CultureInfo.InvariantCulture);
        using (var reader = table.CreateDataReader())
        using (var csv = CsvDataWriter.Create(text, new CsvDataWriterOptions { NewLine = "\r\n" }))
            csv.Write(reader);
        return new UTF8Encoding(false).GetBytes(text.ToString());
    }

    /// <summary>Prefixes <c>'</c> to a cell a spreadsheet would read as a formula; other text as it is, null as empty.</summary>
    public static string Neutralise(string? cell) =>
        cell is { Length: > 0 } && cell[0] is '=' or '+' or '-' or '@' or '\t' or '\r' ? "'" + cell : cell ?? "";
}
