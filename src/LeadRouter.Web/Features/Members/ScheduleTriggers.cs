using System.Globalization;
using LeadRouter.Data;
using LeadRouter.Domain.Members;
using LeadRouter.Web.Features.Notifications;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Quartz;

namespace LeadRouter.Web.Features.Members;

/// <summary>
/// Keeps one Quartz trigger per enabled schedule, at its next occurrence (seed 004). The trigger carries the schedule id
/// and the occurrence; its key names both (<c>schedule-{id}@{occurrence}</c>), so two nodes planning the same occurrence
/// make the same trigger and the job store keeps one. A fired trigger's job runs the occurrence through
/// <see cref="ScheduledDistribution.RunOccurrenceAsync"/>, which is idempotent per (schedule, occurrence) on its own,
/// then plans the next occurrence.
/// </summary>
public sealed class ScheduleTriggers(IDbContextFactory<LeadRouterDb> dbs, TimeProvider clock, ISchedulerFactory schedulers,
    ILogger<ScheduleTriggers> log)
{
    public const string Group = "member-schedules";
    internal const string ScheduleIdKey = "scheduleId";
    internal const string OccurrenceKey = "occurrenceUtcTicks";
    internal static readonly JobKey Job = new("schedule-occurrence", Group);

    /// <summary>Makes the triggers match the schedules: one at the next occurrence of each enabled schedule, none else.</summary>
    public async Task SyncAsync(CancellationToken ct)
    {
        var scheduler = await schedulers.GetScheduler(ct);
        var now = clock.GetUtcNow();
        await using var db = await dbs.CreateDbContextAsync(ct);
        var schedules = await db.DistributionSchedules.AsNoTracking().Where(s => s.Enabled).ToListAsync(ct);
        var wanted = schedules.Where(s => ScheduleTimes.Validate(s.Rule) is null)
            .Select(s => (s.Id, At: ScheduleTimes.Next(s.Rule, now)))
            .ToDictionary(x => KeyOf(x.Id, x.At), x => x);
        var existing = await scheduler.GetTriggerKeys(GroupMatcher<TriggerKey>.GroupEquals(Group), ct);
        foreach (var key in existing.Where(k => !wanted.ContainsKey(k))) await scheduler.UnscheduleJob(key, ct);
        foreach (var (key, (id, at)) in wanted.Where(w => !existing.Contains(w.Key))) await PlanAsync(scheduler, key, id, at, ct);
    }

    /// <summary>After an occurrence ran: plans the schedule's next occurrence (none when it was deleted or disabled).</summary>
    public async Task PlanNextAsync(IScheduler scheduler, long scheduleId, DateTimeOffset occurrenceAt, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var s = await db.DistributionSchedules.AsNoTracking().SingleOrDefaultAsync(x => x.Id == scheduleId, ct);
        if (s is not { Enabled: true } || ScheduleTimes.Validate(s.Rule) is not null) return;
        var after = occurrenceAt > clock.GetUtcNow() ? occurrenceAt : clock.GetUtcNow();
        var next = ScheduleTimes.Next(s.Rule, after);
        await PlanAsync(scheduler, KeyOf(scheduleId, next), scheduleId, next, ct);
    }

    async Task PlanAsync(IScheduler scheduler, TriggerKey key, long scheduleId, DateTimeOffset at, CancellationToken ct)
    {
        if (!await scheduler.Exists(Job, ct))
        {
            try
            {
                await scheduler.AddJob(JobBuilder.Create<ScheduleOccurrenceJob>().WithIdentity(Job).StoreDurably().Build(), default, ct);
            }
            catch (ObjectAlreadyExistsException)
            {
                // Another node added it a moment ago.
            }
        }

        var trigger = TriggerBuilder.Create().WithIdentity(key).ForJob(Job)
            .UsingJobData(ScheduleIdKey, scheduleId).UsingJobData(OccurrenceKey, at.UtcTicks)
            .StartAt(at).WithSimpleSchedule(x => x.WithMisfireInstruction(SimpleTriggerMisfireInstruction.FireNow)).Build();
        try
        {
            await scheduler.ScheduleJob(trigger, default, ct);
            log.LogInformation("Schedule {ScheduleId}: next occurrence {At:o}", scheduleId, at);
        }
        catch (ObjectAlreadyExistsException)
        {
            // Same occurrence planned by another node: one trigger is enough.
        }
    }

    static TriggerKey KeyOf(long scheduleId, DateTimeOffset at) =>
        new($"schedule-{scheduleId.ToString(CultureInfo.InvariantCulture)}@{at.UtcDateTime.ToString("yyyyMMddTHHmm", CultureInfo.InvariantCulture)}", Group);
}

/// <summary>The Quartz job of a schedule's occurrence: runs it once (whichever node fires), then plans the next one.</summary>
sealed class ScheduleOccurrenceJob(ScheduledDistribution runner, ScheduleTriggers triggers, ILogger<ScheduleOccurrenceJob> log) : IJob
{
    public async ValueTask Execute(IJobExecutionContext context, CancellationToken ct)
    {
        var data = context.MergedJobDataMap;
        var scheduleId = data.GetLong(ScheduleTriggers.ScheduleIdKey);
        var at = new DateTimeOffset(data.GetLong(ScheduleTriggers.OccurrenceKey), TimeSpan.Zero);
        try
        {
            var row = await runner.RunOccurrenceAsync(scheduleId, at, ct);
            log.LogInformation("Schedule {ScheduleId} occurrence {At:o}: {Status}", scheduleId, at, row?.Status);
        }
        finally
        {
            await triggers.PlanNextAsync(context.Scheduler, scheduleId, at, CancellationToken.None);
        }
    }
}

/// <summary>
/// Starts schedules on the web host: runs missed occurrences once (<see cref="ScheduledDistribution.CatchUpAsync"/>), then
/// keeps the Quartz triggers in line with the schedules, on every change made through this node and every
/// <see cref="MembersOptions.SchedulerSyncSeconds"/> (changes made by the CLI or another node); at the same pace it marks
/// distribution runs abandoned by a stopped process as failed (<see cref="RunDistribution.FailAbandonedAsync"/>).
/// </summary>
sealed class ScheduleTriggerService(ScheduleTriggers triggers, ScheduledDistribution scheduled, ScheduleDirectory directory,
    RunDistribution runs, IOptions<MembersOptions> options, ILogger<ScheduleTriggerService> log) : BackgroundService
{
    readonly OutboxSignal changed = new();

    protected override async Task ExecuteAsync(CancellationToken ct)
    {
        directory.Changed += OnChanged;
        try
        {
            try
            {
                var caught = await scheduled.CatchUpAsync(ct);
                if (caught.Count > 0) log.LogInformation("Ran {Count} missed schedule occurrences", caught.Count);
            }
            catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                log.LogError(e, "Catching up missed schedule occurrences failed");
            }

            while (!ct.IsCancellationRequested)
            {
                try
                {
                    await triggers.SyncAsync(ct);
                }
                catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
                {
                    log.LogError(e, "Planning schedule triggers failed");
                }

                try
                {
                    await runs.FailAbandonedAsync(ct);
                }
                catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
                {
                    log.LogError(e, "Marking abandoned distribution runs failed");
                }

                await changed.WaitAsync(TimeSpan.FromSeconds(options.Value.SchedulerSyncSeconds), TimeProvider.System, ct);
            }
        }
        finally
        {
            directory.Changed -= OnChanged;
        }
    }

    Task OnChanged(CancellationToken ct)
    {
        changed.Notify();
        return Task.CompletedTask;
    }
}
