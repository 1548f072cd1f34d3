namespace LeadRouter.Data.Notifications;

/// <summary>Where an outbox message is.</summary>
public enum OutboxStatus
{
    /// <summary>Waiting to be sent (again) at <see cref="OutboxMessage.NextAttemptAt"/>.</summary>
    Pending,
    Sent,
    /// <summary>Gave up after the last allowed attempt; <see cref="OutboxMessage.LastError"/> says why.</summary>
    Failed,
}

/// <summary>
/// An e-mail written in the same transaction as the change it reports (DESIGN rule 5), sent later by the background
/// sender. <see cref="MessageId"/> is fixed when the row is written, so a resend after a crash carries the same
/// Message-Id header and the receiver can drop the duplicate.
/// </summary>
public sealed class OutboxMessage
{
    public long Id { get; set; }
    /// <summary>RFC 5322 Message-Id without angle brackets, e.g. <c>run-12.member-3@leadrouter</c>; unique.</summary>
    public required string MessageId { get; set; }
    /// <summary>What the message is, e.g. <c>member-new-leads</c>, <c>admin-run-complete</c>.</summary>
    public required string Kind { get; set; }
    /// <summary>Recipient address.</summary>
    public required string To { get; set; }
    public required string Subject { get; set; }
    /// <summary>Plain-text body.</summary>
    public required string Body { get; set; }
    /// <summary>The distribution run it reports, if any.</summary>
    public long? RunId { get; set; }
    public OutboxStatus Status { get; set; }
    /// <summary>Send attempts so far.</summary>
    public int Attempts { get; set; }
    /// <summary>Earliest time of the next attempt (UTC).</summary>
    public DateTimeOffset NextAttemptAt { get; set; }
    /// <summary>While a sender holds the row: until when; an expired lease lets another sender claim it.</summary>
    public DateTimeOffset? LeaseUntil { get; set; }
    public Guid? LeaseToken { get; set; }
    /// <summary>The last failure (SMTP error), else null.</summary>
    public string? LastError { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? SentAt { get; set; }
}
