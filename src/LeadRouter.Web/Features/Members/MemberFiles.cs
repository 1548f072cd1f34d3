using System.Data;
using System.Text;
using LeadRouter.Data;
using LeadRouter.Data.Members;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
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
/// Member files (seed 002): listing, the CSV content and downloads with their count and last time. A file's bytes are
/// rendered from its run's shares once, on its first download or export, and stored (<see cref="MemberFileCsv"/>), so
/// every later download and <c>files export</c> serve the same bytes; each node also keeps recently served files in
/// memory (<see cref="MembersOptions.FileCacheMegabytes"/>). A download is then one conditional UPDATE, which checks
/// that the file is the caller's and counts it.
/// </summary>
public sealed class MemberFiles(IDbContextFactory<LeadRouterDb> dbs, TimeProvider clock, IOptions<MembersOptions> options) : IDisposable
{
    readonly MemoryCache cache = new(new MemoryCacheOptions { SizeLimit = Math.Max(1L, options.Value.FileCacheMegabytes) * 1024 * 1024 });

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

    /// <summary>
    /// The CSV of a file without counting a download (<c>files export</c>): the stored bytes, written now if the file
    /// was never downloaded or exported; null for an unknown file.
    /// </summary>
    public async Task<MemberFileContent?> ContentAsync(long fileId, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        return await db.MemberFiles.AnyAsync(f => f.Id == fileId, ct) ? await ContentAsync(db, fileId, ct) : null;
    }

    /// <summary>
    /// A member downloads one of its files (the dashboard, which knows the member): the content, and the download count
    /// + 1 with the last download time now. Unlimited downloads; files stay available after a subscription ends.
    /// </summary>
    /// <returns><see cref="DownloadOutcome.NotFound"/> for an unknown file, <see cref="DownloadOutcome.Forbidden"/> when the file
    /// is not <paramref name="callerMemberId"/>'s (or that is null).</returns>
    public Task<DownloadOutcome> DownloadAsync(long fileId, long? callerMemberId, CancellationToken ct) =>
        callerMemberId is { } memberId
            ? DownloadAsync(fileId, db => db.MemberFiles.Where(f => f.Id == fileId && f.MemberId == memberId), ct)
            : NotOwnedAsync(fileId, ct);

    /// <summary>
    /// The same as <see cref="DownloadAsync(long, long?, CancellationToken)"/> for the member linked to a login (Identity
    /// user id; seed 002's <c>GET /api/users/leads/download/{file_id}</c>): the login's member is matched inside the
    /// UPDATE that counts the download, so a download costs one statement once the file's bytes are cached.
    /// </summary>
    public Task<DownloadOutcome> DownloadForUserAsync(long fileId, string? userId, CancellationToken ct) =>
        userId is not null
            ? DownloadAsync(fileId, db => db.MemberFiles.Where(f => f.Id == fileId && db.Members.Any(m => m.Id == f.MemberId && m.UserId == userId)), ct)
            : NotOwnedAsync(fileId, ct);

    /// <summary>
    /// Ownership is checked by the database: <paramref name="owned"/> selects the file only when it is the caller's, and
    /// the download is counted by one conditional UPDATE over it. On the first download on this node the bytes are
    /// loaded (or rendered and stored) after a read of the same condition, and the count is written once they are in hand.
    /// </summary>
    async Task<DownloadOutcome> DownloadAsync(long fileId, Func<LeadRouterDb, IQueryable<MemberFile>> owned, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        if (!cache.TryGetValue(fileId, out MemberFileContent? content) || content is null)
        {
            if (!await owned(db).AnyAsync(ct)) return await MissingAsync(db, fileId, ct);
            content = await ContentAsync(db, fileId, ct);
        }

        var now = clock.GetUtcNow();
        var counted = await owned(db).ExecuteUpdateAsync(s => s
            .SetProperty(f => f.DownloadCount, f => f.DownloadCount + 1)
            .SetProperty(f => f.LastDownloadAt, now), ct);
        return counted == 1 ? new DownloadOutcome.File(content) : await MissingAsync(db, fileId, ct);
    }

    async Task<DownloadOutcome> NotOwnedAsync(long fileId, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        return await MissingAsync(db, fileId, ct);
    }

    static async Task<DownloadOutcome> MissingAsync(LeadRouterDb db, long fileId, CancellationToken ct) =>
        await db.MemberFiles.AnyAsync(f => f.Id == fileId, ct) ? new DownloadOutcome.Forbidden() : new DownloadOutcome.NotFound();

    /// <summary>An existing file's content: from this node's cache, else the stored bytes, else rendered now and stored once.</summary>
    async Task<MemberFileContent> ContentAsync(LeadRouterDb db, long fileId, CancellationToken ct)
    {
        if (cache.TryGetValue(fileId, out MemberFileContent? cached) && cached is not null) return cached;
        var file = await db.MemberFiles.AsNoTracking().Where(f => f.Id == fileId)
            .Select(f => new { f.MemberId, f.RunId, f.Name, f.LeadCount }).SingleAsync(ct);
        var bytes = await db.MemberFileCsvs.Where(c => c.FileId == fileId).Select(c => c.Content).SingleOrDefaultAsync(ct);
        if (bytes is null)
        {
            var rows = await (from s in db.Shares
                              join l in db.Leads on s.LeadId equals l.Id
                              where s.RunId == file.RunId && s.MemberId == file.MemberId
                              orderby l.ImportId, l.Id
                              select new MemberCsv.Row(l.Name, l.Email, l.Address)).ToListAsync(ct);
            db.MemberFileCsvs.Add(new MemberFileCsv { FileId = fileId, Content = MemberCsv.Write(rows) });
            try
            {
                await db.SaveChangesAsync(ct);
            }
            catch (DbUpdateException)
            {
                // Another request (or node) stored this file first: serve its row, so every download is the same bytes.
                db.ChangeTracker.Clear();
            }

            bytes = await db.MemberFileCsvs.Where(c => c.FileId == fileId).Select(c => c.Content).SingleAsync(ct);
        }

        var content = new MemberFileContent(fileId, file.Name, bytes, file.LeadCount);
        if (options.Value.FileCacheMegabytes > 0)
            cache.Set(fileId, content, new MemoryCacheEntryOptions { Size = bytes.Length + 256, SlidingExpiration = TimeSpan.FromHours(1) });
        return content;
    }

    /// <summary>Releases the in-memory file cache.</summary>
    public void Dispose() => cache.Dispose();
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
