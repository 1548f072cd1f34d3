namespace LeadRouter.Data.Agents;

/// <summary>What set off an assignment run (seed 000).</summary>
public enum AssignmentTrigger { Import, PoolSaved, Manual, Background, Release }

/// <summary>
/// The audit row of one lead given to one agent: the agent's count in the pool before and after, method,
/// trigger and UTC time (seed 000's auto_assign_history). Unique per lead: a lead is assigned once.
/// </summary>
public sealed class Assignment
{
    public long Id { get; set; }
    public long LeadId { get; set; }
    public long SourceId { get; set; }
    public long AgentId { get; set; }
    public long CountBefore { get; set; }
    public long CountAfter { get; set; }
    public Domain.Agents.AssignmentMethod Method { get; set; }
    public AssignmentTrigger Trigger { get; set; }
    public DateTimeOffset AssignedAt { get; set; }
}
