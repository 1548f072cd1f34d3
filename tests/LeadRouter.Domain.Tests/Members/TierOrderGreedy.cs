using LeadRouter.Domain.Members;

namespace LeadRouter.Domain.Tests.Members;

/// <summary>
/// The seeds' way, kept as a baseline: members in tier order (largest want first), each takes the oldest
/// leads it never had while they have room, up to its want. Not optimal: see the tests.
/// </summary>
internal static class TierOrderGreedy
{
    public static Dictionary<long, int> Plan(AllocationCase c)
    {
        var room = c.Leads.ToDictionary(l => l.LeadId, l => Math.Max(0, c.MaxShares - l.SharesSoFar));
        var oldestFirst = c.Leads.OrderBy(l => l.Order).ThenBy(l => l.LeadId).ToList();
        var result = new Dictionary<long, int>();
        foreach (var member in c.Members.OrderByDescending(m => m.Wanted).ThenBy(m => m.MemberId))
        {
            var got = 0;
            foreach (var lead in oldestFirst)
            {
                if (got == member.Wanted) break;
                if (room[lead.LeadId] == 0 || c.Prior.Contains((member.MemberId, lead.LeadId))) continue;
                room[lead.LeadId]--;
                got++;
            }

            result[member.MemberId] = got;
        }

        return result;
    }
}
