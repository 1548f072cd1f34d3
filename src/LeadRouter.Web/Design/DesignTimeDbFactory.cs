using LeadRouter.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace LeadRouter.Web.Design;

/// <summary>
/// For <c>dotnet ef migrations add</c> only: <c>-- --provider Sqlite|Postgres</c> picks the provider whose migration
/// set is generated (no connection is opened).
/// </summary>
sealed class DesignTimeDbFactory : IDesignTimeDbContextFactory<LeadRouterDb>
{
    public LeadRouterDb CreateDbContext(string[] args)
    {
        var i = Array.FindIndex(args, a => a.Equals("--provider", StringComparison.OrdinalIgnoreCase));
        var provider = i >= 0 && i + 1 < args.Length ? args[i + 1] : "Sqlite";
        var target = provider.Equals("Postgres", StringComparison.OrdinalIgnoreCase)
            ? new DatabaseTarget(DatabaseProvider.Postgres, "Host=localhost;Database=leadrouter_design")
            : new DatabaseTarget(DatabaseProvider.Sqlite, "Data Source=design.db");
        var options = new DbContextOptionsBuilder<LeadRouterDb>();
        DataRegistration.Configure(options, target);
        return new LeadRouterDb(options.Options);
    }
}
