using LeadRouter.Data.Members;
using Microsoft.EntityFrameworkCore;

namespace LeadRouter.Data;

public sealed partial class LeadRouterDb
{
    public DbSet<Tier> Tiers => Set<Tier>();
    public DbSet<Member> Members => Set<Member>();
    public DbSet<DistributionRun> DistributionRuns => Set<DistributionRun>();
    public DbSet<Share> Shares => Set<Share>();
    public DbSet<MemberFile> MemberFiles => Set<MemberFile>();
    /// <summary>The stored bytes of member files that were downloaded or exported at least once.</summary>
    public DbSet<MemberFileCsv> MemberFileCsvs => Set<MemberFileCsv>();
    public DbSet<MemberImport> MemberImports => Set<MemberImport>();
    public DbSet<DistributionLock> DistributionLocks => Set<DistributionLock>();
}
