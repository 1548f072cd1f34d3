using LeadRouter.Data.Leads;
using LeadRouter.Data.Replenishment;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace LeadRouter.Data;

public sealed partial class LeadRouterDb
{
    public DbSet<ReplenishmentSettings> ReplenishmentSettings => Set<ReplenishmentSettings>();
    public DbSet<ReplenishmentRun> ReplenishmentRuns => Set<ReplenishmentRun>();
    public DbSet<LeadStatusChange> LeadStatusChanges => Set<LeadStatusChange>();
}

sealed class ReplenishmentRunConfiguration : IEntityTypeConfiguration<ReplenishmentRun>
{
    public void Configure(EntityTypeBuilder<ReplenishmentRun> e)
    {
        e.HasIndex(r => r.RanAt);
        e.Property(r => r.Trigger).HasMaxLength(32);
        e.Property(r => r.BlockedBy).HasMaxLength(64);
    }
}

sealed class ReplenishmentSettingsConfiguration : IEntityTypeConfiguration<ReplenishmentSettings>
{
    public void Configure(EntityTypeBuilder<ReplenishmentSettings> e) => e.Property(s => s.Id).ValueGeneratedNever();
}

sealed class LeadStatusChangeConfiguration : IEntityTypeConfiguration<LeadStatusChange>
{
    public void Configure(EntityTypeBuilder<LeadStatusChange> e)
    {
        e.HasIndex(c => new { c.LeadId, c.ChangedAt });
        e.HasIndex(c => new { c.To, c.ChangedAt });
        e.HasOne<Lead>().WithMany().HasForeignKey(c => c.LeadId);
    }
}
