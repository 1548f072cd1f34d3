namespace LeadRouter.Domain.Members;

/// <summary>
/// How long the leads that can still be shared last.
/// </summary>
/// <param name="Runs">Distribution runs until nothing more can be handed out (capped at the limit).</param>
/// <param name="Weeks">The runs in weeks at the given runs per week, one decimal (capped at the limit).</param>
/// <param name="Capped">True when the supply lasts at least the limit (<see cref="Weeks"/> is then the limit).</param>
/// <param name="SharesLeft">Shares that can still be handed out to these members over all future runs (the maximum
/// flow with no per-run limit): room on the leads that some member has not seen yet.</param>
/// <param name="Extrapolated">True when the simulation stopped at its run budget and the rest was extrapolated at the
/// last simulated run's rate.</param>
public sealed record ForecastResult(int Runs, double Weeks, bool Capped, long SharesLeft, bool Extrapolated);

/// <summary>
/// The overview's estimate of weeks remaining (seed 004), pure. It replays future runs with
/// <see cref="MemberAllocation.Plan(IReadOnlyList{MemberDemand}, IReadOnlyList{LeadSupply}, IEnumerable{ValueTuple{long, long}}, int)"/>
/// over the current members and leads, so a member who has seen every remaining lead counts for nothing and a lead
/// at its share limit counts for nothing.
/// </summary>
/// <remarks>
/// <list type="number">
/// <item>Shares left: one plan with no per-run limit (every member may take every lead it has not seen). None → 0 runs.</item>
/// <item>Lower bound: a run hands out at most Σ wants, so at least ⌈shares left / Σ wants⌉ runs; past the limit → capped
/// without simulating.</item>
/// <item>Simulate: plan a run, record its shares as seen, repeat until a run hands out nothing or nothing is left. After
/// <c>maxSimulatedRuns</c> runs the rest is extrapolated at the last run's rate (an underestimate when members
/// saturate later).</item>
/// <item>Weeks = runs / runs per week; capped at <c>maxWeeks</c>.</item>
/// </list>
/// </remarks>
public static class DistributionForecast
{
    /// <summary>Default limit: ten years.</summary>
    public const int DefaultMaxWeeks = 520;

    /// <summary>Default number of runs simulated before extrapolating.</summary>
    public const int DefaultMaxSimulatedRuns = 52;

    /// <summary>Estimates runs and weeks until nothing more can be handed out.</summary>
    /// <param name="members">Eligible members and their tier's leads per run.</param>
    /// <param name="leads">Leads of active imports with their shares so far.</param>
    /// <param name="priorShares">Every (member, lead) pair shared so far for these leads.</param>
    /// <param name="maxSharesPerLead">The share limit per lead (default 10).</param>
    /// <param name="runsPerWeek">Scheduled runs a week (1 for one weekly schedule); more than 0.</param>
    /// <param name="maxWeeks">Limit of the estimate in weeks.</param>
    /// <param name="maxSimulatedRuns">Runs simulated before extrapolating, 1 or more.</param>
    public static ForecastResult Estimate(IReadOnlyList<MemberDemand> members, IReadOnlyList<LeadSupply> leads,
        IEnumerable<(long MemberId, long LeadId)> priorShares, int maxSharesPerLead, double runsPerWeek,
        int maxWeeks = DefaultMaxWeeks, int maxSimulatedRuns = DefaultMaxSimulatedRuns)
    {
        ArgumentNullException.ThrowIfNull(members);
        ArgumentNullException.ThrowIfNull(leads);
        ArgumentNullException.ThrowIfNull(priorShares);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(runsPerWeek);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxSimulatedRuns);
        var wanting = members.Where(m => m.Wanted > 0).ToList();
        var seen = new HashSet<(long, long)>(priorShares);
        var maxRuns = (int)Math.Ceiling(maxWeeks * runsPerWeek);
        if (wanting.Count == 0 || leads.Count == 0) return new ForecastResult(0, 0, false, 0, false);

        var unlimited = wanting.Select(m => new MemberDemand(m.MemberId, leads.Count)).ToList();
        long left = MemberAllocation.Plan(unlimited, leads, seen, maxSharesPerLead).Shares.Count;
        if (left == 0) return new ForecastResult(0, 0, false, 0, false);
        long perRun = wanting.Sum(m => (long)m.Wanted);
        var sharesLeft = left;
        if ((left + perRun - 1) / perRun > maxRuns) return Result(maxRuns, true, sharesLeft, false);

        var shares = leads.ToDictionary(l => l.LeadId, l => l.SharesSoFar);
        var runs = 0;
        while (left > 0)
        {
            if (runs >= maxRuns) return Result(maxRuns, true, sharesLeft, false);
            var supply = leads.Where(l => shares[l.LeadId] < maxSharesPerLead)
                .Select(l => new LeadSupply(l.LeadId, l.Order, shares[l.LeadId])).ToList();
            var plan = MemberAllocation.Plan(wanting, supply, seen, maxSharesPerLead);
            if (plan.Shares.Count == 0) break;
            runs++;
            left -= plan.Shares.Count;
            foreach (var s in plan.Shares)
            {
                seen.Add((s.MemberId, s.LeadId));
                shares[s.LeadId]++;
            }

            if (runs >= maxSimulatedRuns && left > 0)
            {
                var more = (left + plan.Shares.Count - 1) / plan.Shares.Count;
                var total = runs + more;
                return total > maxRuns ? Result(maxRuns, true, sharesLeft, true) : Result((int)total, false, sharesLeft, true);
            }
        }

        return Result(runs, false, sharesLeft, false);

        ForecastResult Result(int r, bool capped, long shareCount, bool extrapolated) =>
            new(r, capped ? maxWeeks : Math.Round(r / runsPerWeek, 1), capped, shareCount, extrapolated);
    }
}
