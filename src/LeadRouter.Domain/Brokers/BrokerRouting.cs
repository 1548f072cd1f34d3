using System.Globalization;
using System.Runtime.InteropServices;

namespace LeadRouter.Domain.Brokers;

/// <summary>
/// Which broker gets a lead (DESIGN rule 3, seed 003's "smart broker selection" without its <c>Math.random()</c>).
/// Pure: the same brokers, counts, group states, leads and <c>now</c> give the same decisions.
/// <list type="number">
/// <item>Eligible: active, accepts the lead's country, accepts its amount, weight &gt; 0 for the country, at no cap.</item>
/// <item>The highest priority level with an eligible broker wins; eligible brokers below it are excluded as lower priority.</item>
/// <item>Within it, the rotation group (priority, country) picks one by weight (<see cref="TrafficRotation"/>); brokers of
/// the group that are excluded sit out with their state kept while the others rotate.</item>
/// </list>
/// A group's stored state that names a broker no longer in the group (deleted, or moved to another priority)
/// restarts from zero, so the currents of the group's brokers always sum to zero, which the bound relies on.
/// </summary>
public static class BrokerRouting
{
    /// <summary>
    /// Routes one lead. The edge loads, in the routing transaction, the brokers, their counts in the current cap
    /// windows (<see cref="CapWindows.At(string, DateTimeOffset)"/>) and the group states for the lead's country,
    /// then stores the <see cref="Routed.NewState"/> of <see cref="Routed.GroupKey"/> and the assignment.
    /// </summary>
    /// <param name="lead">The lead.</param>
    /// <param name="brokers">All brokers (ids unique).</param>
    /// <param name="counts">Leads already routed to each broker in its current windows; a missing broker has none.</param>
    /// <param name="groups">Stored rotation states; a missing group starts empty.</param>
    /// <param name="now">The routing instant (UTC); only used to say when capped brokers reopen.</param>
    public static RoutingDecision Route(
        LeadFacts lead, IReadOnlyList<BrokerState> brokers, IReadOnlyDictionary<long, CapCounts> counts,
        IReadOnlyDictionary<RoutingGroupKey, RoutingGroupState> groups, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(lead);
        return new Router(brokers, counts, groups, now).Route(lead);
    }

    /// <summary>
    /// Routes many leads in one transaction, in the given order (oldest first is the caller's choice), as if each
    /// were routed alone with the counts and states the previous leads left: caps hold within the batch and the
    /// rotation carries on. All leads share <paramref name="now"/>, so the same cap windows. Cost per lead is
    /// linear in the number of brokers; the cap windows are worked out once per capped broker.
    /// </summary>
    /// <param name="leads">The leads, in routing order.</param>
    /// <param name="brokers">All brokers (ids unique).</param>
    /// <param name="counts">Leads already routed to each broker in its current windows; a missing broker has none.</param>
    /// <param name="groups">Stored rotation states of the groups the leads may use; a missing group starts empty.</param>
    /// <param name="now">The routing instant (UTC).</param>
    public static BatchRouting RouteBatch(
        IReadOnlyList<LeadFacts> leads, IReadOnlyList<BrokerState> brokers, IReadOnlyDictionary<long, CapCounts> counts,
        IReadOnlyDictionary<RoutingGroupKey, RoutingGroupState> groups, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(leads);
        var router = new Router(brokers, counts, groups, now);
        var decisions = new RoutingDecision[leads.Count];
        for (var i = 0; i < leads.Count; i++) decisions[i] = router.Route(leads[i]);
        return router.Finish(decisions);
    }

    // The working copy of the inputs; Route advances counts and group states as a transaction would.
    sealed class Router
    {
        readonly BrokerState[] brokers;
        readonly HashSet<string>?[] countries;          // null = every country
        readonly CapCounts[] counts;
        readonly CapWindows?[] windows;                 // worked out when a broker is first found capped
        readonly IReadOnlyDictionary<long, CapCounts> inputCounts;
        readonly IReadOnlyDictionary<RoutingGroupKey, RoutingGroupState> inputGroups;
        readonly Dictionary<RoutingGroupKey, Dictionary<long, long>> groups = [];
        readonly Dictionary<long, int> priorityById = [];
        readonly Dictionary<string, TimeZoneInfo> zones = [];
        readonly DateTimeOffset now;
        // Per-lead scratch: a broker's effective weight when eligible, else -1 - (int)reason.
        readonly int[] status;
        readonly List<long> candidateIds = [];
        readonly List<int> candidateWeights = [];
        readonly List<int> candidateIndexes = [];

        public Router(
            IReadOnlyList<BrokerState> brokers, IReadOnlyDictionary<long, CapCounts> counts,
            IReadOnlyDictionary<RoutingGroupKey, RoutingGroupState> groups, DateTimeOffset now)
        {
            ArgumentNullException.ThrowIfNull(brokers);
            ArgumentNullException.ThrowIfNull(counts);
            ArgumentNullException.ThrowIfNull(groups);
            this.brokers = [.. brokers];
            inputCounts = counts;
            inputGroups = groups;
            this.now = now.ToUniversalTime();
            var n = this.brokers.Length;
            countries = new HashSet<string>?[n];
            this.counts = new CapCounts[n];
            windows = new CapWindows?[n];
            status = new int[n];
            for (var i = 0; i < n; i++)
            {
                var b = this.brokers[i] ?? throw new ArgumentException("A broker is null.", nameof(brokers));
                b.Validate();
                if (!priorityById.TryAdd(b.BrokerId, b.Priority))
                    throw new ArgumentException($"Broker id {b.BrokerId} appears twice.", nameof(brokers));
                if (b.AcceptedCountries.Count > 0)
                    countries[i] = b.AcceptedCountries.Select(RoutingGroupKey.NormalizeCountry).ToHashSet(StringComparer.Ordinal);
                this.counts[i] = counts.GetValueOrDefault(b.BrokerId);
            }
        }

        public RoutingDecision Route(LeadFacts lead)
        {
            ArgumentNullException.ThrowIfNull(lead);
            var country = RoutingGroupKey.NormalizeCountry(lead.Country);
            var top = -1;
            for (var i = 0; i < brokers.Length; i++)
            {
                status[i] = Check(i, country, lead.Amount);
                if (status[i] > 0 && brokers[i].Priority > top) top = brokers[i].Priority;
            }

            var exclusions = new List<BrokerExclusion>(brokers.Length);
            candidateIds.Clear();
            candidateWeights.Clear();
            candidateIndexes.Clear();
            for (var i = 0; i < brokers.Length; i++)
            {
                var b = brokers[i];
                if (status[i] > 0 && b.Priority == top)
                {
                    candidateIds.Add(b.BrokerId);
                    candidateWeights.Add(status[i]);
                    candidateIndexes.Add(i);
                }
                else if (status[i] > 0) exclusions.Add(new BrokerExclusion(b.BrokerId, ExclusionReason.LowerPriority));
                else
                {
                    var reason = (ExclusionReason)(-1 - status[i]);
                    exclusions.Add(new BrokerExclusion(b.BrokerId, reason, ReopensAt(i, reason)));
                }
            }

            if (top < 0) return Unroute(lead, country, exclusions);

            var key = new RoutingGroupKey(top, country);
            var state = Group(key);
            Span<long> current = candidateIds.Count <= 64 ? stackalloc long[candidateIds.Count] : new long[candidateIds.Count];
            for (var c = 0; c < candidateIds.Count; c++) current[c] = state.GetValueOrDefault(candidateIds[c]);
            var pick = TrafficRotation.Step(
                CollectionsMarshal.AsSpan(candidateIds),
                CollectionsMarshal.AsSpan(candidateWeights), current);
            for (var c = 0; c < candidateIds.Count; c++) state[candidateIds[c]] = current[c];

            var winner = candidateIndexes[pick];
            counts[winner] = counts[winner].PlusOne();
            var candidates = new RoutingCandidate[candidateIds.Count];
            for (var c = 0; c < candidates.Length; c++) candidates[c] = new RoutingCandidate(candidateIds[c], candidateWeights[c]);
            return new Routed(lead.LeadId, brokers[winner].BrokerId, top, key, Snapshot(state), candidates, exclusions);
        }

        public BatchRouting Finish(IReadOnlyList<RoutingDecision> decisions)
        {
            var finalCounts = new Dictionary<long, CapCounts>(inputCounts);
            for (var i = 0; i < brokers.Length; i++) finalCounts[brokers[i].BrokerId] = counts[i];
            var finalGroups = new Dictionary<RoutingGroupKey, RoutingGroupState>(inputGroups);
            foreach (var (key, state) in groups) finalGroups[key] = Snapshot(state);
            return new BatchRouting(decisions, finalCounts.AsReadOnly(), finalGroups.AsReadOnly(), [.. groups.Keys]);
        }

        // The broker's effective weight (> 0) when it can take the lead, else -1 - (int)reason.
        int Check(int i, string country, decimal? amount)
        {
            var b = brokers[i];
            if (!b.Active) return Excluded(ExclusionReason.Inactive);
            if (countries[i] is { } accepted && !accepted.Contains(country)) return Excluded(ExclusionReason.Country);
            if (!b.AcceptsAmount(amount)) return Excluded(ExclusionReason.Amount);
            var weight = b.WeightFor(country);
            if (weight <= 0) return Excluded(ExclusionReason.ZeroWeight);
            return CapWindows.ReachedCap(b, counts[i]) switch
            {
                CapKind.Monthly => Excluded(ExclusionReason.MonthlyCap),
                CapKind.Daily => Excluded(ExclusionReason.DailyCap),
                CapKind.Hourly => Excluded(ExclusionReason.HourlyCap),
                _ => weight,
            };
        }

        static int Excluded(ExclusionReason reason) => -1 - (int)reason;

        DateTimeOffset? ReopensAt(int i, ExclusionReason reason)
        {
            CapKind? kind = reason switch
            {
                ExclusionReason.HourlyCap => CapKind.Hourly,
                ExclusionReason.DailyCap => CapKind.Daily,
                ExclusionReason.MonthlyCap => CapKind.Monthly,
                _ => null,
            };
            if (kind is null) return null;
            windows[i] ??= CapWindows.At(Zone(brokers[i].TimeZoneId), now);
            return windows[i]!.Next(kind.Value);
        }

        TimeZoneInfo Zone(string id)
        {
            if (!zones.TryGetValue(id, out var zone)) zones[id] = zone = TimeZoneInfo.FindSystemTimeZoneById(id);
            return zone;
        }

        Dictionary<long, long> Group(RoutingGroupKey key)
        {
            if (groups.TryGetValue(key, out var state)) return state;
            state = [];
            if (inputGroups.TryGetValue(key, out var stored))
            {
                var stale = stored.CurrentWeights.Keys.Any(id => !priorityById.TryGetValue(id, out var p) || p != key.Priority);
                if (!stale)
                    foreach (var (id, value) in stored.CurrentWeights) state[id] = value;
            }

            groups[key] = state;
            return state;
        }

        static RoutingGroupState Snapshot(Dictionary<long, long> state) => new(new Dictionary<long, long>(state).AsReadOnly());

        Unrouted Unroute(LeadFacts lead, string country, List<BrokerExclusion> exclusions)
        {
            var place = country.Length > 0 ? country : "leads without a country";
            var capped = exclusions.Where(e => e.ReopensAt is not null).ToList();
            if (capped.Count > 0)
            {
                var kinds = capped.Select(e => e.Reason).Distinct().Order().Select(r => r switch
                {
                    ExclusionReason.HourlyCap => "hourly",
                    ExclusionReason.DailyCap => "daily",
                    _ => "monthly",
                });
                return new Unrouted(lead.LeadId, UnroutedCause.AllAtCap,
                    $"all brokers for {place} at {string.Join(" or ", kinds)} cap", capped.Min(e => e.ReopensAt), exclusions);
            }

            var reason = brokers.Length == 0
                ? "no brokers"
                : $"no active broker with traffic weight takes {place} leads "
                  + (lead.Amount is { } a ? $"with amount {a.ToString(CultureInfo.InvariantCulture)}" : "without an amount");
            return new Unrouted(lead.LeadId, UnroutedCause.NoMatchingBroker, reason, null, exclusions);
        }
    }
}
