using LeadRouter.Data;
using LeadRouter.Data.Members;
using LeadRouter.Domain.Members;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace LeadRouter.Web.Features.Members;

/// <summary>
/// Executes one occurrence of a schedule exactly once (seed 004, DESIGN rule 1), whoever triggers it: Quartz on any node,
/// the start-up catch-up of missed occurrences, or a retry. The history row is unique per (schedule, occurrence): the
/// first caller inserts it as running with a lease token; others find it and stop, unless it failed with attempts left
/// or its lease expired (a crashed node), in which case one of them takes it over by a conditional update. The
/// distribution run marks the row completed inside its own transaction, checking the token, so a run and its history
/// row commit together or not at all. Too few leads → skipped with the reason; a failure is retried up to
/// <see cref="MembersOptions.ScheduleMaxAttempts"/> times with doubling delays, then stays failed.
/// </summary>
public sealed class ScheduledDistribution(IDbContextFactory<LeadRouterDb> dbs, TimeProvider clock, RunDistribution runs,
    DistributionOverview overview, IOptions<MembersOptions> options, ILogger<ScheduledDistribution> log)
{
    /// <summary>Runs the occurrence with bounded retries; returns its history row, or null for an unknown schedule.</summary>
    public async Task<ScheduleExecutionDto?> RunOccurrenceAsync(long scheduleId, DateTimeOffset occurrenceAt, CancellationToken ct)
    {
        var o = options.Value;
        for (var attempt = 1; ; attempt++)
        {
            var row = await ExecuteOnceAsync(scheduleId, occurrenceAt, ct);
            if (row is not { Status: ScheduleExecutionStatus.Failed } || row.Attempts >= o.ScheduleMaxAttempts || attempt >= o.ScheduleMaxAttempts)
                return row;
            await Task.Delay(TimeSpan.FromSeconds(o.ScheduleRetryDelaySeconds * Math.Pow(2, attempt - 1)), clock, ct);
        }
    }

    /// <summary>
    /// One attempt at the occurrence. Returns the history row as it stands afterwards (also when another caller holds or
    /// finished it), or null when the schedule does not exist.
    /// </summary>
    public async Task<ScheduleExecutionDto?> ExecuteOnceAsync(long scheduleId, DateTimeOffset occurrenceAt, CancellationToken ct)
    {
        DistributionSchedule? schedule;
        await using (var db = await dbs.CreateDbContextAsync(ct))
            schedule = await db.DistributionSchedules.AsNoTracking().SingleOrDefaultAsync(s => s.Id == scheduleId, ct);
        if (schedule is null) return null;

        var token = Guid.NewGuid();
        if (!await ClaimAsync(schedule, occurrenceAt, token, ct)) return await RowAsync(scheduleId, occurrenceAt, ct);

        try
        {
            var remaining = await overview.RemainingLeadsAsync(ct);
            if (remaining < schedule.MinLeadsRequired)
            {
                await FinishAsync(scheduleId, occurrenceAt, token, ScheduleExecutionStatus.Skipped,
                    $"Only {remaining} leads can still be shared; the schedule needs at least {schedule.MinLeadsRequired}.", null, ct);
                log.LogInformation("Schedule {Schedule} occurrence {At:o} skipped: {Remaining} leads", schedule.Name, occurrenceAt, remaining);
                return await RowAsync(scheduleId, occurrenceAt, ct);
            }

            var report = await runs.RunScheduledAsync($"schedule:{schedule.Name}", ct, async (db, run, c) =>
            {
                var marked = await db.ScheduleExecutions
                    .Where(x => x.ScheduleId == scheduleId && x.OccurrenceAt == occurrenceAt && x.LeaseToken == token && x.Status == ScheduleExecutionStatus.Running)
                    .ExecuteUpdateAsync(s => s
                        .SetProperty(x => x.Status, ScheduleExecutionStatus.Completed)
                        .SetProperty(x => x.RunId, run.Id)
                        .SetProperty(x => x.Shares, run.Shares)
                        .SetProperty(x => x.MembersServed, run.MembersServed)
                        .SetProperty(x => x.SourceImports, run.SourceImports)
                        .SetProperty(x => x.CompletedAt, run.CompletedAt)
                        .SetProperty(x => x.Error, (string?)null)
                        .SetProperty(x => x.LeaseUntil, (DateTimeOffset?)null), c);
                if (marked == 0) throw new InvalidOperationException("Another node took over this schedule occurrence; the run was rolled back.");
            });
            if (report.Status != DistributionRunStatus.Completed)
                await FinishAsync(scheduleId, occurrenceAt, token, ScheduleExecutionStatus.Failed, null, report.Error ?? "The run failed.", ct);
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            log.LogError(e, "Schedule {Schedule} occurrence {At:o} failed", schedule.Name, occurrenceAt);
            await FinishAsync(scheduleId, occurrenceAt, token, ScheduleExecutionStatus.Failed, null, e.GetBaseException().Message, CancellationToken.None);
        }

        return await RowAsync(scheduleId, occurrenceAt, ct);
    }

    /// <summary>
    /// Runs, once each, the latest occurrence at or before now of every enabled schedule that has no history row yet (a
    /// node was down), and occurrences that failed with attempts left. Occurrences before the schedule existed are not
    /// run. Returns the rows touched.
    /// </summary>
    public async Task<IReadOnlyList<ScheduleExecutionDto>> CatchUpAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        List<DistributionSchedule> schedules;
        await using (var db = await dbs.CreateDbContextAsync(ct))
            schedules = await db.DistributionSchedules.AsNoTracking().Where(s => s.Enabled).OrderBy(s => s.Id).ToListAsync(ct);
        var done = new List<ScheduleExecutionDto>();
        foreach (var s in schedules.Where(s => ScheduleTimes.Validate(s.Rule) is null))
        {
            var last = ScheduleTimes.Previous(s.Rule, now);
            if (last < s.CreatedAt) continue;
            var row = await RowAsync(s.Id, last, ct);
            var due = row is null
                || (row.Status == ScheduleExecutionStatus.Failed && row.Attempts < options.Value.ScheduleMaxAttempts);
            if (due && await RunOccurrenceAsync(s.Id, last, ct) is { } result) done.Add(result);
        }

        return done;
    }

    async Task<bool> ClaimAsync(DistributionSchedule schedule, DateTimeOffset occurrenceAt, Guid token, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var lease = now.AddSeconds(options.Value.LeaseSeconds);
        await using var db = await dbs.CreateDbContextAsync(ct);
        db.ScheduleExecutions.Add(new ScheduleExecution
        {
            ExecutionId = Guid.NewGuid(),
            ScheduleId = schedule.Id,
            ScheduleName = schedule.Name,
            OccurrenceAt = occurrenceAt,
            ExecutedAt = now,
            Status = ScheduleExecutionStatus.Running,
            Attempts = 1,
            LeaseToken = token,
            LeaseUntil = lease,
        });
        try
        {
            await db.SaveChangesAsync(ct);
            return true;
        }
        catch (DbUpdateException)
        {
            // The occurrence already has its row (unique per schedule and occurrence): take it over only when it failed with
            // attempts left, or its holder's lease expired.
            db.ChangeTracker.Clear();
            var max = options.Value.ScheduleMaxAttempts;
            return await db.ScheduleExecutions
                .Where(x => x.ScheduleId == schedule.Id && x.OccurrenceAt == occurrenceAt
                    && ((x.Status == ScheduleExecutionStatus.Failed && x.Attempts < max)
                        || (x.Status == ScheduleExecutionStatus.Running && x.LeaseUntil < now)))
                .ExecuteUpdateAsync(s => s
                    .SetProperty(x => x.Status, ScheduleExecutionStatus.Running)
                    .SetProperty(x => x.Attempts, x => x.Attempts + 1)
                    .SetProperty(x => x.LeaseToken, token)
                    .SetProperty(x => x.LeaseUntil, lease)
                    .SetProperty(x => x.ExecutedAt, now), ct) == 1;
        }
    }

    async Task FinishAsync(long scheduleId, DateTimeOffset occurrenceAt, Guid token, ScheduleExecutionStatus status, string? skipReason,
        string? error, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        if (error is { Length: > 4000 }) error = error[..4000];
        await using var db = await dbs.CreateDbContextAsync(ct);
        await db.ScheduleExecutions
            .Where(x => x.ScheduleId == scheduleId && x.OccurrenceAt == occurrenceAt && x.LeaseToken == token && x.Status == ScheduleExecutionStatus.Running)
            .ExecuteUpdateAsync(s => s
                .SetProperty(x => x.Status, status)
                .SetProperty(x => x.SkipReason, skipReason)
                .SetProperty(x => x.Error, error)
                .SetProperty(x => x.CompletedAt, now)
                .SetProperty(x => x.LeaseUntil, (DateTimeOffset?)null), ct);
    }

    async Task<ScheduleExecutionDto?> RowAsync(long scheduleId, DateTimeOffset occurrenceAt, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var row = await db.ScheduleExecutions.AsNoTracking().SingleOrDefaultAsync(x => x.ScheduleId == scheduleId && x.OccurrenceAt == occurrenceAt, ct);
        return row is null ? null : ScheduleExecutionDto.Of(row);
    }
}
