using LeadRouter.Data.Leads;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace LeadRouter.Data.Brokers;

/// <summary>What a broker reports about a lead it received (a postback's <c>event</c>).</summary>
public enum PostbackEvent { Accepted, Rejected, Duplicate, Contacted, Deposit, Converted, Lost }

/// <summary>
/// One outcome a broker reported about a lead (a postback), kept with the lead. Unique by (<see cref="BrokerId"/>,
/// <see cref="EventId"/>): a repeat of the same event id changes nothing and is answered with this row.
/// <see cref="AmountMinor"/> is the amount in the currency's ISO 4217 minor units (cents, or whole yen), so it is exact.
/// </summary>
public sealed class LeadEvent
{
    public long Id { get; set; }
    public long BrokerId { get; set; }
    /// <summary>The broker's id of the event (at most 200 characters).</summary>
    public required string EventId { get; set; }
    public long LeadId { get; set; }
    public PostbackEvent Event { get; set; }
    /// <summary>The amount in minor units of <see cref="Currency"/>, or null.</summary>
    public long? AmountMinor { get; set; }
    /// <summary>ISO 4217 code, upper case, or null when no amount was given.</summary>
    public string? Currency { get; set; }
    /// <summary>When it happened, as the broker says (else when it was received), UTC.</summary>
    public DateTimeOffset OccurredAt { get; set; }
    public DateTimeOffset ReceivedAt { get; set; }
    /// <summary>The lead's status after this event was applied.</summary>
    public LeadStatus LeadStatusAfter { get; set; }
    /// <summary>How the broker authenticated: <c>token</c> or <c>signature</c>.</summary>
    public required string AuthMethod { get; set; }
}

/// <summary>
/// What became of a lead at its broker, summed up from the postbacks: first deposit (amount in minor units, currency,
/// time) and when it converted. One row per lead that has had a postback.
/// </summary>
public sealed class LeadOutcome
{
    public long LeadId { get; set; }
    public long BrokerId { get; set; }
    public long? FirstDepositMinor { get; set; }
    public string? FirstDepositCurrency { get; set; }
    public DateTimeOffset? FirstDepositAt { get; set; }
    public DateTimeOffset? ConvertedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}

sealed class LeadEventConfiguration : IEntityTypeConfiguration<LeadEvent>
{
    public void Configure(EntityTypeBuilder<LeadEvent> e)
    {
        e.HasIndex(x => new { x.BrokerId, x.EventId }).IsUnique();
        e.HasIndex(x => new { x.LeadId, x.BrokerId });
        e.Property(x => x.EventId).HasMaxLength(200);
        e.Property(x => x.Currency).HasMaxLength(3);
        e.Property(x => x.AuthMethod).HasMaxLength(16);
        e.HasOne<Lead>().WithMany().HasForeignKey(x => x.LeadId);
        e.HasOne<Broker>().WithMany().HasForeignKey(x => x.BrokerId);
    }
}

sealed class LeadOutcomeConfiguration : IEntityTypeConfiguration<LeadOutcome>
{
    public void Configure(EntityTypeBuilder<LeadOutcome> e)
    {
        e.HasKey(x => x.LeadId);
        e.Property(x => x.LeadId).ValueGeneratedNever();
        e.Property(x => x.FirstDepositCurrency).HasMaxLength(3);
        e.HasOne<Lead>().WithOne().HasForeignKey<LeadOutcome>(x => x.LeadId);
        e.HasOne<Broker>().WithMany().HasForeignKey(x => x.BrokerId);
    }
}
