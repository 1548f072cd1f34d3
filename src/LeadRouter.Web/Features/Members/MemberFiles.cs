using System.Data;
using System.Text;
using LeadRouter.Data;
using LeadRouter.Data.Members;
using LeadRouter.Web.Features.Platform;
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
/// memory (<see cref="MembersOptions.FileCacheMegabytes"/>) with their member (a file's member never changes). A download
/// is counted through <see cref="DownloadCounts"/>' group commit, which also confirms the file is the caller's, and is
/// answered once the count is committed.
/// </summary>
public sealed class MemberFiles(
    IDbContextFactory<LeadRouterDb> dbs, DownloadCounts counts, TimeProvider clock, IOptions<MembersOptions> options) : IDisposable
{
    readonly MemoryCache cache = new(new MemoryCacheOptions { SizeLimit = Math.Max(1L, options.Value.FileCacheMegabytes) * 1024 * 1024 });

    /// <summary>A served file as this node keeps it: its member (never changes) and its content.</summary>
    sealed record CachedFile(long MemberId, MemberFileContent Content);

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
        return await FileAsync(db, fileId, ct) is { } file ? file.Content : null;
    }

    /// <summary>
    /// A member downloads one of its files (the dashboard, which knows the member): the content, and the download count
    /// + 1 with the last download time now. Unlimited downloads; files stay available after a subscription ends.
    /// </summary>
    /// <returns><see cref="DownloadOutcome.NotFound"/> for an unknown file, <see cref="DownloadOutcome.Forbidden"/> when the file
    /// is not <paramref name="callerMemberId"/>'s (or that is null); the file once its download is counted (committed).</returns>
    public async Task<DownloadOutcome> DownloadAsync(long fileId, long? callerMemberId, CancellationToken ct)
    {
        var (refused, file) = await OwnFileAsync(fileId, (memberId, _) => memberId == callerMemberId, ct);
        if (refused is not null) return refused;
        if (file!.MemberId != callerMemberId) return new DownloadOutcome.Forbidden();
        return Outcome(await counts.CountAsync(fileId, clock.GetUtcNow(), ct), file);
    }

    /// <summary>
    /// The same as <see cref="DownloadAsync(long, long?, CancellationToken)"/> for the member linked to a login (Identity
    /// user id; seed 002's <c>GET /api/users/leads/download/{file_id}</c>). Once the file is cached on this node a download
    /// costs no read of its own: the link between the file's member and the login is read in the count's group-commit
    /// transaction. An uncached file is checked first (file and link in one read) so a stranger renders nothing.
    /// </summary>
    public async Task<DownloadOutcome> DownloadForUserAsync(long fileId, string? userId, CancellationToken ct)
    {
        var (refused, file) = await OwnFileAsync(fileId, (_, ownerUserId) => userId is not null && ownerUserId == userId, ct);
        if (refused is not null) return refused;
        if (userId is null) return new DownloadOutcome.Forbidden();
        return Outcome(await counts.CountForUserAsync(fileId, file!.MemberId, userId, clock.GetUtcNow(), ct), file);
    }

    /// <summary>
    /// The file to serve: from this node's cache as it is (the caller then checks ownership, or has the count do it); else,
    /// before anything is rendered, the file's member and that member's login in one read, which must pass
    /// <paramref name="isCaller"/>, then the stored or newly rendered content. Refused: not found or forbidden.
    /// </summary>
    async Task<(DownloadOutcome? Refused, CachedFile? File)> OwnFileAsync(long fileId, Func<long, string?, bool> isCaller, CancellationToken ct)
    {
        if (cache.TryGetValue(fileId, out CachedFile? cached) && cached is not null) return (null, cached);
        await using var db = await dbs.CreateDbContextAsync(ct);
        var owner = await (from f in db.MemberFiles
                           join m in db.Members on f.MemberId equals m.Id
                           where f.Id == fileId
                           select new { f.MemberId, m.UserId }).SingleOrDefaultAsync(ct);
        if (owner is null) return (new DownloadOutcome.NotFound(), null);
        if (!isCaller(owner.MemberId, owner.UserId)) return (new DownloadOutcome.Forbidden(), null);
        return await FileAsync(db, fileId, ct) is { } file ? (null, file) : (new DownloadOutcome.NotFound(), null);
    }

    static DownloadOutcome Outcome(DownloadCounted counted, CachedFile file) => counted switch
    {
        DownloadCounted.Counted => new DownloadOutcome.File(file.Content),
        DownloadCounted.NotTheCallers => new DownloadOutcome.Forbidden(),
        _ => new DownloadOutcome.NotFound(),
    };

    /// <summary>
    /// An existing file with its content: from this node's cache, else the stored bytes, else rendered now and stored once;
    /// null for an unknown file.
    /// </summary>
    async Task<CachedFile?> FileAsync(LeadRouterDb db, long fileId, CancellationToken ct)
    {
        if (cache.TryGetValue(fileId, out CachedFile? cached) && cached is not null) return cached;
        var file = await db.MemberFiles.AsNoTracking().Where(f => f.Id == fileId)
            .Select(f => new { f.MemberId, f.RunId, f.Name, f.LeadCount }).SingleOrDefaultAsync(ct);
        if (file is null) return null;
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

        var entry = new CachedFile(file.MemberId, new MemberFileContent(fileId, file.Name, bytes, file.LeadCount));
        if (options.Value.FileCacheMegabytes > 0)
            cache.Set(fileId, entry, new MemoryCacheEntryOptions { Size = bytes.Length + 256, SlidingExpiration = TimeSpan.FromHours(1) });
        return entry;
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
