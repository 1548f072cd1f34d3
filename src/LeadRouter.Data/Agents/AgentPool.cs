using LeadRouter.Data.Leads;
using LeadRouter.Domain.Agents;

namespace LeadRouter.Data.Agents;

/// <summary>
/// Per source: the agents who take its leads, in order, and the method (the seed's auto_assign_config).
/// <see cref="LastAgentId"/> is the rotation cursor, kept in the database so it survives restarts.
/// <see cref="Version"/> is bumped at the start of every assignment run: the write takes the row lock
/// (PostgreSQL) or the write lock (SQLite), so runs on one pool never interleave.
/// </summary>
public sealed class AgentPool
{
    public long Id { get; set; }
    public long SourceId { get; set; }
    public Source? Source { get; set; }
    public AssignmentMethod Method { get; set; } = AssignmentMethod.Fair;
    public bool AutoAssign { get; set; } = true;
    public long? LastAgentId { get; set; }
    public long Version { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    public List<AgentPoolMember> Members { get; set; } = [];
}

/// <summary>An agent's place in a pool: order, leads received from this pool, and fairness credit.</summary>
public sealed class AgentPoolMember
{
    public long PoolId { get; set; }
    public long AgentId { get; set; }
    public Agent? Agent { get; set; }
    public int Position { get; set; }
    /// <summary>Leads this agent received from this pool (seed 000's auto_assign_count, per source).</summary>
    public long Received { get; set; }
    /// <summary>Leads credited on joining or returning so the agent starts at the pool's minimum level.</summary>
    public long Credit { get; set; }
}
