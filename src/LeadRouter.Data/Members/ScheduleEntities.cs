using LeadRouter.Domain.Members;

namespace LeadRouter.Data.Members;

/// <summary>
/// A distribution schedule (seed 004): weekly on a day of the week or monthly on a day of the month (29–31 fall on the
/// last day of shorter months), at a UTC time; skipped when fewer than <see cref="MinLeadsRequired"/> leads remain.
/// </summary>
public sealed class DistributionSchedule
{
    public long Id { get; set; }
    /// <summary>Unique name, e.g. "Weekly Distribution".</summary>
    public required string Name { get; set; }
    public ScheduleFrequency Frequency { get; set; }
    /// <summary>Day of a weekly schedule, else null.</summary>
    public DayOfWeek? DayOfWeek { get; set; }
    /// <summary>Day (1–31) of a monthly schedule, else null.</summary>
    public int? DayOfMonth { get; set; }
    /// <summary>Time of day in UTC.</summary>
    public TimeOnly TimeUtc { get; set; }
    /// <summary>Leads that can still be shared needed for a run; with fewer the occurrence is skipped with the reason recorded.</summary>
    public int MinLeadsRequired { get; set; }
    public bool Enabled { get; set; } = true;
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }

    /// <summary>The occurrence rule of this schedule.</summary>
    public ScheduleRule Rule => new(Frequency, DayOfWeek, DayOfMonth, TimeUtc);
}

/// <summary>What became of one occurrence of a schedule.</summary>
public enum ScheduleExecutionStatus
{
    /// <summary>A node is running it (until <see cref="ScheduleExecution.LeaseUntil"/>).</summary>
    Running,
    Completed,
    /// <summary>Not run: <see cref="ScheduleExecution.SkipReason"/> says why (e.g. fewer leads than the minimum).</summary>
    Skipped,
    /// <summary>The last attempt failed; retried while attempts remain.</summary>
    Failed,
}

/// <summary>
/// One execution of a schedule's occurrence (seed 004's scheduled_distribution_history). Unique per (schedule,
/// occurrence time): however many nodes or triggers fire for an occurrence, one row and at most one run exist.
/// </summary>
public sealed class ScheduleExecution
{
    public long Id { get; set; }
    /// <summary>Public id of this execution (seed 004's execution_id).</summary>
    public Guid ExecutionId { get; set; }
    public long ScheduleId { get; set; }
    /// <summary>The schedule's name when it ran (kept after the schedule is deleted).</summary>
    public required string ScheduleName { get; set; }
    /// <summary>The occurrence this execution is for (UTC), e.g. Monday 09:00.</summary>
    public DateTimeOffset OccurrenceAt { get; set; }
    /// <summary>When the last attempt started (UTC).</summary>
    public DateTimeOffset ExecutedAt { get; set; }
    public DateTimeOffset? CompletedAt { get; set; }
    public ScheduleExecutionStatus Status { get; set; }
    /// <summary>Why the occurrence was skipped, else null.</summary>
    public string? SkipReason { get; set; }
    /// <summary>The last attempt's error, else null.</summary>
    public string? Error { get; set; }
    /// <summary>Attempts so far (1 or more).</summary>
    public int Attempts { get; set; }
    /// <summary>The distribution run it made, if any.</summary>
    public long? RunId { get; set; }
    /// <summary>Shares handed out (seed 004's total_leads_distributed).</summary>
    public int Shares { get; set; }
    public int MembersServed { get; set; }
    /// <summary>Ids of the imports the run drew from, oldest first, comma separated (seed 004's source_csvs).</summary>
    public string? SourceImports { get; set; }
    /// <summary>While running: until when the node holds it; afterwards another node may take it over.</summary>
    public DateTimeOffset? LeaseUntil { get; set; }
    public Guid? LeaseToken { get; set; }
}
