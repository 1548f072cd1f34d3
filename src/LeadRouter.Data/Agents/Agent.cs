namespace LeadRouter.Data.Agents;

/// <summary>An internal sales rep (the seed's CRE). Away or inactive agents are skipped by every pool.</summary>
public sealed class Agent
{
    public long Id { get; set; }
    public required string Name { get; set; }
    public string? Email { get; set; }
    public bool Active { get; set; } = true;
    public bool Away { get; set; }
    /// <summary>Relative share of a pool's leads, 1 or more.</summary>
    public int Weight { get; set; } = 1;
    /// <summary>Maximum open leads (Pending, Contacted, Qualified), or null for no limit.</summary>
    public int? Capacity { get; set; }
    /// <summary>The login this agent signs in with, if any (Identity user id).</summary>
    public string? UserId { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}
