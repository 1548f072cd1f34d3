using System.CommandLine;
using LeadRouter.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Spectre.Console;

namespace LeadRouter.Cli.Commands;

/// <summary><c>leadrouter db migrate</c>: applies the shipped migrations (also done on every start).</summary>
static class DbCommand
{
    public static Command Create()
    {
        var migrate = new Command("migrate", "Create or upgrade the database schema");
        migrate.SetAction((p, ct) => CliRun.Run(p, ct, async (s, _) =>
        {
            var target = s.GetRequiredService<DatabaseTarget>();
            await using var db = await s.GetRequiredService<IDbContextFactory<LeadRouterDb>>().CreateDbContextAsync(ct);
            var applied = (await db.Database.GetAppliedMigrationsAsync(ct)).ToList();
            return CliResult.Ok(new { database = target.Describe(), provider = target.Provider.ToString(), migrations = applied },
                c => c.MarkupLineInterpolated($"{target.Describe()} is up to date ({applied.Count} migrations)."));
        }));
        var cmd = new Command("db", "Database maintenance");
        cmd.Subcommands.Add(migrate);
        return cmd;
    }
}
