using LeadRouter.Data;
using LeadRouter.Domain.Agents;
using Microsoft.EntityFrameworkCore;

namespace LeadRouter.Web.Features.Agents;

/// <summary>Applies <see cref="FairQueue.Level"/>: an agent who joins or returns starts at the pool's minimum.</summary>
static class PoolLevels
{
    /// <summary>Raises the agent's credit in every pool it belongs to (or just <paramref name="poolId"/>).</summary>
    public static async Task RelevelAsync(LeadRouterDb db, long agentId, long? poolId, CancellationToken ct)
    {
        var poolIds = await db.AgentPoolMembers.Where(m => m.AgentId == agentId && (poolId == null || m.PoolId == poolId))
            .Select(m => m.PoolId).ToListAsync(ct);
        foreach (var id in poolIds)
        {
            var members = await db.AgentPoolMembers.Include(m => m.Agent).Where(m => m.PoolId == id)
                .OrderBy(m => m.Position).ToListAsync(ct);
            var state = new PoolState(AssignmentMethod.Fair, members.Select(m => new PoolAgent(m.AgentId, m.Agent!.Name,
                m.Received, m.Credit, m.Agent.Weight, m.Agent.Active && !m.Agent.Away)).ToList(), null);
            foreach (var (agent, credit) in FairQueue.Level(state, [agentId]))
                members.Single(m => m.AgentId == agent).Credit = credit;
        }

        await db.SaveChangesAsync(ct);
    }
}
