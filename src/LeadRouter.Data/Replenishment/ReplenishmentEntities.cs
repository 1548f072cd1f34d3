namespace LeadRouter.Data.Replenishment;

/// <summary>
/// The editable replenishment policy (seed 001's JSON, stored as given) — one row, id 1. Its <see cref="Version"/> is
/// bumped at the start of every run, which serialises runs across processes (row lock / SQLite write lock).
/// </summary>
public sealed class ReplenishmentSettings
{
    public const long SingletonId = 1;
    public long Id { get; set; } = SingletonId;
    /// <summary>The policy in seed 001's JSON format; null means the defaults.</summary>
    public string? PolicyJson { get; set; }
    public long Version { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}

/// <summary>
/// One replenishment run: the metrics it read, its reasons, per-grade targets, what it released and skipped, or why it
/// held (<see cref="BlockedBy"/>: cooldown, daily_cap, …) or failed (<see cref="Error"/>). JSON columns hold the details.
/// </summary>
public sealed class ReplenishmentRun
{
    public long Id { get; set; }
    public DateTimeOffset RanAt { get; set; }
    public required string Trigger { get; set; }
    public int Released { get; set; }
    public string? BlockedBy { get; set; }
    public string? Error { get; set; }
    public int SkippedDuplicates { get; set; }
    public string? Metrics { get; set; }
    public string? Reasons { get; set; }
    public string? Targets { get; set; }
    public string? ReleasedByGrade { get; set; }
}
