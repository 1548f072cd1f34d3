namespace LeadRouter.Data.Members;

/// <summary>
/// A membership tier (seed 002): its name, how many leads a member of it wants per distribution run, and whether it
/// receives leads at all. Tiers are data; the defaults are Bronze 100, Silver 250, Gold 500 (eligible) and
/// Affiliate, VIP Affiliate (not eligible).
/// </summary>
public sealed class Tier
{
    public long Id { get; set; }
    /// <summary>Unique name, compared case-insensitively by the coordinators (stored as given).</summary>
    public required string Name { get; set; }
    /// <summary>Leads a member of this tier wants per run, 0 or more.</summary>
    public int LeadsPerRun { get; set; }
    /// <summary>False: members of this tier receive nothing (seed 002: Affiliate, VIP Affiliate).</summary>
    public bool Eligible { get; set; }
}

/// <summary>
/// A paying subscriber who receives shared copies of leads as CSV files (seeds 002, 004). Suspended members receive
/// nothing; <see cref="EmailOptOut"/> stops the "New Leads Available" e-mail only.
/// </summary>
public sealed class Member
{
    public long Id { get; set; }
    /// <summary>Unique user name; part of the member's file names.</summary>
    public required string Username { get; set; }
    public required string Email { get; set; }
    public long TierId { get; set; }
    public Tier? Tier { get; set; }
    public bool Suspended { get; set; }
    public bool EmailOptOut { get; set; }
    /// <summary>The linked login (ASP.NET Core Identity user id, role Member), if any.</summary>
    public string? UserId { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}

/// <summary>How a distribution run was started.</summary>
public enum DistributionRunKind
{
    /// <summary>One import's leads, started by an admin (seed 002's "Distribute" button).</summary>
    Manual,
    /// <summary>All active member imports, oldest first (seed 004), by a schedule or <c>distribute --scheduled</c>.</summary>
    Scheduled,
}

/// <summary>Where a distribution run is: queued → processing → completed, or failed with the error stored.</summary>
public enum DistributionRunStatus
{
    Queued,
    Processing,
    Completed,
    Failed,
}

/// <summary>
/// One allocation of leads to members. A manual run belongs to one import (at most one manual run per import); a
/// scheduled run has no import. A run in <see cref="DistributionRunStatus.Processing"/> whose
/// <see cref="LeaseUntil"/> has passed is taken over by the next attempt.
/// </summary>
public sealed class DistributionRun
{
    public long Id { get; set; }
    /// <summary>The import of a manual run; null for a scheduled run.</summary>
    public long? ImportId { get; set; }
    public DistributionRunKind Kind { get; set; }
    public DistributionRunStatus Status { get; set; }
    /// <summary>Why the run failed (status failed), else null.</summary>
    public string? Error { get; set; }
    /// <summary>A note on a completed run, e.g. "no eligible members" (seed 002: the run completes with a warning).</summary>
    public string? Warning { get; set; }
    /// <summary>While processing: until when the worker holds the run (UTC); afterwards another attempt may take it over.</summary>
    public DateTimeOffset? LeaseUntil { get; set; }
    /// <summary>Identifies the attempt that holds the lease; a worker whose token was replaced stops and rolls back.</summary>
    public Guid? LeaseToken { get; set; }
    /// <summary>Shares handed out by the run.</summary>
    public int Shares { get; set; }
    /// <summary>Members who received at least one lead.</summary>
    public int MembersServed { get; set; }
    /// <summary>Eligible members when the run was planned.</summary>
    public int EligibleMembers { get; set; }
    /// <summary>Ids of the imports whose leads were handed out, comma separated, oldest first (seed 004's source CSVs).</summary>
    public string? SourceImports { get; set; }
    /// <summary>Who started the run (user name, or the schedule).</summary>
    public string? RequestedBy { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? StartedAt { get; set; }
    public DateTimeOffset? CompletedAt { get; set; }
}

/// <summary>
/// One lead given to one member (DESIGN glossary). Unique per (member, lead): a member never gets the same lead twice,
/// ever (DESIGN rule 1, seed 002).
/// </summary>
public sealed class Share
{
    public long Id { get; set; }
    public long MemberId { get; set; }
    public long LeadId { get; set; }
    public long RunId { get; set; }
}

/// <summary>
/// The CSV a member downloads for one run (seed 002): <c>leads_{username}_{runId}.csv</c>, columns Name,Email,Address.
/// The rows are the run's shares of the member, written once as <see cref="MemberFileCsv"/> on the first download or
/// export; the tier is the one the member had when the run handed out the leads. One file per member per run.
/// </summary>
public sealed class MemberFile
{
    public long Id { get; set; }
    public long MemberId { get; set; }
    public long RunId { get; set; }
    public required string Name { get; set; }
    public int LeadCount { get; set; }
    public required string TierName { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public int DownloadCount { get; set; }
    public DateTimeOffset? LastDownloadAt { get; set; }
}

/// <summary>
/// The bytes of a member file (UTF-8 CSV), written once when the file is first downloaded or exported and served
/// unchanged from then on. One row per file at most (the key is the file's id); a file without a row is rendered from
/// its run's shares.
/// </summary>
public sealed class MemberFileCsv
{
    /// <summary>The file's id (primary key, and a foreign key to <see cref="MemberFile"/>).</summary>
    public long FileId { get; set; }
    /// <summary>The file as served: UTF-8 without BOM, CRLF line ends.</summary>
    public required byte[] Content { get; set; }
}

/// <summary>A member import's state (seed 004's csv_status): active while some lead can still be shared.</summary>
public enum MemberImportStatus
{
    Active,
    /// <summary>Every lead of the import reached MaxSharesPerLead.</summary>
    Exhausted,
}

/// <summary>
/// The members-side state of an import of purpose Members (seed 004): active or exhausted, and when it became
/// exhausted. An import without a row is active.
/// </summary>
public sealed class MemberImport
{
    /// <summary>The import's id (primary key).</summary>
    public long ImportId { get; set; }
    public MemberImportStatus Status { get; set; }
    public DateTimeOffset? ExhaustedAt { get; set; }
}

/// <summary>
/// A single row that every distribution run updates first inside its transaction: a row lock on PostgreSQL, the write
/// lock on SQLite. Runs therefore never interleave, so the per-lead cap checked inside the transaction holds
/// (DESIGN rule 1).
/// </summary>
public sealed class DistributionLock
{
    public int Id { get; set; }
    public long Version { get; set; }
}
