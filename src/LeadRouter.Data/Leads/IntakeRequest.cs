using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace LeadRouter.Data.Leads;

/// <summary>
/// One intake API call made with an <c>Idempotency-Key</c>: the key (unique, prefixed with the caller), a hash of the
/// body, and the answer once there is one. A repeat with the same key gets the stored answer; while
/// <see cref="Response"/> is null the first call is still running (or died, and its reservation expires).
/// </summary>
public sealed class IntakeRequest
{
    public long Id { get; set; }
    /// <summary><c>{caller}:{Idempotency-Key}</c>.</summary>
    public required string Key { get; set; }
    /// <summary>SHA-256 of the request body, hex.</summary>
    public required string RequestHash { get; set; }
    public int? StatusCode { get; set; }
    /// <summary>The JSON answer, or null while the first call runs.</summary>
    public string? Response { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}

sealed class IntakeRequestConfiguration : IEntityTypeConfiguration<IntakeRequest>
{
    public void Configure(EntityTypeBuilder<IntakeRequest> e)
    {
        e.HasIndex(r => r.Key).IsUnique();
        e.Property(r => r.Key).HasMaxLength(450);
        e.Property(r => r.RequestHash).HasMaxLength(64);
    }
}
