using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace LeadRouter.Data.Brokers;

/// <summary>
/// The broker report's daily rollup of one routing cell: the leads routed to <see cref="BrokerId"/> on UTC day
/// <see cref="Day"/> in rotation group (<see cref="Priority"/>, <see cref="Country"/>), and what became of them (a cohort
/// by routing day: their deliveries and postbacks count here whenever they happened).
/// <para>
/// Maintained by database triggers on <c>BrokerAssignments</c>, <c>Deliveries</c> and <c>LeadEvents</c>, in the
/// transaction of the write itself, so it is never stale and matches a recount from those rows at every commit: a
/// delivery, push attempt or postback counts for a lead only while the lead has a routing row for that broker (a lead
/// failed over to another broker leaves this cell with its routing row). On PostgreSQL each trigger first locks the
/// lead's row, so writes about one lead apply one after the other and the "leads with …" counts stay exact; then it
/// writes the rollup rows in key order (day, broker, country, priority, stripe, …), so two statements touching the same
/// rollup rows queue instead of deadlocking. A transaction that writes many leads' rows to these tables keeps that order
/// across its statements by locking its leads first (id order) and writing each table in one statement (as the delivery
/// dispatcher records a batch).
/// </para>
/// </summary>
public sealed class BrokerReportDay
{
    /// <summary>The UTC day of <see cref="BrokerAssignment.RoutedAt"/>.</summary>
    public DateOnly Day { get; set; }
    public long BrokerId { get; set; }
    /// <summary>The rotation group's country (as on the routing row; empty for leads without a country).</summary>
    public string Country { get; set; } = "";
    /// <summary>The broker's priority when it took the leads.</summary>
    public int Priority { get; set; }
    /// <summary>
    /// A stripe of the cell: on PostgreSQL a lead counts in stripe <c>lead id mod 16</c>, so concurrent transactions about
    /// different leads (parallel pushes, postbacks) rarely wait for each other's lock on one rollup row; SQLite, with one
    /// writer at a time, uses stripe 0 only. A cell's figures are the sum of its stripes.
    /// </summary>
    public short Slot { get; set; }
    /// <summary>Routing rows.</summary>
    public long Routed { get; set; }
    /// <summary>Leads with at least one delivered push.</summary>
    public long DeliveredLeads { get; set; }
    /// <summary>Pushes (deliveries) that ended delivered.</summary>
    public long Delivered { get; set; }
    /// <summary>Pushes that ended rejected.</summary>
    public long Rejected { get; set; }
    /// <summary>Pushes that ended dead.</summary>
    public long Dead { get; set; }
    /// <summary>Leads with at least one <c>accepted</c> postback.</summary>
    public long AcceptedLeads { get; set; }
    /// <summary>Leads with at least one <c>rejected</c> postback.</summary>
    public long RejectedLeads { get; set; }
    /// <summary>Leads with at least one <c>duplicate</c> postback.</summary>
    public long DuplicateLeads { get; set; }
    /// <summary>Leads with at least one <c>converted</c> postback.</summary>
    public long ConvertedLeads { get; set; }
    /// <summary><c>deposit</c> postbacks (with or without an amount).</summary>
    public long Deposits { get; set; }
}

/// <summary>
/// Deposits with an amount of one routing cell and UTC routing day (see <see cref="BrokerReportDay"/>) in one currency:
/// their number and the sum of their amounts in the currency's minor units (exact). Maintained by the same triggers.
/// </summary>
public sealed class BrokerReportRevenue
{
    public DateOnly Day { get; set; }
    public long BrokerId { get; set; }
    public string Country { get; set; } = "";
    public int Priority { get; set; }
    /// <summary>ISO 4217 code, upper case.</summary>
    public required string Currency { get; set; }
    /// <summary>The stripe, as <see cref="BrokerReportDay.Slot"/>.</summary>
    public short Slot { get; set; }
    public long Deposits { get; set; }
    /// <summary>The sum of <see cref="LeadEvent.AmountMinor"/>.</summary>
    public long AmountMinor { get; set; }
}

/// <summary>
/// The response-time histogram of one routing cell and UTC routing day (see <see cref="BrokerReportDay"/>): how many
/// push attempts (test pushes excluded) took exactly <see cref="DurationMs"/> milliseconds. The report merges these
/// rows per period and takes the exact nearest-rank p95 and the mean from them. Maintained by a trigger on
/// <c>LeadPushLogs</c> (and the routing triggers).
/// </summary>
public sealed class BrokerReportResponseTime
{
    public DateOnly Day { get; set; }
    public long BrokerId { get; set; }
    public string Country { get; set; } = "";
    public int Priority { get; set; }
    public int DurationMs { get; set; }
    /// <summary>The stripe, as <see cref="BrokerReportDay.Slot"/>.</summary>
    public short Slot { get; set; }
    public long Attempts { get; set; }
}

sealed class BrokerReportDayConfiguration : IEntityTypeConfiguration<BrokerReportDay>
{
    public void Configure(EntityTypeBuilder<BrokerReportDay> e)
    {
        e.HasKey(x => new { x.Day, x.BrokerId, x.Country, x.Priority, x.Slot });
        e.Property(x => x.Country).HasMaxLength(2);
        e.HasOne<Broker>().WithMany().HasForeignKey(x => x.BrokerId);
    }
}

sealed class BrokerReportRevenueConfiguration : IEntityTypeConfiguration<BrokerReportRevenue>
{
    public void Configure(EntityTypeBuilder<BrokerReportRevenue> e)
    {
        e.ToTable("BrokerReportRevenue");
        e.HasKey(x => new { x.Day, x.BrokerId, x.Country, x.Priority, x.Currency, x.Slot });
        e.Property(x => x.Country).HasMaxLength(2);
        e.Property(x => x.Currency).HasMaxLength(3);
        e.HasOne<Broker>().WithMany().HasForeignKey(x => x.BrokerId);
    }
}

sealed class BrokerReportResponseTimeConfiguration : IEntityTypeConfiguration<BrokerReportResponseTime>
{
    public void Configure(EntityTypeBuilder<BrokerReportResponseTime> e)
    {
        e.HasKey(x => new { x.Day, x.BrokerId, x.Country, x.Priority, x.DurationMs, x.Slot });
        e.Property(x => x.Country).HasMaxLength(2);
        e.HasOne<Broker>().WithMany().HasForeignKey(x => x.BrokerId);
    }
}
