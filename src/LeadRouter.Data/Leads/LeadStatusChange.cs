namespace LeadRouter.Data.Leads;

/// <summary>One change of a lead's status (Pending → Contacted → Qualified → Converted / Lost), with who and when (UTC).</summary>
public sealed class LeadStatusChange
{
    public long Id { get; set; }
    public long LeadId { get; set; }
    public LeadStatus From { get; set; }
    public LeadStatus To { get; set; }
    public DateTimeOffset ChangedAt { get; set; }
    public string? ChangedBy { get; set; }
}
