using LeadRouter.Data.Leads;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace LeadRouter.Data.Agents;

sealed class AgentConfiguration : IEntityTypeConfiguration<Agent>
{
    public void Configure(EntityTypeBuilder<Agent> e)
    {
        e.HasIndex(a => a.Name).IsUnique();
        e.Property(a => a.Name).HasMaxLength(200);
    }
}

sealed class AgentPoolConfiguration : IEntityTypeConfiguration<AgentPool>
{
    public void Configure(EntityTypeBuilder<AgentPool> e)
    {
        e.HasIndex(p => p.SourceId).IsUnique();
        e.HasOne(p => p.Source).WithMany().HasForeignKey(p => p.SourceId);
        e.HasMany(p => p.Members).WithOne().HasForeignKey(m => m.PoolId).OnDelete(DeleteBehavior.Cascade);
    }
}

sealed class AgentPoolMemberConfiguration : IEntityTypeConfiguration<AgentPoolMember>
{
    public void Configure(EntityTypeBuilder<AgentPoolMember> e)
    {
        e.HasKey(m => new { m.PoolId, m.AgentId });
        e.HasOne(m => m.Agent).WithMany().HasForeignKey(m => m.AgentId);
    }
}

sealed class AssignmentConfiguration : IEntityTypeConfiguration<Assignment>
{
    public void Configure(EntityTypeBuilder<Assignment> e)
    {
        // DESIGN rule 1: one assignment per lead, enforced by the database.
        e.HasIndex(a => a.LeadId).IsUnique();
        e.HasIndex(a => new { a.SourceId, a.AssignedAt });
        e.HasIndex(a => new { a.AgentId, a.AssignedAt });
        e.HasOne<Lead>().WithMany().HasForeignKey(a => a.LeadId);
        e.HasOne<Agent>().WithMany().HasForeignKey(a => a.AgentId);
        e.HasOne<Source>().WithMany().HasForeignKey(a => a.SourceId);
    }
}
