using LeadRouter.Data.Agents;
using LeadRouter.Data.Leads;
using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace LeadRouter.Data;

/// <summary>
/// LeadRouter's one database: identity, leads and every area's tables. Each area adds its sets in its own
/// partial file and its mappings as <see cref="IEntityTypeConfiguration{TEntity}"/> classes in this assembly.
/// Times are UTC; on SQLite every <see cref="DateTimeOffset"/> is stored as UTC ticks so it sorts and compares.
/// </summary>
public sealed partial class LeadRouterDb(DbContextOptions<LeadRouterDb> options)
    : IdentityDbContext<IdentityUser>(options), IDataProtectionKeyContext
{
    public DbSet<Lead> Leads => Set<Lead>();
    public DbSet<Source> Sources => Set<Source>();
    public DbSet<Import> Imports => Set<Import>();
    public DbSet<Agent> Agents => Set<Agent>();
    public DbSet<AgentPool> AgentPools => Set<AgentPool>();
    public DbSet<AgentPoolMember> AgentPoolMembers => Set<AgentPoolMember>();
    public DbSet<Assignment> Assignments => Set<Assignment>();
    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();

    protected override void OnModelCreating(ModelBuilder builder)
    {
        base.OnModelCreating(builder);
        builder.ApplyConfigurationsFromAssembly(typeof(LeadRouterDb).Assembly);
    }

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        configurationBuilder.Properties<Enum>().HaveConversion<string>().HaveMaxLength(32);
        if (Database.IsSqlite())
        {
            configurationBuilder.Properties<DateTimeOffset>().HaveConversion<UtcTicksConverter>();
            configurationBuilder.Properties<DateTimeOffset?>().HaveConversion<UtcTicksConverter>();
        }
    }

    sealed class UtcTicksConverter() : ValueConverter<DateTimeOffset, long>(
        v => v.UtcTicks,
        v => new DateTimeOffset(v, TimeSpan.Zero));
}
