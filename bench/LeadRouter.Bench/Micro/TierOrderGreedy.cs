using LeadRouter.Domain.Members;

namespace LeadRouter.Bench.Micro;

/// <summary>
/// The seeds' allocation, as a speed baseline: members in tier order (largest want first, then id), each takes the
/// oldest leads it never had while they have room, up to its want. Not optimal (a member late in the order can be left
/// short while an earlier one took leads only the later one could use); written for speed, one array pass per member.
/// </summary>
static class TierOrderGreedy
{
    public static Dictionary<long, int> Plan(IReadOnlyList<MemberDemand> members, IReadOnlyList<LeadSupply> leads,
        IReadOnlySet<(long MemberId, long LeadId)> prior, int maxSharesPerLead)
    {
        var oldestFirst = leads.OrderBy(l => l.Order).ThenBy(l => l.LeadId).ToArray();
        var room = oldestFirst.Select(l => Math.Max(0, maxSharesPerLead - l.SharesSoFar)).ToArray();
        var firstWithRoom = 0;
        var result = new Dictionary<long, int>(members.Count);
        foreach (var member in members.OrderByDescending(m => m.Wanted).ThenBy(m => m.MemberId))
        {
            while (firstWithRoom < room.Length && room[firstWithRoom] == 0) firstWithRoom++;
            var got = 0;
            for (var j = firstWithRoom; j < oldestFirst.Length && got < member.Wanted; j++)
            {
                if (room[j] == 0 || prior.Contains((member.MemberId, oldestFirst[j].LeadId))) continue;
                room[j]--;
                got++;
            }

            result[member.MemberId] = got;
        }

        return result;
    }
}
