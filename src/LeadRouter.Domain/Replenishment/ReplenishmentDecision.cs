namespace LeadRouter.Domain.Replenishment;

/// <summary>
/// Why a replenishment run released nothing. The order of the members is the precedence: when several apply,
/// the first is <see cref="ReplenishmentDecision.Hold.Block"/> and all of them are in the reasons. The order follows
/// the CLI/API contract's <c>blockedBy</c> order (metrics_error, business_hours, cooldown, daily_cap, sufficient),
/// see <see cref="ReplenishmentBlockCodes.BlockedBy"/>.
/// </summary>
public enum ReplenishmentBlock
{
    /// <summary><c>metrics_unavailable</c>: the metrics could not be loaded or are inconsistent.</summary>
    MetricsUnavailable,
    /// <summary><c>holiday</c>: today (policy time zone) is a holiday.</summary>
    Holiday,
    /// <summary><c>outside_business_hours</c>: now is outside the policy's business hours.</summary>
    OutsideBusinessHours,
    /// <summary><c>cooldown</c>: the last release was less than the cooldown ago.</summary>
    Cooldown,
    /// <summary><c>daily_cap</c>: today's releases reached <c>max_daily_uploads</c>.</summary>
    DailyCap,
    /// <summary><c>no_trigger</c>: the pool is at or above its minimum total and every grade minimum.</summary>
    NoTrigger,
    /// <summary><c>agent_overload</c>: available leads per active agent are at or above the policy limit.</summary>
    AgentOverload,
    /// <summary><c>reserve_empty</c>: no reserve lead can be released (none, or all duplicates).</summary>
    ReserveEmpty,
}

/// <summary>Stable snake_case codes of <see cref="ReplenishmentBlock"/> for the CLI, API and logs.</summary>
public static class ReplenishmentBlockCodes
{
    /// <summary>The code, e.g. <c>cooldown</c> or <c>daily_cap</c>.</summary>
    public static string Code(this ReplenishmentBlock block) => block switch
    {
        ReplenishmentBlock.MetricsUnavailable => "metrics_unavailable",
        ReplenishmentBlock.NoTrigger => "no_trigger",
        ReplenishmentBlock.Holiday => "holiday",
        ReplenishmentBlock.OutsideBusinessHours => "outside_business_hours",
        ReplenishmentBlock.Cooldown => "cooldown",
        ReplenishmentBlock.DailyCap => "daily_cap",
        ReplenishmentBlock.AgentOverload => "agent_overload",
        ReplenishmentBlock.ReserveEmpty => "reserve_empty",
        _ => throw new ArgumentOutOfRangeException(nameof(block), block, null),
    };

    /// <summary>
    /// The CLI/API contract's <c>blockedBy</c>: <c>metrics_error</c>, <c>business_hours</c> (outside business hours or a
    /// holiday), <c>cooldown</c>, <c>daily_cap</c>, <c>sufficient</c> (no trigger, or agent overload: the active agents
    /// already hold enough), and <c>reserve_empty</c>, which none of the others can express (the pool is short but
    /// there is nothing to release). Block precedence maps onto this order.
    /// </summary>
    public static string BlockedBy(this ReplenishmentBlock block) => block switch
    {
        ReplenishmentBlock.MetricsUnavailable => "metrics_error",
        ReplenishmentBlock.Holiday or ReplenishmentBlock.OutsideBusinessHours => "business_hours",
        ReplenishmentBlock.Cooldown => "cooldown",
        ReplenishmentBlock.DailyCap => "daily_cap",
        ReplenishmentBlock.NoTrigger or ReplenishmentBlock.AgentOverload => "sufficient",
        ReplenishmentBlock.ReserveEmpty => "reserve_empty",
        _ => throw new ArgumentOutOfRangeException(nameof(block), block, null),
    };
}

/// <summary>A reserve lead left in reserve because it duplicates a pool lead or a better-ranked reserve lead.</summary>
/// <param name="LeadId">The reserve lead skipped.</param>
/// <param name="Grade">Its grade (normalized).</param>
/// <param name="Reason">What it duplicates, e.g. <c>e-mail already in the working pool</c>.</param>
public sealed record SkippedDuplicate(long LeadId, string Grade, string Reason);

/// <summary>
/// The outcome of <see cref="ReplenishmentPlanner.Plan"/>: release these reserve leads, or hold. Closed: the edge
/// switches over <see cref="Release"/> and <see cref="Hold"/>. Every decision carries its reasons, in plain words.
/// </summary>
public abstract record ReplenishmentDecision
{
    ReplenishmentDecision()
    {
    }

    /// <summary>Move these reserve leads into the working pool (status Reserve → New) in one transaction.</summary>
    /// <param name="LeadIdsByGrade">Per grade (normalized), the lead ids to release, best score first.</param>
    /// <param name="Targets">Per grade, how many the mix asked for before short grades passed their remainder on;
    /// the targets sum to the released count.</param>
    /// <param name="Reasons">Triggers, the amount and the caps that bound it, the mix, and any grade that ran short.</param>
    /// <param name="SkippedDuplicates">Reserve leads skipped as duplicates (e-mail or phone) of pool leads or of each other.</param>
    public sealed record Release(
        IReadOnlyDictionary<string, IReadOnlyList<long>> LeadIdsByGrade,
        IReadOnlyDictionary<string, int> Targets,
        IReadOnlyList<string> Reasons,
        IReadOnlyList<SkippedDuplicate> SkippedDuplicates) : ReplenishmentDecision
    {
        /// <summary>Leads released in total.</summary>
        public int Count => LeadIdsByGrade.Values.Sum(ids => ids.Count);

        /// <summary>All lead ids, best grade first, best score first within a grade.</summary>
        public IEnumerable<long> LeadIds =>
            LeadIdsByGrade.OrderBy(g => g.Key, Grades.BestFirst).SelectMany(g => g.Value);
    }

    /// <summary>Release nothing now.</summary>
    /// <param name="Block">The blocking reason of highest precedence.</param>
    /// <param name="Reasons">The triggers (if any) and every blocking condition that applied.</param>
    /// <param name="NextAllowedAt">When the block is <see cref="ReplenishmentBlock.Cooldown"/>: the UTC instant the
    /// cooldown ends; otherwise null.</param>
    public sealed record Hold(ReplenishmentBlock Block, IReadOnlyList<string> Reasons, DateTimeOffset? NextAllowedAt = null) : ReplenishmentDecision
    {
        /// <summary>The contract's <c>blockedBy</c>, e.g. <c>cooldown</c> or <c>sufficient</c> (see <see cref="ReplenishmentBlockCodes.BlockedBy"/>).</summary>
        public string BlockedBy => Block.BlockedBy();

        /// <summary>The detailed code, e.g. <c>no_trigger</c> or <c>agent_overload</c>; reasons start with it.</summary>
        public string Code => Block.Code();
    }
}
