using System.Data.Common;
using LeadRouter.Data;
using LeadRouter.Web.Features.Platform;
using Microsoft.EntityFrameworkCore;
using Polly;
using Polly.Retry;

namespace LeadRouter.Web.Features.Members;

/// <summary>
/// Member file download counts by group commit (<see cref="GroupCommit{TItem, TResult}"/>). Each counted download (file,
/// time) is queued; one writer loop per node takes every download waiting at that moment (up to <see cref="MaxBatch"/>)
/// and writes them in ONE transaction: per distinct file, in file id order, one
/// <c>UPDATE "MemberFiles" SET "DownloadCount" = "DownloadCount" + k, "LastDownloadAt" = latest</c> (latest = the group's
/// newest download time, kept only if it is newer than the stored one, so a slower node cannot move it back). Only after
/// the commit is each caller answered, so a download is served only once its count is durable: none is lost on a crash,
/// and concurrent downloads of one file cost one row lock and one WAL flush per group instead of one each.
/// <list type="bullet">
/// <item>A download by a login is counted only if the file's member is linked to that login, read in the count's own
/// transaction (one read per group); callers that know the member check ownership themselves.</item>
/// <item>A transaction that fails on a transient database error before its commit is retried (Polly); a group of several
/// downloads that still fails is written one download at a time. A failed COMMIT is not repeated (the count may be
/// stored): its downloads fail, so nothing is counted twice.</item>
/// <item>On shutdown (<see cref="DisposeAsync"/>) the queued downloads are still written, or fail; none is left waiting.</item>
/// </list>
/// </summary>
public sealed class DownloadCounts(IDbContextFactory<LeadRouterDb> dbs, ILogger<DownloadCounts> log) : IAsyncDisposable
{
    /// <summary>Most downloads one transaction counts.</summary>
    public const int MaxBatch = 1_000;

    static readonly ResiliencePipeline Retry = new ResiliencePipelineBuilder()
        .AddRetry(new RetryStrategyOptions
        {
            ShouldHandle = new PredicateBuilder().Handle<DbException>(e => e.IsTransient || e.SqlState is "40P01" or "40001"),
            MaxRetryAttempts = 4,
            Delay = TimeSpan.FromMilliseconds(50),
            BackoffType = DelayBackoffType.Linear,
        })
        .Build();

    GroupCommit<CountedDownload, DownloadCounted>? group;
    // The loop's own context with its connection kept open; replaced after an error.
    readonly KeptContext kept = new(dbs);

    GroupCommit<CountedDownload, DownloadCounted> Group =>
        LazyInitializer.EnsureInitialized(ref group, () => new(WriteAsync, _ => 1, MaxBatch, "Download count", log));

    long countedDownloads;

    /// <summary>Transactions committed and the downloads they counted so far (refused or unknown-file downloads are not
    /// counted; downloads ÷ transactions ≈ the average group size).</summary>
    internal (long Transactions, long Downloads) Committed => (Group.Committed.Groups, Interlocked.Read(ref countedDownloads));

    /// <summary>One download to count: the file, its member, the login that must be linked to that member (null when
    /// the caller checked ownership itself), and when it was downloaded (UTC).</summary>
    sealed record CountedDownload(long FileId, long MemberId, string? UserId, DateTimeOffset At);

    /// <summary>
    /// Counts one download of <paramref name="fileId"/> at <paramref name="at"/> (UTC) whose ownership the caller has
    /// checked, and waits until the count is committed. <paramref name="ct"/> (the request) only stops the waiting: a
    /// download already being written is counted.
    /// </summary>
    /// <returns><see cref="DownloadCounted.Counted"/> once counted; <see cref="DownloadCounted.NoSuchFile"/> when no file
    /// has this id (nothing counted).</returns>
    /// <exception cref="ObjectDisposedException">The node is shutting down.</exception>
    /// <exception cref="DbException">The database failed (after retries); the download was not counted, or, if its
    /// commit failed, may have been.</exception>
    public Task<DownloadCounted> CountAsync(long fileId, DateTimeOffset at, CancellationToken ct) =>
        Group.SubmitAsync(new CountedDownload(fileId, 0, null, at), ct);

    /// <summary>
    /// The same for a download by a login (Identity user id <paramref name="userId"/>) of a file of member
    /// <paramref name="memberId"/> (a file's member never changes): the count's transaction first reads whether that
    /// member is linked to that login now (one read for the whole group) and counts only the downloads that are.
    /// </summary>
    /// <returns><see cref="DownloadCounted.NotTheCallers"/> (nothing counted) when the member is not linked to the login;
    /// otherwise as <see cref="CountAsync"/>.</returns>
    public Task<DownloadCounted> CountForUserAsync(long fileId, long memberId, string userId, DateTimeOffset at, CancellationToken ct) =>
        Group.SubmitAsync(new CountedDownload(fileId, memberId, userId, at), ct);

    async Task<IReadOnlyList<DownloadCounted>> WriteAsync(IReadOnlyList<CountedDownload> downloads) =>
        await Retry.ExecuteAsync(async token => await WriteOnceAsync(downloads, token), CancellationToken.None);

    /// <summary>
    /// One transaction: the member → login links the group's downloads need (one read), then per distinct file of the
    /// allowed downloads, in file id order (the same lock order on every node: no deadlock between groups), one UPDATE,
    /// then the commit.
    /// </summary>
    async Task<IReadOnlyList<DownloadCounted>> WriteOnceAsync(IReadOnlyList<CountedDownload> downloads, CancellationToken ct) => await kept.RunAsync(async db =>
    {
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var links = await LinksAsync(db, downloads, ct);
        var allowed = downloads.Select(d => d.UserId is null || links.Contains((d.MemberId, d.UserId))).ToArray();
        var files = downloads.Where((_, i) => allowed[i]).GroupBy(d => d.FileId)
            .Select(g => (FileId: g.Key, Downloads: g.Count(), Latest: g.Max(d => d.At)))
            .OrderBy(f => f.FileId)
            .ToList();
        var counted = new HashSet<long>();
        foreach (var (id, k, latest) in files)
        {
            var rows = await db.MemberFiles.Where(x => x.Id == id).ExecuteUpdateAsync(s => s
                .SetProperty(x => x.DownloadCount, x => x.DownloadCount + k)
                .SetProperty(x => x.LastDownloadAt, x => x.LastDownloadAt == null || x.LastDownloadAt < latest ? latest : x.LastDownloadAt), ct);
            if (rows == 1) counted.Add(id);
        }
        try
        {
            await tx.CommitAsync(ct);
        }
        catch (Exception e)
        {
            throw new GroupMayBeWrittenException($"The commit of {files.Sum(f => f.Downloads)} download counts failed; they may be stored", e);
        }
        Interlocked.Add(ref countedDownloads, files.Where(f => counted.Contains(f.FileId)).Sum(f => f.Downloads));
        return downloads.Select((d, i) =>
            !allowed[i] ? DownloadCounted.NotTheCallers : counted.Contains(d.FileId) ? DownloadCounted.Counted : DownloadCounted.NoSuchFile).ToList();
    }, ct);

    /// <summary>The (member, login) links among the members of the group's login-checked downloads.</summary>
    static async Task<HashSet<(long MemberId, string UserId)>> LinksAsync(LeadRouterDb db, IReadOnlyList<CountedDownload> downloads, CancellationToken ct)
    {
        var memberIds = downloads.Where(d => d.UserId is not null).Select(d => d.MemberId).Distinct().ToList();
        if (memberIds.Count == 0) return [];
        var rows = await db.Members.Where(m => memberIds.Contains(m.Id) && m.UserId != null).Select(m => new { m.Id, m.UserId }).ToListAsync(ct);
        return rows.Select(r => (r.Id, r.UserId!)).ToHashSet();
    }

    /// <summary>Stops taking downloads and waits until the queued ones are counted or failed.</summary>
    public async ValueTask DisposeAsync()
    {
        await Group.DisposeAsync();
        await kept.DisposeAsync();
    }
}

/// <summary>What counting one download found (<see cref="DownloadCounts"/>).</summary>
public enum DownloadCounted
{
    /// <summary>The download is counted (committed).</summary>
    Counted,

    /// <summary>No file has this id; nothing counted.</summary>
    NoSuchFile,

    /// <summary>The file's member is not linked to the downloading login; nothing counted.</summary>
    NotTheCallers,
}
