using LeadRouter.Data.Leads;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace LeadRouter.Data.Members;

sealed class TierConfiguration : IEntityTypeConfiguration<Tier>
{
    public void Configure(EntityTypeBuilder<Tier> e)
    {
        e.Property(t => t.Name).HasMaxLength(100);
        e.HasIndex(t => t.Name).IsUnique();
        // Seed 002's tiers.
        e.HasData(
            new Tier { Id = 1, Name = "Bronze", LeadsPerRun = 100, Eligible = true },
            new Tier { Id = 2, Name = "Silver", LeadsPerRun = 250, Eligible = true },
            new Tier { Id = 3, Name = "Gold", LeadsPerRun = 500, Eligible = true },
            new Tier { Id = 4, Name = "Affiliate", LeadsPerRun = 0, Eligible = false },
            new Tier { Id = 5, Name = "VIP Affiliate", LeadsPerRun = 0, Eligible = false });
    }
}

sealed class MemberConfiguration : IEntityTypeConfiguration<Member>
{
    public void Configure(EntityTypeBuilder<Member> e)
    {
        e.Property(m => m.Username).HasMaxLength(100);
        e.Property(m => m.Email).HasMaxLength(320);
        e.Property(m => m.UserId).HasMaxLength(450);
        e.HasIndex(m => m.Username).IsUnique();
        e.HasIndex(m => m.UserId);
        e.HasOne(m => m.Tier).WithMany().HasForeignKey(m => m.TierId).OnDelete(DeleteBehavior.Restrict);
    }
}

sealed class DistributionRunConfiguration : IEntityTypeConfiguration<DistributionRun>
{
    public void Configure(EntityTypeBuilder<DistributionRun> e)
    {
        e.ToTable("DistributionRuns");
        // At most one manual run per import; scheduled runs have no import (NULLs are distinct on both databases).
        e.HasIndex(r => r.ImportId).IsUnique();
        e.HasIndex(r => r.CreatedAt);
        e.Property(r => r.Error).HasMaxLength(4000);
        e.Property(r => r.Warning).HasMaxLength(1000);
        e.Property(r => r.RequestedBy).HasMaxLength(256);
        e.HasOne<Import>().WithMany().HasForeignKey(r => r.ImportId).OnDelete(DeleteBehavior.Restrict);
    }
}

sealed class ShareConfiguration : IEntityTypeConfiguration<Share>
{
    public void Configure(EntityTypeBuilder<Share> e)
    {
        // DESIGN rule 1: a (member, lead) pair exists at most once.
        e.HasIndex(s => new { s.MemberId, s.LeadId }).IsUnique();
        e.HasIndex(s => s.LeadId);
        e.HasIndex(s => new { s.RunId, s.MemberId });
        e.HasOne<Member>().WithMany().HasForeignKey(s => s.MemberId).OnDelete(DeleteBehavior.Restrict);
        e.HasOne<Lead>().WithMany().HasForeignKey(s => s.LeadId).OnDelete(DeleteBehavior.Restrict);
        e.HasOne<DistributionRun>().WithMany().HasForeignKey(s => s.RunId).OnDelete(DeleteBehavior.Restrict);
    }
}

sealed class MemberFileConfiguration : IEntityTypeConfiguration<MemberFile>
{
    public void Configure(EntityTypeBuilder<MemberFile> e)
    {
        e.Property(f => f.Name).HasMaxLength(300);
        e.Property(f => f.TierName).HasMaxLength(100);
        e.HasIndex(f => new { f.MemberId, f.RunId }).IsUnique();
        e.HasIndex(f => f.RunId);
        e.HasOne<Member>().WithMany().HasForeignKey(f => f.MemberId).OnDelete(DeleteBehavior.Restrict);
        e.HasOne<DistributionRun>().WithMany().HasForeignKey(f => f.RunId).OnDelete(DeleteBehavior.Restrict);
    }
}

sealed class MemberFileCsvConfiguration : IEntityTypeConfiguration<MemberFileCsv>
{
    public void Configure(EntityTypeBuilder<MemberFileCsv> e)
    {
        e.HasKey(c => c.FileId);
        e.Property(c => c.FileId).ValueGeneratedNever();
        e.HasOne<MemberFile>().WithOne().HasForeignKey<MemberFileCsv>(c => c.FileId).OnDelete(DeleteBehavior.Cascade);
    }
}

sealed class MemberImportConfiguration : IEntityTypeConfiguration<MemberImport>
{
    public void Configure(EntityTypeBuilder<MemberImport> e)
    {
        e.HasKey(m => m.ImportId);
        e.Property(m => m.ImportId).ValueGeneratedNever();
        e.HasOne<Import>().WithOne().HasForeignKey<MemberImport>(m => m.ImportId).OnDelete(DeleteBehavior.Cascade);
    }
}

sealed class DistributionLockConfiguration : IEntityTypeConfiguration<DistributionLock>
{
    public void Configure(EntityTypeBuilder<DistributionLock> e)
    {
        e.Property(l => l.Id).ValueGeneratedNever();
        e.HasData(new DistributionLock { Id = 1, Version = 0 });
    }
}
