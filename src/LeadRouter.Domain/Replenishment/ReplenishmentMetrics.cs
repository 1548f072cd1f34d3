namespace LeadRouter.Domain.Replenishment;

/// <summary>One lead held in reserve (status <c>Reserve</c>), as a candidate for release.</summary>
/// <param name="LeadId">Lead id.</param>
/// <param name="Grade">Lead grade (A+, A, B…); compared after <see cref="Grades.Normalize"/>.</param>
/// <param name="Score">Rank within the grade, higher first; null ranks last.</param>
/// <param name="Email">E-mail, compared trimmed and case-insensitively; null or blank: none.</param>
/// <param name="Phone">Phone (E.164), compared trimmed and exactly; null or blank: none.</param>
public sealed record ReserveLead(long LeadId, string Grade, double? Score, string? Email, string? Phone);

/// <summary>
/// What replenishment knows when it decides, loaded by the edge in one snapshot (seed 001's "current metrics").
/// Counts are leads. <see cref="ReplenishmentPlanner.Plan"/> orders and de-duplicates <see cref="Reserve"/> itself.
/// </summary>
/// <param name="AvailableByGrade">Leads in the working pool (status <c>New</c>) per grade; grades missing count 0.
/// Leads without a grade may be counted under any key that is not a policy grade (e.g. <c>""</c>): they count to the total only.</param>
/// <param name="ActiveAgents">Agents active now (not away, not inactive); used by agent overload protection.</param>
/// <param name="ReleasedToday">Leads released since <see cref="ReplenishmentPolicy.DayStart"/> of now.</param>
/// <param name="LastReleaseAt">UTC instant of the last release, or null when there has been none.</param>
/// <param name="Reserve">Every reserve lead that may be released, per grade via <see cref="ReserveLead.Grade"/>, in any order.</param>
/// <param name="PoolEmails">E-mails of leads already in the working pool (a reserve lead with one of them is a duplicate).</param>
/// <param name="PoolPhones">Phones of leads already in the working pool.</param>
/// <param name="ConversionRate30Days">Per grade, converted ÷ assigned over the last 30 days (0–1); null, or a grade
/// missing: no outcome data for it.</param>
public sealed record ReplenishmentMetrics(
    IReadOnlyDictionary<string, int> AvailableByGrade,
    int ActiveAgents,
    int ReleasedToday,
    DateTimeOffset? LastReleaseAt,
    IReadOnlyList<ReserveLead> Reserve,
    IReadOnlyCollection<string> PoolEmails,
    IReadOnlyCollection<string> PoolPhones,
    IReadOnlyDictionary<string, double>? ConversionRate30Days = null)
{
    /// <summary>Leads in the working pool over all grades.</summary>
    public int AvailableTotal => AvailableByGrade.Values.Sum();
}
