using LeadRouter.Data.Leads;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace LeadRouter.Data.Brokers;

/// <summary>Where a delivery stands.</summary>
public enum DeliveryStatus
{
    /// <summary>Waiting for its next attempt at <see cref="Delivery.NextAttemptAt"/>.</summary>
    Pending,
    /// <summary>The endpoint answered 2xx.</summary>
    Delivered,
    /// <summary>The endpoint answered a 4xx other than 408 and 429; not retried.</summary>
    Rejected,
    /// <summary>Every retry failed.</summary>
    Dead,
}

/// <summary>What created a delivery.</summary>
public enum DeliveryTrigger
{
    /// <summary>Written in the routing transaction for a broker with auto-push and an endpoint (the outbox).</summary>
    Routing,
    /// <summary><c>POST /api/crm/brokers/push-lead</c>.</summary>
    Manual,
}

/// <summary>
/// One push of a lead to a broker endpoint (DESIGN rule 5, the outbox row). <see cref="WebhookId"/> is fixed when the
/// row is written and sent as the Standard Webhooks <c>webhook-id</c> on every attempt, so the receiver can drop repeats.
/// A dispatcher takes a due row by setting <see cref="LeaseUntil"/> and <see cref="LeaseToken"/>; its outcome is written
/// only while it still holds the lease.
/// </summary>
public sealed class Delivery
{
    public long Id { get; set; }
    /// <summary>The <c>webhook-id</c>: <c>msg_</c> + 32 hex digits, unique.</summary>
    public required string WebhookId { get; set; }
    public long LeadId { get; set; }
    public long BrokerId { get; set; }
    public DeliveryTrigger Trigger { get; set; }
    public DeliveryStatus Status { get; set; }
    /// <summary>Attempts made so far.</summary>
    public int Attempts { get; set; }
    /// <summary>When the next attempt is due (UTC); meaningful while <see cref="DeliveryStatus.Pending"/>.</summary>
    public DateTimeOffset NextAttemptAt { get; set; }
    /// <summary>Until when a dispatcher holds the row, or null.</summary>
    public DateTimeOffset? LeaseUntil { get; set; }
    /// <summary>The holder's token, or null.</summary>
    public string? LeaseToken { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    /// <summary>When it became delivered, rejected or dead.</summary>
    public DateTimeOffset? CompletedAt { get; set; }
    /// <summary>HTTP status of the last attempt, or null (no answer).</summary>
    public int? LastHttpStatus { get; set; }
    /// <summary>Error of the last attempt, or null.</summary>
    public string? LastError { get; set; }
}

/// <summary>
/// One push attempt (seed 003's <c>lead_push_logs</c>): attempt number, the delivery's status after it, HTTP status,
/// the first 2 KB of the response, duration and error. Test pushes have no delivery and <see cref="Test"/> set.
/// </summary>
public sealed class PushLog
{
    public long Id { get; set; }
    public long? DeliveryId { get; set; }
    public long BrokerId { get; set; }
    public long? LeadId { get; set; }
    public bool Test { get; set; }
    public int Attempt { get; set; }
    public DeliveryStatus Status { get; set; }
    public int? HttpStatus { get; set; }
    /// <summary>At most <see cref="MaxExcerpt"/> characters of the response body.</summary>
    public string? ResponseExcerpt { get; set; }
    public int DurationMs { get; set; }
    public string? Error { get; set; }
    public DateTimeOffset At { get; set; }

    /// <summary>The longest stored response excerpt.</summary>
    public const int MaxExcerpt = 2048;
}

sealed class DeliveryConfiguration : IEntityTypeConfiguration<Delivery>
{
    public void Configure(EntityTypeBuilder<Delivery> e)
    {
        e.HasIndex(d => d.WebhookId).IsUnique();
        e.HasIndex(d => new { d.Status, d.NextAttemptAt });
        // A lead's deliveries to one broker (postback checks, the report triggers); also serves lookups by lead alone.
        e.HasIndex(d => new { d.LeadId, d.BrokerId });
        e.Property(d => d.WebhookId).HasMaxLength(64);
        e.Property(d => d.LeaseToken).HasMaxLength(64);
        e.Property(d => d.LastError).HasMaxLength(1000);
        e.HasOne<Lead>().WithMany().HasForeignKey(d => d.LeadId);
        e.HasOne<Broker>().WithMany().HasForeignKey(d => d.BrokerId);
    }
}

sealed class PushLogConfiguration : IEntityTypeConfiguration<PushLog>
{
    public void Configure(EntityTypeBuilder<PushLog> e)
    {
        e.ToTable("LeadPushLogs");
        e.HasIndex(l => new { l.BrokerId, l.At });
        e.HasIndex(l => l.DeliveryId);
        // A lead's attempts: the lead timeline, and the report triggers recounting a routing row's attempts.
        e.HasIndex(l => new { l.LeadId, l.BrokerId });
        e.Property(l => l.ResponseExcerpt).HasMaxLength(PushLog.MaxExcerpt);
        e.Property(l => l.Error).HasMaxLength(1000);
        e.HasOne<Delivery>().WithMany().HasForeignKey(l => l.DeliveryId);
        e.HasOne<Broker>().WithMany().HasForeignKey(l => l.BrokerId);
    }
}
