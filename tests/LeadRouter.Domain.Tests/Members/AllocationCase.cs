using CsCheck;
using LeadRouter.Domain.Members;

namespace LeadRouter.Domain.Tests.Members;

/// <summary>One run's input, small enough for the reference max flow.</summary>
internal sealed record AllocationCase(MemberDemand[] Members, LeadSupply[] Leads, HashSet<(long MemberId, long LeadId)> Prior, int MaxShares)
{
    public AllocationPlan Plan() => MemberAllocation.Plan(Members, Leads, Prior, MaxShares);

    public override string ToString() =>
        $"max {MaxShares}; members [{string.Join(", ", Members.Select(m => $"{m.MemberId}:{m.Wanted}"))}]; " +
        $"leads [{string.Join(", ", Leads.Select(l => $"{l.LeadId}@{l.Order}/{l.SharesSoFar}"))}]; " +
        $"prior [{string.Join(", ", Prior.OrderBy(p => p).Select(p => $"{p.MemberId}-{p.LeadId}"))}]";
}

/// <summary>Generators for member allocation properties.</summary>
internal static class MemberGen
{
    /// <summary>
    /// Up to 7 members (wants 0–9) and 14 leads (few distinct order keys, so ties happen), a cap of 1–4
    /// shares, and each member–lead pair already shared with probability prior% (0–60).
    /// </summary>
    public static readonly Gen<AllocationCase> Cases =
        Gen.Select(Gen.Int[1, 4], Gen.Int[0, 7], Gen.Int[0, 14], Gen.Int[0, 60]).SelectMany((max, m, n, prior) =>
            Gen.Select(
                Gen.Int[0, 9].Array[m],
                Gen.Select(Gen.Long[0, 4], Gen.Int[0, max + 1]).Array[n],
                Gen.Int[0, 99].Array[m * n],
                Gen.Int[0, 1000])
            .Select((wants, leads, pairs, idBase) =>
            {
                // Member ids descend against input order, to catch any dependence on input order.
                var members = wants.Select((w, i) => new MemberDemand(idBase + 10L * (m - i), w)).ToArray();
                var supply = leads.Select((l, j) => new LeadSupply(500 + j, l.Item1, Math.Min(l.Item2, max))).ToArray();
                var priorSet = new HashSet<(long, long)>();
                for (var i = 0; i < m; i++)
                    for (var j = 0; j < n; j++)
                        if (pairs[i * n + j] < prior) priorSet.Add((members[i].MemberId, supply[j].LeadId));
                return new AllocationCase(members, supply, priorSet, max);
            }));
}
