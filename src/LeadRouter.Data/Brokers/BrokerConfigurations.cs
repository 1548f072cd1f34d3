using LeadRouter.Data.Leads;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace LeadRouter.Data.Brokers;

sealed class BrokerConfiguration : IEntityTypeConfiguration<Broker>
{
    public void Configure(EntityTypeBuilder<Broker> e)
    {
        e.HasIndex(b => b.Name).IsUnique().HasFilter("\"DeletedAt\" IS NULL");
        e.Property(b => b.Name).HasMaxLength(200);
        e.Property(b => b.Countries).HasMaxLength(2000);
        e.Property(b => b.Currency).HasMaxLength(3);
        e.Property(b => b.TimeZone).HasMaxLength(100);
        e.Property(b => b.EndpointUrl).HasMaxLength(2000);
        e.Property(b => b.EndpointMethod).HasMaxLength(8);
        e.Property(b => b.FieldMap).HasMaxLength(20_000);
        e.Property(b => b.MinAmount).HasPrecision(18, 4);
        e.Property(b => b.MaxAmount).HasPrecision(18, 4);
    }
}

sealed class SourceRoutingConfiguration : IEntityTypeConfiguration<SourceRouting>
{
    public void Configure(EntityTypeBuilder<SourceRouting> e)
    {
        e.HasKey(s => s.SourceId);
        e.HasOne<Source>().WithOne().HasForeignKey<SourceRouting>(s => s.SourceId).OnDelete(DeleteBehavior.Cascade);
    }
}

sealed class BrokerAssignmentConfiguration : IEntityTypeConfiguration<BrokerAssignment>
{
    public void Configure(EntityTypeBuilder<BrokerAssignment> e)
    {
        // DESIGN rule 1: one owner per lead, enforced by the database.
        e.HasIndex(a => a.LeadId).IsUnique();
        e.HasIndex(a => new { a.BrokerId, a.RoutedAt });
        e.Property(a => a.Country).HasMaxLength(2);
        e.HasOne<Lead>().WithMany().HasForeignKey(a => a.LeadId);
        e.HasOne<Broker>().WithMany().HasForeignKey(a => a.BrokerId);
        e.HasOne<Source>().WithMany().HasForeignKey(a => a.SourceId);
    }
}

sealed class BrokerRotationConfiguration : IEntityTypeConfiguration<BrokerRotation>
{
    public void Configure(EntityTypeBuilder<BrokerRotation> e)
    {
        e.HasKey(r => new { r.Priority, r.Country, r.BrokerId });
        e.Property(r => r.Country).HasMaxLength(2);
    }
}

sealed class BrokerRoutingLockConfiguration : IEntityTypeConfiguration<BrokerRoutingLock>
{
    public void Configure(EntityTypeBuilder<BrokerRoutingLock> e)
    {
        e.Property(l => l.Id).ValueGeneratedNever();
        e.HasData(new BrokerRoutingLock { Id = 1, Version = 0 });
    }
}
