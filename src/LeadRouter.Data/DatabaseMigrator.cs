using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.Logging;

namespace LeadRouter.Data;

/// <summary>Applies the shipped migrations of the configured provider (on start and by <c>leadrouter db migrate</c>).</summary>
public static class DatabaseMigrator
{
    /// <summary>
    /// Creates the SQLite file's folder if needed and applies pending migrations to <paramref name="target"/>; returns
    /// their names. A failed migration throws the database's exception.
    /// </summary>
    public static async Task<IReadOnlyList<string>> MigrateAsync(DatabaseTarget target, ILoggerFactory loggers, CancellationToken ct)
    {
        // On a new PostgreSQL database EF reads the history table before creating it and logs that failed read as an
        // error (dotnet/efcore#37328), which the first run of any CLI command would print. Failed commands of the
        // migration are logged at debug level here; a migration that fails still throws.
        var options = DataRegistration.Configure(new DbContextOptionsBuilder<LeadRouterDb>(), target)
            .UseLoggerFactory(loggers)
            .ConfigureWarnings(w => w.Log((RelationalEventId.CommandError, LogLevel.Debug)))
            .Options;
        await using var db = new LeadRouterDb((DbContextOptions<LeadRouterDb>)options);
        if (db.Database.IsSqlite() && db.Database.GetDbConnection().DataSource is { Length: > 0 } file && file != ":memory:")
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(file))!);
        var pending = (await db.Database.GetPendingMigrationsAsync(ct)).ToList();
        if (pending.Count > 0) await db.Database.MigrateAsync(ct);
        return pending;
    }
}
