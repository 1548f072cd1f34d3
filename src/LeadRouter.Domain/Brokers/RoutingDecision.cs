namespace LeadRouter.Domain.Brokers;

/// <summary>
/// A rotation group: the brokers of one priority level taking leads from one country. Each group keeps its own
/// rotation state in the database, so per-country weights give exact per-country shares (DESIGN rule 3).
/// </summary>
/// <param name="Priority">Priority level 0–10.</param>
/// <param name="Country">Upper-case ISO 3166-1 alpha-2 of the lead, or empty for leads without a country.</param>
public sealed record RoutingGroupKey(int Priority, string Country)
{
    /// <summary>The group for a lead's country at <paramref name="priority"/>; the country is trimmed and upper-cased.</summary>
    public static RoutingGroupKey For(int priority, string? country) => new(priority, NormalizeCountry(country));

    /// <summary>Trimmed upper-case country code, or empty when there is none.</summary>
    public static string NormalizeCountry(string? country) =>
        string.IsNullOrWhiteSpace(country) ? "" : country.Trim().ToUpperInvariant();
}

/// <summary>
/// The stored rotation state of one group: each broker's current weight (smooth weighted round-robin). A broker
/// without an entry is at 0. Over the brokers of a group the currents sum to 0; a broker that sits out (capped,
/// inactive, filtered) keeps its current until it comes back.
/// </summary>
/// <param name="CurrentWeights">Current weight per broker id.</param>
public sealed record RoutingGroupState(IReadOnlyDictionary<long, long> CurrentWeights)
{
    /// <summary>A group that has routed nothing yet.</summary>
    public static RoutingGroupState Empty { get; } = new(new Dictionary<long, long>());

    /// <summary>The broker's current weight, 0 without an entry.</summary>
    public long CurrentOf(long brokerId) => CurrentWeights.GetValueOrDefault(brokerId);
}

/// <summary>Why a broker did not get a lead (every decision gives one per broker that was not a candidate).</summary>
public enum ExclusionReason
{
    /// <summary>The broker is inactive.</summary>
    Inactive,
    /// <summary>The broker does not take leads from the lead's country.</summary>
    Country,
    /// <summary>The lead's amount is outside the broker's range, or unknown while the broker has a range.</summary>
    Amount,
    /// <summary>The broker's weight (for the lead's country) is 0.</summary>
    ZeroWeight,
    /// <summary>The broker is at its hourly cap.</summary>
    HourlyCap,
    /// <summary>The broker is at its daily cap.</summary>
    DailyCap,
    /// <summary>The broker is at its monthly cap.</summary>
    MonthlyCap,
    /// <summary>The broker could take the lead, but a broker of higher priority could too.</summary>
    LowerPriority,
}

/// <summary>One broker left out of a decision, and why.</summary>
/// <param name="BrokerId">Broker id.</param>
/// <param name="Reason">The first reason found, in the order of <see cref="ExclusionReason"/> (a capped broker names its longest cap reached).</param>
/// <param name="ReopensAt">For a cap: when the broker can take leads again (UTC, see <see cref="CapWindows.NextOpening"/>); else null.</param>
public sealed record BrokerExclusion(long BrokerId, ExclusionReason Reason, DateTimeOffset? ReopensAt = null);

/// <summary>A broker that took part in the rotation for a lead.</summary>
/// <param name="BrokerId">Broker id.</param>
/// <param name="Weight">The weight it rotated with (the country override if any).</param>
public sealed record RoutingCandidate(long BrokerId, int Weight);

/// <summary>Why a lead could not be routed.</summary>
public enum UnroutedCause
{
    /// <summary>No active broker with weight takes this country and amount: waiting will not help until the rules change.</summary>
    NoMatchingBroker,
    /// <summary>Brokers take this lead but all of them are at a cap; see <see cref="Unrouted.RetryAt"/>.</summary>
    AllAtCap,
}

/// <summary>
/// The outcome of routing one lead (DESIGN rule 3, STYLE §3): the edge switches over <see cref="Routed"/> and
/// <see cref="Unrouted"/> exhaustively. Every decision lists each broker as a candidate or an exclusion.
/// </summary>
/// <param name="LeadId">The lead decided on.</param>
/// <param name="Candidates">The brokers that took part in the rotation (empty when unrouted), in broker list order.</param>
/// <param name="Exclusions">Every other broker and why it was left out, in broker list order.</param>
public abstract record RoutingDecision(long LeadId, IReadOnlyList<RoutingCandidate> Candidates, IReadOnlyList<BrokerExclusion> Exclusions);

/// <summary>The lead goes to <paramref name="BrokerId"/>; the edge stores <paramref name="NewState"/> for <paramref name="GroupKey"/> in the same transaction.</summary>
/// <param name="LeadId">The lead.</param>
/// <param name="BrokerId">The broker that gets it.</param>
/// <param name="Priority">The priority level it was routed at (the highest with a candidate).</param>
/// <param name="GroupKey">The rotation group (priority, country) whose state advanced.</param>
/// <param name="NewState">The group's state after this lead.</param>
/// <param name="Candidates">The brokers that rotated for it.</param>
/// <param name="Exclusions">The other brokers and why.</param>
public sealed record Routed(
    long LeadId, long BrokerId, int Priority, RoutingGroupKey GroupKey, RoutingGroupState NewState,
    IReadOnlyList<RoutingCandidate> Candidates, IReadOnlyList<BrokerExclusion> Exclusions)
    : RoutingDecision(LeadId, Candidates, Exclusions);

/// <summary>No broker can take the lead now; nothing changes.</summary>
/// <param name="LeadId">The lead.</param>
/// <param name="Cause">No matching broker, or all matching brokers at a cap.</param>
/// <param name="Reason">For people and the audit log, e.g. "all brokers for AE at daily cap".</param>
/// <param name="RetryAt">For <see cref="UnroutedCause.AllAtCap"/>: the earliest instant a capped broker reopens (UTC); else null.</param>
/// <param name="Exclusions">Every broker and why it was left out.</param>
public sealed record Unrouted(
    long LeadId, UnroutedCause Cause, string Reason, DateTimeOffset? RetryAt, IReadOnlyList<BrokerExclusion> Exclusions)
    : RoutingDecision(LeadId, [], Exclusions);

/// <summary>The outcome of routing a batch of leads in one transaction.</summary>
/// <param name="Decisions">One decision per lead, in the order the leads were given.</param>
/// <param name="Counts">Every broker's window counts after the batch (input counts plus the leads routed to it).</param>
/// <param name="Groups">Every group's state after the batch: the input states, advanced where leads were routed.</param>
/// <param name="ChangedGroups">The keys of the groups whose state changed (the rows to write back).</param>
public sealed record BatchRouting(
    IReadOnlyList<RoutingDecision> Decisions,
    IReadOnlyDictionary<long, CapCounts> Counts,
    IReadOnlyDictionary<RoutingGroupKey, RoutingGroupState> Groups,
    IReadOnlyCollection<RoutingGroupKey> ChangedGroups);
