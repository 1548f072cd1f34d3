using System.Globalization;
using LeadRouter.Data;
using LeadRouter.Data.Members;
using LeadRouter.Domain.Members;
using Microsoft.EntityFrameworkCore;

namespace LeadRouter.Web.Features.Members;

/// <summary>A new schedule (seed 004). <paramref name="TimeUtc"/> is <c>HH:mm</c> in UTC.</summary>
public sealed record NewSchedule(string Name, ScheduleFrequency Frequency, DayOfWeek? DayOfWeek, int? DayOfMonth, string TimeUtc,
    int MinLeadsRequired = 0, bool Enabled = true);

/// <summary>Changes to a schedule; null leaves a field as it is. Switching frequency needs the matching day.</summary>
public sealed record ScheduleChanges(string? Name, ScheduleFrequency? Frequency, DayOfWeek? DayOfWeek, int? DayOfMonth, string? TimeUtc,
    int? MinLeadsRequired, bool? Enabled);

/// <summary>A schedule with its next occurrence (UTC; null when disabled). <c>TimeUtc</c> is <c>HH:mm</c>.</summary>
public sealed record ScheduleDto(long Id, string Name, ScheduleFrequency Frequency, DayOfWeek? DayOfWeek, int? DayOfMonth, string TimeUtc,
    int MinLeadsRequired, bool Enabled, DateTimeOffset? NextRunAt);

/// <summary>One execution of a schedule occurrence (seed 004's history row).</summary>
public sealed record ScheduleExecutionDto(Guid ExecutionId, long ScheduleId, string ScheduleName, DateTimeOffset OccurrenceAt,
    DateTimeOffset ExecutedAt, ScheduleExecutionStatus Status, string? SkipReason, string? Error, int Attempts, long? RunId, int Shares,
    int MembersServed, string? SourceImports)
{
    internal static ScheduleExecutionDto Of(ScheduleExecution x) => new(x.ExecutionId, x.ScheduleId, x.ScheduleName, x.OccurrenceAt,
        x.ExecutedAt, x.Status, x.SkipReason, x.Error, x.Attempts, x.RunId, x.Shares, x.MembersServed, x.SourceImports);
}

/// <summary>Create, read, change and delete distribution schedules; used by <c>/api/v1/schedules</c> and the CLI.</summary>
public sealed class ScheduleDirectory(IDbContextFactory<LeadRouterDb> dbs, TimeProvider clock)
{
    /// <summary>Raised after any change, so the scheduler can re-plan its triggers.</summary>
    public event Func<CancellationToken, Task>? Changed;

    /// <summary>All schedules by name.</summary>
    public async Task<IReadOnlyList<ScheduleDto>> ListAsync(CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var now = clock.GetUtcNow();
        return (await db.DistributionSchedules.AsNoTracking().OrderBy(s => s.Name).ToListAsync(ct)).Select(s => Dto(s, now)).ToList();
    }

    /// <summary>One schedule by id or name, or null.</summary>
    public async Task<ScheduleDto?> GetAsync(string schedule, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        return await FindAsync(db, schedule, ct) is { } s ? Dto(s, clock.GetUtcNow()) : null;
    }

    /// <summary>Adds a schedule.</summary>
    /// <exception cref="InputException">Name empty or taken, bad time, missing or invalid day, negative minimum.</exception>
    public async Task<ScheduleDto> AddAsync(NewSchedule input, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var now = clock.GetUtcNow();
        var s = new DistributionSchedule { Name = input.Name?.Trim() ?? "", CreatedAt = now, UpdatedAt = now };
        Apply(s, new ScheduleChanges(input.Name, input.Frequency, input.DayOfWeek, input.DayOfMonth, input.TimeUtc, input.MinLeadsRequired, input.Enabled));
        if (await db.DistributionSchedules.AnyAsync(x => x.Name == s.Name, ct))
            throw new InputException("name", $"A schedule named '{s.Name}' already exists.");
        db.DistributionSchedules.Add(s);
        await db.SaveChangesAsync(ct);
        await RaiseAsync(ct);
        return Dto(s, now);
    }

    /// <summary>Changes a schedule; null when there is none.</summary>
    /// <exception cref="InputException">As for <see cref="AddAsync"/>.</exception>
    public async Task<ScheduleDto?> SetAsync(string schedule, ScheduleChanges changes, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        if (await FindAsync(db, schedule, ct) is not { } s) return null;
        Apply(s, changes);
        if (await db.DistributionSchedules.AnyAsync(x => x.Name == s.Name && x.Id != s.Id, ct))
            throw new InputException("name", $"A schedule named '{s.Name}' already exists.");
        s.UpdatedAt = clock.GetUtcNow();
        db.Update(s);
        await db.SaveChangesAsync(ct);
        await RaiseAsync(ct);
        return Dto(s, clock.GetUtcNow());
    }

    /// <summary>Deletes a schedule (its history stays); false when there is none.</summary>
    public async Task<bool> DeleteAsync(string schedule, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        if (await FindAsync(db, schedule, ct) is not { } s) return false;
        await db.DistributionSchedules.Where(x => x.Id == s.Id).ExecuteDeleteAsync(ct);
        await RaiseAsync(ct);
        return true;
    }

    /// <summary>Executions, newest first; of one schedule when <paramref name="scheduleId"/> is given. At most 100.</summary>
    public async Task<IReadOnlyList<ScheduleExecutionDto>> HistoryAsync(long? scheduleId, int limit, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var q = db.ScheduleExecutions.AsNoTracking().Where(x => scheduleId == null || x.ScheduleId == scheduleId);
        return (await q.OrderByDescending(x => x.OccurrenceAt).ThenByDescending(x => x.Id).Take(Math.Clamp(limit, 1, 100)).ToListAsync(ct))
            .Select(ScheduleExecutionDto.Of).ToList();
    }

    async Task RaiseAsync(CancellationToken ct)
    {
        if (Changed is { } handler) await handler(ct);
    }

    static async Task<DistributionSchedule?> FindAsync(LeadRouterDb db, string schedule, CancellationToken ct) =>
        long.TryParse(schedule, NumberStyles.None, CultureInfo.InvariantCulture, out var id)
            ? await db.DistributionSchedules.SingleOrDefaultAsync(s => s.Id == id, ct)
            : await db.DistributionSchedules.SingleOrDefaultAsync(s => s.Name == schedule, ct);

    static void Apply(DistributionSchedule s, ScheduleChanges c)
    {
        var errors = new Dictionary<string, string[]>();
        if (c.Name is not null) s.Name = c.Name.Trim();
        if (string.IsNullOrWhiteSpace(s.Name) || s.Name.Length > 200) errors["name"] = ["A name of 1 to 200 characters is required."];
        if (c.Frequency is { } f)
        {
            s.Frequency = f;
            s.DayOfWeek = null;
            s.DayOfMonth = null;
        }

        if (c.DayOfWeek is { } dow) s.DayOfWeek = dow;
        if (c.DayOfMonth is { } dom) s.DayOfMonth = dom;
        if (s.Frequency == ScheduleFrequency.Weekly) s.DayOfMonth = null;
        else s.DayOfWeek = null;
        if (c.TimeUtc is not null)
        {
            if (TimeOnly.TryParseExact(c.TimeUtc, ["HH:mm", "H:mm", "HH:mm:ss"], CultureInfo.InvariantCulture, DateTimeStyles.None, out var t)) s.TimeUtc = t;
            else errors["timeUtc"] = ["Time must be HH:mm (UTC), e.g. 09:00."];
        }

        if (c.MinLeadsRequired is { } min) s.MinLeadsRequired = min;
        if (s.MinLeadsRequired < 0) errors["minLeadsRequired"] = ["Minimum leads must be 0 or more."];
        if (c.Enabled is { } enabled) s.Enabled = enabled;
        if (ScheduleTimes.Validate(s.Rule) is { } problem) errors[s.Frequency == ScheduleFrequency.Weekly ? "dayOfWeek" : "dayOfMonth"] = [problem];
        if (errors.Count > 0) throw new InputException(errors);
    }

    static ScheduleDto Dto(DistributionSchedule s, DateTimeOffset now) => new(s.Id, s.Name, s.Frequency, s.DayOfWeek, s.DayOfMonth,
        s.TimeUtc.ToString("HH:mm", CultureInfo.InvariantCulture), s.MinLeadsRequired, s.Enabled,
        s.Enabled && ScheduleTimes.Validate(s.Rule) is null ? ScheduleTimes.Next(s.Rule, now) : null);
}
