using System.ComponentModel.DataAnnotations;
using LeadRouter.Data;
using LeadRouter.Data.Agents;
using Microsoft.EntityFrameworkCore;

namespace LeadRouter.Web.Features.Agents;

/// <summary>An agent as the API, CLI and dashboard show it.</summary>
public sealed record AgentDto(long Id, string Name, string? Email, bool Active, bool Away, int Weight, int? Capacity, DateTimeOffset CreatedAt)
{
    internal static readonly System.Linq.Expressions.Expression<Func<Agent, AgentDto>> Projection =
        a => new AgentDto(a.Id, a.Name, a.Email, a.Active, a.Away, a.Weight, a.Capacity, a.CreatedAt);
}

/// <summary>A new agent. Weight 1–100 (leads in proportion); capacity = max open leads, empty for no limit.</summary>
public sealed record NewAgent(
    [property: Required, StringLength(200, MinimumLength = 1)] string Name,
    [property: EmailAddress] string? Email = null,
    [property: Range(1, 100)] int Weight = 1,
    [property: Range(1, 1_000_000)] int? Capacity = null);

/// <summary>Changes to an agent; null leaves a field as it is. <c>ClearCapacity</c> removes the capacity limit.</summary>
public sealed record AgentChanges(
    [property: EmailAddress] string? Email = null,
    bool? Active = null,
    bool? Away = null,
    [property: Range(1, 100)] int? Weight = null,
    [property: Range(1, 1_000_000)] int? Capacity = null,
    bool ClearCapacity = false);

/// <summary>Agents: create, list, change. An agent who comes back (active and not away) starts at each pool's minimum.</summary>
public sealed class AgentDirectory(IDbContextFactory<LeadRouterDb> dbs, TimeProvider clock)
{
    /// <summary>Creates an agent.</summary>
    /// <exception cref="InputException">The name is taken or a value is out of range.</exception>
    public async Task<AgentDto> AddAsync(NewAgent request, CancellationToken ct)
    {
        Validation.Check(request);
        var name = request.Name.Trim();
        await using var db = await dbs.CreateDbContextAsync(ct);
        if (await db.Agents.AnyAsync(a => a.Name == name, ct))
            throw new InputException("name", $"An agent named '{name}' already exists.");
        var agent = new Agent
        {
            Name = name,
            Email = request.Email?.Trim().ToLowerInvariant(),
            Weight = request.Weight,
            Capacity = request.Capacity,
            CreatedAt = clock.GetUtcNow(),
        };
        db.Agents.Add(agent);
        await db.SaveChangesAsync(ct);
        return (await db.Agents.Where(a => a.Id == agent.Id).Select(AgentDto.Projection).SingleAsync(ct));
    }

    /// <summary>All agents by name.</summary>
    public async Task<IReadOnlyList<AgentDto>> ListAsync(CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        return await db.Agents.OrderBy(a => a.Name).Select(AgentDto.Projection).ToListAsync(ct);
    }

    /// <summary>The agent linked to a login (Identity user id), else null.</summary>
    public async Task<long?> AgentOfUserAsync(string? userId, CancellationToken ct)
    {
        if (userId is null) return null;
        await using var db = await dbs.CreateDbContextAsync(ct);
        return await db.Agents.Where(a => a.UserId == userId).Select(a => (long?)a.Id).FirstOrDefaultAsync(ct);
    }

    /// <summary>Finds an agent by id (digits) or exact name.</summary>
    /// <exception cref="InputException">No such agent.</exception>
    public static async Task<Agent> FindAsync(LeadRouterDb db, string idOrName, CancellationToken ct)
    {
        var key = idOrName.Trim();
        Agent? agent = long.TryParse(key, out var id)
            ? await db.Agents.SingleOrDefaultAsync(a => a.Id == id || a.Name == key, ct)
            : await db.Agents.SingleOrDefaultAsync(a => a.Name == key, ct);
        return agent ?? throw new InputException("agent", $"No agent '{key}'.");
    }

    /// <summary>Changes an agent. Coming back from away or inactive re-levels the agent in every pool (DESIGN rule 2).</summary>
    /// <exception cref="InputException">No such agent, or a value out of range.</exception>
    public async Task<AgentDto> SetAsync(string idOrName, AgentChanges changes, CancellationToken ct)
    {
        Validation.Check(changes);
        await using var db = await dbs.CreateDbContextAsync(ct);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var agent = await FindAsync(db, idOrName, ct);
        var wasAvailable = agent.Active && !agent.Away;
        if (changes.Email is not null) agent.Email = changes.Email.Trim().ToLowerInvariant();
        if (changes.Active is { } active) agent.Active = active;
        if (changes.Away is { } away) agent.Away = away;
        if (changes.Weight is { } weight) agent.Weight = weight;
        if (changes.Capacity is { } capacity) agent.Capacity = capacity;
        if (changes.ClearCapacity) agent.Capacity = null;
        await db.SaveChangesAsync(ct);
        if (!wasAvailable && agent.Active && !agent.Away)
            await PoolLevels.RelevelAsync(db, agent.Id, null, ct);
        await tx.CommitAsync(ct);
        return await db.Agents.Where(a => a.Id == agent.Id).Select(AgentDto.Projection).SingleAsync(ct);
    }
}
