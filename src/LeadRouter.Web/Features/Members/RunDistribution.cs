using System.Globalization;
using System.Text;
using LeadRouter.Data;
using LeadRouter.Data.Leads;
using LeadRouter.Data.Members;
using LeadRouter.Domain.Members;
using LeadRouter.Web.Features.Notifications;
using LeadRouter.Web.Features.Platform;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;

namespace LeadRouter.Web.Features.Members;

/// <summary>
/// One eligible member's line in a run report: what its tier wants, what it got, its file, and, when it got fewer
/// than its tier allows, why.
/// </summary>
public sealed record MemberRunLine(long MemberId, string Username, string Tier, int Wanted, int Count, long? FileId, string? Reason);

/// <summary>
/// What a distribution run did: status (completed or failed), shares handed out, members served, the eligible members'
/// lines (by user name), a warning (e.g. no eligible members) or the error of a failed run (no shares were kept).
/// </summary>
public sealed record DistributionReport(long RunId, long? ImportId, DistributionRunKind Kind, DistributionRunStatus Status,
    int Shares, int MembersServed, int EligibleMembers, IReadOnlyList<long> SourceImports, string? Warning, string? Error,
    IReadOnlyList<MemberRunLine> ByMember);

/// <summary>The outcome of asking for a run: it ran (completed or failed), or it could not start.</summary>
public abstract record DistributionOutcome
{
    private DistributionOutcome() { }

    /// <summary>The run was executed; <see cref="DistributionReport.Status"/> says completed or failed.</summary>
    public sealed record Ran(DistributionReport Report) : DistributionOutcome;

    /// <summary>No import with this id, or it is not a member import.</summary>
    public sealed record UnknownImport(long ImportId, string Message) : DistributionOutcome;

    /// <summary>The import's run is completed (seed 002: running it again is a conflict) or another worker holds it.</summary>
    public sealed record Conflict(long RunId, DistributionRunStatus Status, string Message) : DistributionOutcome;
}

/// <summary>
/// Runs a distribution (DESIGN rule 4, seeds 002 and 004): a manual run over one import's leads, or a scheduled run over
/// every active member import, oldest first. The run row is claimed first (queued, failed, or processing with an expired
/// lease → processing with a new lease token). Then, in one transaction: the distribution lock row is updated (a row lock
/// on PostgreSQL, the write lock on SQLite, so runs never interleave and the per-lead counts read are final), the state
/// is loaded, <see cref="MemberAllocation.Plan(IReadOnlyList{MemberDemand}, IReadOnlyList{LeadSupply}, IEnumerable{ValueTuple{long, long}}, int)"/>
/// decides, and the shares (bulk multi-row inserts, unique per member and lead), member files, exhausted imports and
/// the completed run are written, with its e-mails in the outbox (DESIGN rule 5). Any failure rolls all of it back and
/// stores the run as failed with the error (and an admin e-mail saying so).
/// </summary>
public sealed class RunDistribution(IDbContextFactory<LeadRouterDb> dbs, TimeProvider clock, IOptions<MembersOptions> options,
    IOptions<EmailOptions> email, OutboxSignal outbox, RunProgress progress, ILogger<RunDistribution> log)
{
    const int InsertBatch = 2_000;

    /// <summary>
    /// The <see cref="RunProgress"/> key of a run: <c>import:{id}</c> for a manual run over one import (so the import's row
    /// can show it), <c>run:{id}</c> for a scheduled run.
    /// </summary>
    public static string ProgressKey(long runId, IReadOnlyList<long>? manualImports) =>
        manualImports is [var import] ? $"import:{import.ToString(CultureInfo.InvariantCulture)}" : $"run:{runId.ToString(CultureInfo.InvariantCulture)}";

    static string ProgressTitle(long runId, IReadOnlyList<long>? manualImports) =>
        manualImports is [var import] ? $"Distributing import {import}" : $"Distribution run {runId}";

    /// <summary>Runs one member import's leads (the import id is the seed's distribution id).</summary>
    public async Task<DistributionOutcome> RunImportAsync(long importId, string? requestedBy, CancellationToken ct)
    {
        DistributionRun run;
        await using (var db = await dbs.CreateDbContextAsync(ct))
        {
            var import = await db.Imports.Where(i => i.Id == importId).Select(i => new { i.Id, i.Purpose }).SingleOrDefaultAsync(ct);
            if (import is null) return new DistributionOutcome.UnknownImport(importId, $"No import {importId}.");
            if (import.Purpose != ImportPurpose.Members)
                return new DistributionOutcome.UnknownImport(importId, $"Import {importId} is not for members (import it with --for-members).");
            run = await QueueAsync(db, importId, requestedBy, ct);
        }

        var token = Guid.NewGuid();
        var now = clock.GetUtcNow();
        var lease = now.AddSeconds(options.Value.LeaseSeconds);
        await using (var db = await dbs.CreateDbContextAsync(ct))
        {
            var runId = run.Id;
            var claimed = await db.DistributionRuns
                .Where(r => r.Id == runId && (r.Status == DistributionRunStatus.Queued || r.Status == DistributionRunStatus.Failed
                    || (r.Status == DistributionRunStatus.Processing && r.LeaseUntil < now)))
                .ExecuteUpdateAsync(s => s
                    .SetProperty(r => r.Status, DistributionRunStatus.Processing)
                    .SetProperty(r => r.LeaseToken, token)
                    .SetProperty(r => r.LeaseUntil, lease)
                    .SetProperty(r => r.StartedAt, now)
                    .SetProperty(r => r.Error, (string?)null)
                    .SetProperty(r => r.RequestedBy, requestedBy), ct);
            if (claimed == 0)
            {
                var status = await db.DistributionRuns.Where(r => r.Id == runId).Select(r => r.Status).SingleAsync(ct);
                return new DistributionOutcome.Conflict(runId, status, status == DistributionRunStatus.Completed
                    ? $"The distribution of import {importId} (run {runId}) is already completed."
                    : $"The distribution of import {importId} (run {runId}) is being processed.");
            }
        }

        return await ExecuteAsync(run.Id, token, [importId], ct);
    }

    /// <summary>What an abandoned run's error says.</summary>
    public const string AbandonedError =
        "Abandoned: the process running it stopped before it finished (its lease expired). A run stores everything in one " +
        "transaction, so nothing of it was stored; distribute the import again.";

    /// <summary>
    /// Marks the runs whose worker stopped, <c>processing</c> with an expired lease, as failed with <see cref="AbandonedError"/>,
    /// so no run stays "processing" forever (a failed manual run can be distributed again; a scheduled occurrence is retried
    /// by its schedule). Runs every <c>Members:SchedulerSyncSeconds</c> on each node of the web host. A worker still alive
    /// past its lease (a run longer than <c>Members:LeaseSeconds</c>) writes its own outcome over this when it ends.
    /// </summary>
    /// <returns>How many runs were marked.</returns>
    public async Task<int> FailAbandonedAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var db = await dbs.CreateDbContextAsync(ct);
        var failed = await db.DistributionRuns
            .Where(r => r.Status == DistributionRunStatus.Processing && r.LeaseUntil < now)
            .ExecuteUpdateAsync(s => s
                .SetProperty(r => r.Status, DistributionRunStatus.Failed)
                .SetProperty(r => r.Error, AbandonedError)
                .SetProperty(r => r.LeaseUntil, (DateTimeOffset?)null)
                .SetProperty(r => r.CompletedAt, now), ct);
        if (failed > 0) log.LogWarning("{Count} distribution runs were abandoned by a stopped process and are now failed", failed);
        return failed;
    }

    /// <summary>A scheduled-style run over every active member import, oldest first (seed 004).</summary>
    /// <param name="requestedBy">Who started it (user name, or <c>schedule:{name}</c>).</param>
    /// <param name="beforeCommit">Called inside the run's transaction with the completed run before it commits (a schedule
    /// records its execution there, so the run and its history row commit together); throwing rolls the run back.</param>
    /// <param name="ct">Cancellation.</param>
    public async Task<DistributionReport> RunScheduledAsync(string? requestedBy, CancellationToken ct,
        Func<LeadRouterDb, DistributionRun, CancellationToken, Task>? beforeCommit = null)
    {
        var token = Guid.NewGuid();
        var now = clock.GetUtcNow();
        long runId;
        await using (var db = await dbs.CreateDbContextAsync(ct))
        {
            var run = new DistributionRun
            {
                Kind = DistributionRunKind.Scheduled,
                Status = DistributionRunStatus.Processing,
                LeaseToken = token,
                LeaseUntil = now.AddSeconds(options.Value.LeaseSeconds),
                RequestedBy = requestedBy,
                CreatedAt = now,
                StartedAt = now,
            };
            db.DistributionRuns.Add(run);
            await db.SaveChangesAsync(ct);
            runId = run.Id;
        }

        var outcome = await ExecuteAsync(runId, token, null, ct, beforeCommit);
        return outcome is DistributionOutcome.Ran ran ? ran.Report
            : throw new InvalidOperationException($"Scheduled run {runId} was taken over by another worker.");
    }

    /// <summary>The import's manual run, created queued if it has none (upload creates it; the CLI import does not).</summary>
    public async Task<DistributionRun> QueueAsync(long importId, string? requestedBy, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        return await QueueAsync(db, importId, requestedBy, ct);
    }

    async Task<DistributionRun> QueueAsync(LeadRouterDb db, long importId, string? requestedBy, CancellationToken ct)
    {
        if (await db.DistributionRuns.AsNoTracking().SingleOrDefaultAsync(r => r.ImportId == importId, ct) is { } existing) return existing;
        var run = new DistributionRun
        {
            ImportId = importId,
            Kind = DistributionRunKind.Manual,
            Status = DistributionRunStatus.Queued,
            RequestedBy = requestedBy,
            CreatedAt = clock.GetUtcNow(),
        };
        db.DistributionRuns.Add(run);
        try
        {
            await db.SaveChangesAsync(ct);
            return run;
        }
        catch (DbUpdateException)
        {
            // Another request queued the same import at the same moment (unique import id): use that run.
            db.ChangeTracker.Clear();
            return await db.DistributionRuns.AsNoTracking().SingleAsync(r => r.ImportId == importId, ct);
        }
    }

    async Task<DistributionOutcome> ExecuteAsync(long runId, Guid token, IReadOnlyList<long>? importIds, CancellationToken ct,
        Func<LeadRouterDb, DistributionRun, CancellationToken, Task>? beforeCommit = null)
    {
        var key = ProgressKey(runId, importIds);
        var title = ProgressTitle(runId, importIds);
        progress.Report(key, WorkKind.Distribution, title, "Waiting for other runs to finish");
        try
        {
            var report = await ApplyAsync(runId, token, importIds, beforeCommit, ct);
            progress.Finish(key, WorkKind.Distribution, title, report is null ? "Taken over by another worker"
                : $"Completed: {report.Shares.ToString("N0", CultureInfo.InvariantCulture)} leads to {report.MembersServed} {(report.MembersServed == 1 ? "member" : "members")}");
            return report is null
                ? new DistributionOutcome.Conflict(runId, DistributionRunStatus.Processing, $"Run {runId} was taken over by another worker.")
                : new DistributionOutcome.Ran(report);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            progress.Finish(key, WorkKind.Distribution, title, "Cancelled");
            throw;
        }
        catch (Exception e)
        {
            progress.Finish(key, WorkKind.Distribution, title, "Failed");
            // The transaction was rolled back: no shares, files or import states of this run exist. Store why.
            var message = e.GetBaseException().Message;
            log.LogError(e, "Distribution run {RunId} failed", runId);
            await using var db = await dbs.CreateDbContextAsync(CancellationToken.None);
            var now = clock.GetUtcNow();
            await db.DistributionRuns.Where(r => r.Id == runId && r.LeaseToken == token && r.Status == DistributionRunStatus.Processing)
                .ExecuteUpdateAsync(s => s
                    .SetProperty(r => r.Status, DistributionRunStatus.Failed)
                    .SetProperty(r => r.Error, message.Length > 4000 ? message[..4000] : message)
                    .SetProperty(r => r.LeaseUntil, (DateTimeOffset?)null)
                    .SetProperty(r => r.CompletedAt, now), CancellationToken.None);
            var run = await db.DistributionRuns.AsNoTracking().SingleAsync(r => r.Id == runId, CancellationToken.None);
            if (run.Status == DistributionRunStatus.Failed && run.LeaseToken == token
                && RunEmails.ForFailedRun(run, token, email.Value, now) is { } failedMail)
            {
                db.OutboxMessages.Add(failedMail);
                await db.SaveChangesAsync(CancellationToken.None);
                outbox.Notify();
            }

            return new DistributionOutcome.Ran(new DistributionReport(runId, run.ImportId, run.Kind, run.Status, 0, 0, 0, [], null,
                run.Error ?? message, []));
        }
    }

    /// <summary>The transaction of one run; null when the run's lease was taken over before the lock was obtained.</summary>
    async Task<DistributionReport?> ApplyAsync(long runId, Guid token, IReadOnlyList<long>? manualImports,
        Func<LeadRouterDb, DistributionRun, CancellationToken, Task>? beforeCommit, CancellationToken ct)
    {
        var max = options.Value.MaxSharesPerLead;
        var key = ProgressKey(runId, manualImports);
        var title = ProgressTitle(runId, manualImports);
        void Stage(string stage, long done = 0, long total = 0) => progress.Report(key, WorkKind.Distribution, title, stage, done, total);
        await using var db = await dbs.CreateDbContextAsync(ct);
        db.ChangeTracker.AutoDetectChangesEnabled = false;
        db.Database.SetCommandTimeout(TimeSpan.FromMinutes(10));
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        await db.DistributionLocks.Where(l => l.Id == 1).ExecuteUpdateAsync(s => s.SetProperty(l => l.Version, l => l.Version + 1), ct);
        var run = await db.DistributionRuns.SingleAsync(r => r.Id == runId, ct);
        if (run.Status != DistributionRunStatus.Processing || run.LeaseToken != token) return null;

        Stage("Loading members and leads");
        // Members: eligible tiers, not suspended (seed 002).
        var members = await db.Members.Where(m => !m.Suspended && m.Tier!.Eligible && m.Tier.LeadsPerRun > 0)
            .OrderBy(m => m.Id).Select(m => new { m.Id, m.Username, m.Email, m.EmailOptOut, Tier = m.Tier!.Name, m.Tier.LeadsPerRun })
            .ToListAsync(ct);

        // Imports in scope, oldest first (seed 004: FIFO).
        var imports = manualImports is not null
            ? manualImports.ToList()
            : await db.Imports
                .Where(i => i.Purpose == ImportPurpose.Members
                    && !db.MemberImports.Any(m => m.ImportId == i.Id && m.Status == MemberImportStatus.Exhausted))
                .OrderBy(i => i.CreatedAt).ThenBy(i => i.Id).Select(i => i.Id).ToListAsync(ct);
        var rank = imports.Select((id, i) => (id, i)).ToDictionary(x => x.id, x => (long)x.i);
        var leadRows = await db.Leads.Where(l => imports.Contains(l.ImportId)).Select(l => new { l.Id, l.ImportId }).ToListAsync(ct);
        var importOfLead = leadRows.ToDictionary(l => l.Id, l => l.ImportId);

        // Every earlier share of these leads, by any member (suspended ones too: they count towards the cap).
        var prior = new List<(long MemberId, long LeadId)>();
        await foreach (var p in (from s in db.Shares
                                 join l in db.Leads on s.LeadId equals l.Id
                                 where imports.Contains(l.ImportId)
                                 select new { s.MemberId, s.LeadId }).AsAsyncEnumerable().WithCancellation(ct))
            prior.Add((p.MemberId, p.LeadId));
        var sharesSoFar = new Dictionary<long, int>(leadRows.Count);
        foreach (var (_, leadId) in prior) sharesSoFar[leadId] = sharesSoFar.GetValueOrDefault(leadId) + 1;

        var demands = members.Select(m => new MemberDemand(m.Id, m.LeadsPerRun)).ToList();
        var supply = leadRows.Select(l => new LeadSupply(l.Id, (rank[l.ImportId] << 40) | l.Id, sharesSoFar.GetValueOrDefault(l.Id))).ToList();
        Stage("Planning the shares", 0, supply.Count);
        var plan = MemberAllocation.Plan(demands, supply, prior, max);

        var now = clock.GetUtcNow();
        Stage("Writing shares", 0, plan.Shares.Count);
        await InsertSharesAsync(db, runId, plan.Shares, written => Stage("Writing shares", written, plan.Shares.Count), ct);
        Stage("Writing member files and e-mails", plan.Shares.Count, plan.Shares.Count);

        var byMember = plan.Shares.GroupBy(s => s.MemberId).ToDictionary(g => g.Key, g => g.Count());
        var files = members.Where(m => byMember.ContainsKey(m.Id)).Select(m => new MemberFile
        {
            MemberId = m.Id,
            RunId = runId,
            Name = $"leads_{m.Username}_{runId}.csv",
            LeadCount = byMember[m.Id],
            TierName = m.Tier,
            CreatedAt = now,
        }).ToList();
        db.MemberFiles.AddRange(files);
        await db.SaveChangesAsync(ct);

        // DESIGN rule 1: no lead of this run may end above the cap (the lock makes this hold; this makes it certain).
        // Counted per lead of the imports in scope (every lead of this run is one), reached through the lead's import
        // and the share's lead index; a correlated "has a share in this run" filter would scan the run's shares per row.
        var planned = plan.Shares.Select(s => s.LeadId).ToHashSet();
        long overCap = 0;
        await foreach (var c in (from s in db.Shares
                                 join l in db.Leads on s.LeadId equals l.Id
                                 where imports.Contains(l.ImportId)
                                 group s by s.LeadId into g
                                 where g.Count() > max
                                 select g.Key).AsAsyncEnumerable().WithCancellation(ct))
            if (planned.Contains(c))
            {
                overCap = c;
                break;
            }

        if (overCap != 0) throw new InvalidOperationException($"Lead {overCap} would exceed {max} shares; the run was rolled back.");

        // Imports whose every lead reached the cap become exhausted (seed 004).
        var after = new Dictionary<long, int>(sharesSoFar);
        foreach (var s in plan.Shares) after[s.LeadId] = after.GetValueOrDefault(s.LeadId) + 1;
        var exhausted = leadRows.GroupBy(l => l.ImportId).Where(g => g.All(l => after.GetValueOrDefault(l.Id) >= max)).Select(g => g.Key).ToList();
        foreach (var importId in exhausted)
        {
            var state = await db.MemberImports.SingleOrDefaultAsync(m => m.ImportId == importId, ct);
            if (state is null) db.MemberImports.Add(new MemberImport { ImportId = importId, Status = MemberImportStatus.Exhausted, ExhaustedAt = now });
            else if (state.Status != MemberImportStatus.Exhausted)
            {
                state.Status = MemberImportStatus.Exhausted;
                state.ExhaustedAt = now;
                db.Entry(state).State = EntityState.Modified;
            }
        }

        var sources = plan.Shares.Select(s => importOfLead[s.LeadId]).Distinct().OrderBy(i => rank[i]).ToList();
        var room = leadRows.Count(l => sharesSoFar.GetValueOrDefault(l.Id) < max);
        var warning = members.Count == 0 ? "No eligible members: nothing was distributed."
            : room == 0 ? "No leads available: every lead already reached its share limit."
            : null;
        run.Status = DistributionRunStatus.Completed;
        run.Shares = plan.Shares.Count;
        run.MembersServed = files.Count;
        run.EligibleMembers = members.Count;
        run.SourceImports = string.Join(",", sources.Select(i => i.ToString(CultureInfo.InvariantCulture)));
        run.Warning = warning;
        run.LeaseUntil = null;
        run.CompletedAt = now;
        db.Entry(run).State = EntityState.Modified;

        // E-mails (seed 002), committed with the run (DESIGN rule 5).
        var memberOf = members.ToDictionary(m => m.Id);
        db.OutboxMessages.AddRange(RunEmails.ForCompletedRun(run, files.Select(f => new MemberFileNotice(f.MemberId,
            memberOf[f.MemberId].Username, memberOf[f.MemberId].Email, memberOf[f.MemberId].EmailOptOut, f.Id, f.Name, f.LeadCount)), email.Value, now));
        await db.SaveChangesAsync(ct);
        if (beforeCommit is not null) await beforeCommit(db, run, ct);
        await tx.CommitAsync(ct);
        outbox.Notify();

        // Why a member got fewer than its tier allows: unseen leads with room before the run.
        var seenWithRoom = prior.Where(p => sharesSoFar.GetValueOrDefault(p.LeadId) < max)
            .GroupBy(p => p.MemberId).ToDictionary(g => g.Key, g => g.Count());
        var fileOf = files.ToDictionary(f => f.MemberId, f => f.Id);
        var lines = members.Select(m =>
        {
            var count = byMember.GetValueOrDefault(m.Id);
            var available = room - seenWithRoom.GetValueOrDefault(m.Id);
            return new MemberRunLine(m.Id, m.Username, m.Tier, m.LeadsPerRun, count, fileOf.TryGetValue(m.Id, out var f) ? f : null,
                Reason(count, m.LeadsPerRun, available, room));
        }).OrderBy(l => l.Username, StringComparer.Ordinal).ToList();
        log.LogInformation("Distribution run {RunId}: {Shares} shares to {Members} members", runId, run.Shares, run.MembersServed);
        return new DistributionReport(runId, run.ImportId, run.Kind, run.Status, run.Shares, run.MembersServed, members.Count, sources,
            warning, null, lines);
    }

    /// <summary>Why a member got fewer leads than its tier allows (null when it got them all).</summary>
    static string? Reason(int count, int wanted, int available, int room) =>
        count >= wanted ? null
        : room == 0 ? "No lead can be shared any more: every lead reached its share limit."
        : available <= 0 ? "Already received every lead that can still be shared."
        : count >= available ? $"Received every lead it had not had yet ({count})."
        : "Not enough leads for every member: shared in proportion to tier allocation.";

    /// <summary>
    /// Inserts the shares on the run's connection and transaction (EF change tracking is far too slow for ~1M rows):
    /// binary COPY on PostgreSQL, multi-row INSERTs on SQLite (ids are numbers only, written in the invariant culture).
    /// </summary>
    static async Task InsertSharesAsync(LeadRouterDb db, long runId, IReadOnlyList<PlannedShare> shares, Action<int> written, CancellationToken ct)
    {
        var entity = db.Model.FindEntityType(typeof(Share))!;
        var table = entity.GetTableName()!;
        if (db.Database.GetDbConnection() is NpgsqlConnection npgsql)
        {
            // PostgreSQL: binary COPY on the run's connection, inside its transaction (a duplicate pair fails the COPY,
            // and with it the run). Several times faster than multi-row INSERTs for ~1M rows.
            await using var copy = await npgsql.BeginBinaryImportAsync(
                $"COPY \"{table}\" (\"MemberId\", \"LeadId\", \"RunId\") FROM STDIN (FORMAT BINARY)", ct);
            var n = 0;
            foreach (var share in shares)
            {
                if (++n % 20_000 == 0) written(n);
                await copy.StartRowAsync(ct);
                await copy.WriteAsync(share.MemberId, NpgsqlDbType.Bigint, ct);
                await copy.WriteAsync(share.LeadId, NpgsqlDbType.Bigint, ct);
                await copy.WriteAsync(runId, NpgsqlDbType.Bigint, ct);
            }

            await copy.CompleteAsync(ct);
            written(n);
            return;
        }

        var sql = new StringBuilder(InsertBatch * 24);
        var run = runId.ToString(CultureInfo.InvariantCulture);
        for (var start = 0; start < shares.Count; start += InsertBatch)
        {
            sql.Clear().Append("INSERT INTO \"").Append(table).Append("\" (\"MemberId\", \"LeadId\", \"RunId\") VALUES ");
            var end = Math.Min(start + InsertBatch, shares.Count);
            for (var i = start; i < end; i++)
            {
                if (i > start) sql.Append(',');
                sql.Append('(').Append(shares[i].MemberId.ToString(CultureInfo.InvariantCulture)).Append(',')
                    .Append(shares[i].LeadId.ToString(CultureInfo.InvariantCulture)).Append(',').Append(run).Append(')');
            }

            await db.Database.ExecuteSqlRawAsync(sql.ToString(), ct);
            written(end);
        }
    }
}
