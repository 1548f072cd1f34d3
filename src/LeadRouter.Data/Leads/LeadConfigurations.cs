using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace LeadRouter.Data.Leads;

sealed class LeadConfiguration : IEntityTypeConfiguration<Lead>
{
    public void Configure(EntityTypeBuilder<Lead> e)
    {
        e.HasIndex(l => l.IdentityKey).IsUnique();
        e.HasIndex(l => new { l.SourceId, l.Status, l.AgentId });
        // Partial: a lead is inserted without an owner, so imports do not maintain these two; lookups by owner
        // (AgentId = x, BrokerId = x) imply IS NOT NULL and use them on both databases.
        e.HasIndex(l => l.AgentId).HasFilter("\"AgentId\" IS NOT NULL");
        e.HasIndex(l => l.ImportId);
        e.HasIndex(l => l.Email);
        e.HasIndex(l => l.Phone);
        // Replenishment reads the best reserve leads of a grade in index order (Status, Grade, Score desc, Id).
        e.HasIndex(l => new { l.Status, l.Grade, l.Score, l.Id }).IsDescending(false, false, true, false);
        e.Property(l => l.IdentityKey).HasMaxLength(320);
        e.Property(l => l.Amount).HasPrecision(18, 4);
        e.HasOne(l => l.Source).WithMany().HasForeignKey(l => l.SourceId);
        e.HasOne<Import>().WithMany().HasForeignKey(l => l.ImportId);
        e.HasOne<Agents.Agent>().WithMany().HasForeignKey(l => l.AgentId);
        e.HasIndex(l => l.BrokerId).HasFilter("\"BrokerId\" IS NOT NULL");
        e.Property(l => l.UnroutedReason).HasMaxLength(500);
        // No foreign key to Brokers: on SQLite one would rebuild the whole Leads table; the broker assignment log
        // (unique per lead, keyed to both lead and broker) carries the integrity of a routed lead.
    }
}

sealed class SourceConfiguration : IEntityTypeConfiguration<Source>
{
    public void Configure(EntityTypeBuilder<Source> e)
    {
        e.HasIndex(s => s.Key).IsUnique();
        e.Property(s => s.Name).HasMaxLength(200);
        e.Property(s => s.Key).HasMaxLength(200);
    }
}

sealed class ImportConfiguration : IEntityTypeConfiguration<Import>
{
    public void Configure(EntityTypeBuilder<Import> e)
    {
        e.Property(i => i.FileName).HasMaxLength(500);
        e.HasIndex(i => i.CreatedAt);
        e.HasIndex(i => i.IntakeKey).IsUnique();
        e.Property(i => i.IntakeKey).HasMaxLength(300);
    }
}
