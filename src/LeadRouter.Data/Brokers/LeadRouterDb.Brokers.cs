using LeadRouter.Data.Brokers;
using Microsoft.EntityFrameworkCore;

namespace LeadRouter.Data;

public sealed partial class LeadRouterDb
{
    /// <summary>Brokers, including deleted ones (filter on <see cref="Broker.DeletedAt"/>).</summary>
    public DbSet<Broker> Brokers => Set<Broker>();
    /// <summary>Per-source routing settings; a source without a row routes to agents.</summary>
    public DbSet<SourceRouting> SourceRoutings => Set<SourceRouting>();
    /// <summary>The broker routing log: one row per routed lead.</summary>
    public DbSet<BrokerAssignment> BrokerAssignments => Set<BrokerAssignment>();
    /// <summary>Rotation state per (priority, country, broker).</summary>
    public DbSet<BrokerRotation> BrokerRotations => Set<BrokerRotation>();
    /// <summary>The one row that serializes routing transactions.</summary>
    public DbSet<BrokerRoutingLock> BrokerRoutingLocks => Set<BrokerRoutingLock>();
    /// <summary>The delivery outbox: one row per push of a lead to a broker.</summary>
    public DbSet<Delivery> Deliveries => Set<Delivery>();
    /// <summary>Every push attempt.</summary>
    public DbSet<PushLog> PushLogs => Set<PushLog>();
}
