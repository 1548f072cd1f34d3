using LeadRouter.Data;
using LeadRouter.Data.Agents;
using LeadRouter.Data.Leads;
using LeadRouter.Domain.Agents;
using Microsoft.EntityFrameworkCore;

namespace LeadRouter.Web.Features.Agents;

/// <summary>An agent's count of leads received from one source.</summary>
public sealed record AgentCount(long AgentId, string Name, long Count, bool Available);

/// <summary>
/// A source's assignment statistics (seed 000's stats, honest): total assigned and last assignment time (UTC),
/// per-agent counts for the pool's agents (also those with 0), average, min, max, spread (max − min) and the
/// agent next in line; unassigned leads waiting.
/// </summary>
public sealed record SourceStats(long SourceId, string Source, long TotalAssigned, DateTimeOffset? LastAssignedAt,
    IReadOnlyList<AgentCount> Agents, double Average, long Min, long Max, long Spread, string? Next, int Unassigned);

/// <summary>One row of the assignment history.</summary>
public sealed record AssignmentDto(long Id, long LeadId, string? LeadName, string Source, long AgentId, string Agent,
    long CountBefore, long CountAfter, AssignmentMethod Method, AssignmentTrigger Trigger, DateTimeOffset AssignedAt);

/// <summary>A page of results: items, total count, 1-based page and page size.</summary>
public sealed record Page<T>(IReadOnlyList<T> Items, int Total, int PageNumber, int PageSize)
{
    /// <summary>Number of pages (0 when empty).</summary>
    public int TotalPages => PageSize == 0 ? 0 : (Total + PageSize - 1) / PageSize;
}

/// <summary>Statistics and history of agent assignment, read from the database (never estimated).</summary>
public sealed class AssignmentStats(IDbContextFactory<LeadRouterDb> dbs)
{
    /// <summary>Statistics of every pooled source, or of one source.</summary>
    /// <exception cref="InputException">The named source does not exist.</exception>
    public async Task<IReadOnlyList<SourceStats>> GetAsync(string? source, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var key = source is null ? null : Source.KeyOf(source);
        if (key is not null && !await db.Sources.AnyAsync(s => s.Key == key, ct))
            throw new InputException("source", $"No source '{source}'.");
        var sources = await db.Sources.Where(s => key == null ? db.AgentPools.Any(p => p.SourceId == s.Id) : s.Key == key)
            .OrderBy(s => s.Name).ToListAsync(ct);
        var result = new List<SourceStats>();
        foreach (var s in sources)
        {
            var pool = await db.AgentPools.AsNoTracking().Include(p => p.Members).ThenInclude(m => m.Agent)
                .SingleOrDefaultAsync(p => p.SourceId == s.Id, ct);
            var totals = await db.Assignments.Where(a => a.SourceId == s.Id)
                .GroupBy(a => a.SourceId).Select(g => new { Count = g.LongCount(), Last = g.Max(a => a.AssignedAt) })
                .SingleOrDefaultAsync(ct);
            var unassigned = await db.Leads.CountAsync(l => l.SourceId == s.Id && l.Status == LeadStatus.New && l.AgentId == null, ct);
            var members = pool?.Members.OrderBy(m => m.Position).ToList() ?? [];
            var agents = members.Select(m => new AgentCount(m.AgentId, m.Agent!.Name, m.Received, m.Agent.Active && !m.Agent.Away)).ToList();
            string? next = null;
            if (pool is not null)
            {
                var state = new PoolState(pool.Method, members.Select(m => new PoolAgent(m.AgentId, m.Agent!.Name, m.Received,
                    m.Credit, m.Agent.Weight, m.Agent.Active && !m.Agent.Away, m.Agent.Capacity)).ToList(), pool.LastAgentId);
                var plan = FairQueue.Plan(state, [0]);
                next = plan.Assignments.Count == 1 ? agents.Single(a => a.AgentId == plan.Assignments[0].AgentId).Name : null;
            }

            var counts = agents.Select(a => a.Count).ToList();
            var min = counts.Count == 0 ? 0 : counts.Min();
            var max = counts.Count == 0 ? 0 : counts.Max();
            result.Add(new SourceStats(s.Id, s.Name, totals?.Count ?? 0, totals?.Last, agents,
                counts.Count == 0 ? 0 : Math.Round(counts.Average(), 2), min, max, max - min, next, unassigned));
        }

        return result;
    }

    /// <summary>Assignment history, newest first, filtered by source and/or agent; 1-based pages of up to 500.</summary>
    public async Task<Page<AssignmentDto>> HistoryAsync(string? source, long? agentId, int page, int pageSize, CancellationToken ct)
    {
        page = Math.Max(1, page);
        pageSize = Math.Clamp(pageSize, 1, 500);
        await using var db = await dbs.CreateDbContextAsync(ct);
        var key = source is null ? null : Source.KeyOf(source);
        var query = from a in db.Assignments
                    join s in db.Sources on a.SourceId equals s.Id
                    join g in db.Agents on a.AgentId equals g.Id
                    join l in db.Leads on a.LeadId equals l.Id
                    where (key == null || s.Key == key) && (agentId == null || a.AgentId == agentId)
                    orderby a.Id descending
                    select new AssignmentDto(a.Id, a.LeadId, l.Name, s.Name, a.AgentId, g.Name, a.CountBefore, a.CountAfter,
                        a.Method, a.Trigger, a.AssignedAt);
        var total = await query.CountAsync(ct);
        var items = await query.Skip((page - 1) * pageSize).Take(pageSize).ToListAsync(ct);
        return new Page<AssignmentDto>(items, total, page, pageSize);
    }
}
