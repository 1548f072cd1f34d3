namespace LeadRouter.Data.Leads;

/// <summary>What an import's leads are for.</summary>
public enum ImportPurpose
{
    /// <summary>Working pool: assigned to agents (or routed) on intake.</summary>
    Agents,
    /// <summary>Held back in reserve (seed 001).</summary>
    Reserve,
    /// <summary>Shared with members by distribution runs (seeds 002, 004).</summary>
    Members,
}

/// <summary>
/// One uploaded file or API batch and its report: rows (blank lines not counted), accepted, duplicates,
/// rejected, warnings, and the errors as JSON (<c>[{row, column, message}]</c>, the header is row 1).
/// Only imports that stored something are recorded; a rejected file leaves no row.
/// </summary>
public sealed class Import
{
    public long Id { get; set; }
    public required string FileName { get; set; }
    public ImportPurpose Purpose { get; set; }
    public string? ImportedBy { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public int Rows { get; set; }
    public int Accepted { get; set; }
    public int Duplicates { get; set; }
    public int Rejected { get; set; }
    public int Warnings { get; set; }
    public string? Errors { get; set; }
    /// <summary>
    /// Set on the import that collects the leads of the intake API (<c>POST /api/v1/leads</c>) for one UTC day and one
    /// user: <c>api:{yyyy-MM-dd}:{user}</c>, unique; null for file imports.
    /// </summary>
    public string? IntakeKey { get; set; }
}
