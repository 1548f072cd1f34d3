using LeadRouter.Data;
using LeadRouter.Data.Agents;
using LeadRouter.Data.Leads;
using LeadRouter.Domain.Agents;
using LeadRouter.Web.Features.Leads;
using Microsoft.EntityFrameworkCore;

namespace LeadRouter.Web.Features.Agents;

/// <summary>One agent of a pool: position, and the leads it received from this pool's source.</summary>
public sealed record PoolAgentDto(long AgentId, string Name, int Position, long Received, bool Available);

/// <summary>A source's pool (the seed's auto-assign config) with the source's unassigned lead count.</summary>
public sealed record PoolDto(long SourceId, string Source, AssignmentMethod Method, bool AutoAssign,
    IReadOnlyList<PoolAgentDto> Agents, int Unassigned, DateTimeOffset UpdatedAt);

/// <summary>Saving a pool: the pool as saved, and the assignment run it set off at once.</summary>
public sealed record PoolSaved(PoolDto Pool, AssignmentRun? Run);

/// <summary>Agent pools per source: save (then assign at once), list, delete (seed 000's config routes).</summary>
public sealed class AgentPools(IDbContextFactory<LeadRouterDb> dbs, TimeProvider clock, LeadAssigner assigner)
{
    /// <summary>
    /// Saves the pool of <paramref name="source"/> (created if new) with the agents in the given order
    /// (ids or names), then assigns the source's unassigned leads (trigger <see cref="AssignmentTrigger.PoolSaved"/>).
    /// Agents new to the pool start at its minimum level; agents left out are removed from it.
    /// </summary>
    /// <exception cref="InputException">Empty source, no agents, an unknown or repeated agent.</exception>
    public async Task<PoolSaved> SaveAsync(string source, IReadOnlyList<string> agents, AssignmentMethod method, bool autoAssign, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(source)) throw new InputException("source", "A source is required.");
        var names = agents.Select(a => a.Trim()).Where(a => a.Length > 0).ToList();
        if (names.Count == 0) throw new InputException("agents", "A pool needs at least one agent.");
        long sourceId;
        await using (var db = await dbs.CreateDbContextAsync(ct))
        {
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            var resolved = new List<Agent>();
            var missing = new List<string>();
            foreach (var name in names)
            {
                try { resolved.Add(await AgentDirectory.FindAsync(db, name, ct)); }
                catch (InputException) { missing.Add(name); }
            }

            if (missing.Count > 0) throw new InputException("agents", $"Unknown agent(s): {string.Join(", ", missing)}.");
            if (resolved.GroupBy(a => a.Id).FirstOrDefault(g => g.Count() > 1) is { } twice)
                throw new InputException("agents", $"Agent '{twice.First().Name}' is listed twice.");

            var src = await Sources.GetOrCreateAsync(db, source, clock.GetUtcNow(), ct);
            sourceId = src.Id;
            var pool = await db.AgentPools.Include(p => p.Members).SingleOrDefaultAsync(p => p.SourceId == src.Id, ct);
            if (pool is null)
            {
                pool = new AgentPool { SourceId = src.Id };
                db.AgentPools.Add(pool);
            }

            pool.Method = method;
            pool.AutoAssign = autoAssign;
            pool.UpdatedAt = clock.GetUtcNow();
            pool.Version++;
            var keep = resolved.Select(a => a.Id).ToHashSet();
            db.AgentPoolMembers.RemoveRange(pool.Members.Where(m => !keep.Contains(m.AgentId)));
            var joining = new List<long>();
            for (var i = 0; i < resolved.Count; i++)
            {
                var member = pool.Members.FirstOrDefault(m => m.AgentId == resolved[i].Id);
                if (member is null)
                {
                    pool.Members.Add(member = new AgentPoolMember { AgentId = resolved[i].Id });
                    joining.Add(resolved[i].Id);
                }

                member.Position = i;
            }

            await db.SaveChangesAsync(ct);
            foreach (var agentId in joining) await PoolLevels.RelevelAsync(db, agentId, pool.Id, ct);
            await tx.CommitAsync(ct);
        }

        var run = await assigner.AssignSourceAsync(sourceId, AssignmentTrigger.PoolSaved, ct);
        return new PoolSaved((await ListAsync(source, ct)).Single(), run);
    }

    /// <summary>All pools, or the pool of one source (empty when it has none).</summary>
    public async Task<IReadOnlyList<PoolDto>> ListAsync(string? source, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var key = source is null ? null : Source.KeyOf(source);
        var pools = await db.AgentPools.AsNoTracking().Include(p => p.Source).Include(p => p.Members).ThenInclude(m => m.Agent)
            .Where(p => key == null || p.Source!.Key == key).OrderBy(p => p.Source!.Name).ToListAsync(ct);
        var ids = pools.Select(p => p.SourceId).ToList();
        var waiting = await db.Leads.Where(l => l.SourceId != null && ids.Contains(l.SourceId.Value) && l.Status == LeadStatus.New && l.AgentId == null)
            .GroupBy(l => l.SourceId!.Value).Select(g => new { g.Key, Count = g.Count() }).ToDictionaryAsync(x => x.Key, x => x.Count, ct);
        return pools.Select(p => new PoolDto(p.SourceId, p.Source!.Name, p.Method, p.AutoAssign,
            p.Members.OrderBy(m => m.Position).Select(m => new PoolAgentDto(m.AgentId, m.Agent!.Name, m.Position, m.Received,
                m.Agent.Active && !m.Agent.Away)).ToList(),
            waiting.GetValueOrDefault(p.SourceId), p.UpdatedAt)).ToList();
    }

    /// <summary>Deletes a source's pool; its leads stay as they are. False when the source had no pool.</summary>
    public async Task<bool> DeleteAsync(string source, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var key = Source.KeyOf(source);
        var pool = await db.AgentPools.Include(p => p.Members).SingleOrDefaultAsync(p => p.Source!.Key == key, ct);
        if (pool is null) return false;
        db.AgentPools.Remove(pool);
        await db.SaveChangesAsync(ct);
        return true;
    }
}
