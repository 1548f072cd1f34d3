namespace LeadRouter.Data.Leads;

/// <summary>Where a lead is in its life (DESIGN glossary).</summary>
public enum LeadStatus
{
    /// <summary>Held back from the working pool until replenishment releases it (seed 001).</summary>
    Reserve,
    /// <summary>In the working pool, unassigned.</summary>
    New,
    /// <summary>Assigned, untouched.</summary>
    Pending,
    Contacted,
    Qualified,
    Converted,
    Lost,
}

/// <summary>
/// One prospect. <see cref="IdentityKey"/> is the global de-duplication key: <c>id:</c> + external id, else
/// <c>email:</c> + e-mail, else <c>phone:</c> + phone; one lead exists per key across all imports.
/// </summary>
public sealed class Lead
{
    public long Id { get; set; }
    public required string IdentityKey { get; set; }
    public string? ExternalId { get; set; }
    public string? Name { get; set; }
    public string? Email { get; set; }
    /// <summary>E.164 when it could be parsed, else the digits as given (then <see cref="PhoneValid"/> is false).</summary>
    public string? Phone { get; set; }
    public bool PhoneValid { get; set; }
    public string? Company { get; set; }
    public string? Address { get; set; }
    public string? City { get; set; }
    /// <summary>ISO 3166-1 alpha-2, or null when the file's value could not be mapped (kept in attributes).</summary>
    public string? Country { get; set; }
    public decimal? Amount { get; set; }
    public string? Grade { get; set; }
    public double? Score { get; set; }
    public long? SourceId { get; set; }
    public Source? Source { get; set; }
    public long ImportId { get; set; }
    public LeadStatus Status { get; set; } = LeadStatus.New;
    /// <summary>The owning agent; set at most once (DESIGN rule 1, enforced by a conditional update).</summary>
    public long? AgentId { get; set; }
    /// <summary>The broker the lead was routed to; set at most once, only while <see cref="AgentId"/> is null (DESIGN rule 1).</summary>
    public long? BrokerId { get; set; }
    /// <summary>Why the last routing attempt left the lead unrouted (e.g. "all brokers for AE at daily cap"), or null.</summary>
    public string? UnroutedReason { get; set; }
    /// <summary>Every column of the file that is not a standard field, as a JSON object of strings.</summary>
    public string? Attributes { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? AssignedAt { get; set; }
    public DateTimeOffset? StatusChangedAt { get; set; }
}
