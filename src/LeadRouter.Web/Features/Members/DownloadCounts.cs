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
/// <item>Callers check ownership first (<see cref="MemberFiles"/>); this only counts.</item>
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

    GroupCommit<CountedDownload, bool>? group;
    // The loop's own context with its connection kept open; replaced after an error.
    readonly KeptContext kept = new(dbs);

    GroupCommit<CountedDownload, bool> Group =>
        LazyInitializer.EnsureInitialized(ref group, () => new(WriteAsync, _ => 1, MaxBatch, "Download count", log));

    /// <summary>Transactions committed and downloads they counted so far (downloads ÷ transactions = the average group size).</summary>
    internal (long Transactions, long Downloads) Committed => Group.Committed;

    /// <summary>One download to count: the file and when it was downloaded (UTC).</summary>
    sealed record CountedDownload(long FileId, DateTimeOffset At);

    /// <summary>
    /// Counts one download of <paramref name="fileId"/> at <paramref name="at"/> (UTC) and waits until the count is
    /// committed. <paramref name="ct"/> (the request) only stops the waiting: a download already being written is counted.
    /// </summary>
    /// <returns>True once counted; false when no file has this id (nothing counted).</returns>
    /// <exception cref="ObjectDisposedException">The node is shutting down.</exception>
    /// <exception cref="DbException">The database failed (after retries); the download was not counted, or, if its
    /// commit failed, may have been.</exception>
    public Task<bool> CountAsync(long fileId, DateTimeOffset at, CancellationToken ct) =>
        Group.SubmitAsync(new CountedDownload(fileId, at), ct);

    async Task<IReadOnlyList<bool>> WriteAsync(IReadOnlyList<CountedDownload> downloads)
    {
        var files = downloads.GroupBy(d => d.FileId)
            .Select(g => new FileCount(g.Key, g.Count(), g.Max(d => d.At)))
            .OrderBy(f => f.FileId) // the same lock order on every node: no deadlock between groups
            .ToList();
        var counted = await Retry.ExecuteAsync(async token => await WriteOnceAsync(files, token), CancellationToken.None);
        return downloads.Select(d => counted.Contains(d.FileId)).ToList();
    }

    sealed record FileCount(long FileId, int Downloads, DateTimeOffset Latest);

    /// <summary>One transaction: an UPDATE per file, then the commit; returns the files that exist (and were counted).</summary>
    async Task<HashSet<long>> WriteOnceAsync(IReadOnlyList<FileCount> files, CancellationToken ct) => await kept.RunAsync(async db =>
    {
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var counted = new HashSet<long>();
        foreach (var f in files)
        {
            var (id, k, latest) = (f.FileId, f.Downloads, f.Latest);
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
        return counted;
    }, ct);

    /// <summary>Stops taking downloads and waits until the queued ones are counted or failed.</summary>
    public async ValueTask DisposeAsync()
    {
        await Group.DisposeAsync();
        await kept.DisposeAsync();
    }
}
