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

    /// <summary>
    /// Adds routing rows in the current transaction. On PostgreSQL they are inserted at once, in one statement, so the
    /// broker report's statement triggers update each daily rollup row once per routing run rather than once per lead
    /// (a routing run can route a whole import). On SQLite, whose triggers run per row and update in place, they are
    /// added to the context and written by the next <see cref="DbContext.SaveChangesAsync(CancellationToken)"/>.
    /// </summary>
    public async Task AddBrokerAssignmentsAsync(IReadOnlyList<BrokerAssignment> rows, CancellationToken ct)
    {
        if (!Database.IsNpgsql())
        {
            BrokerAssignments.AddRange(rows);
            return;
        }

        if (rows.Count == 0) return;
        var leads = rows.Select(r => r.LeadId).ToArray();
        var brokers = rows.Select(r => r.BrokerId).ToArray();
        var sources = rows.Select(r => r.SourceId).ToArray();
        var priorities = rows.Select(r => r.Priority).ToArray();
        var countries = rows.Select(r => r.Country).ToArray();
        var triggers = rows.Select(r => r.Trigger.ToString()).ToArray();
        var decisions = rows.Select(r => r.Decision).ToArray();
        var routedAt = rows.Select(r => r.RoutedAt.ToUniversalTime()).ToArray();
        await Database.ExecuteSqlInterpolatedAsync($"""
            INSERT INTO "BrokerAssignments" ("LeadId", "BrokerId", "SourceId", "Priority", "Country", "Trigger", "Decision", "RoutedAt")
            SELECT * FROM unnest({leads}, {brokers}, {sources}, {priorities}, {countries}, {triggers}, {decisions}, {routedAt})
            """, ct);
    }
}
