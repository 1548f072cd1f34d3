using Microsoft.EntityFrameworkCore;

namespace LeadRouter.Data;

/// <summary>Applies the shipped migrations of the configured provider (on start and by <c>leadrouter db migrate</c>).</summary>
public static class DatabaseMigrator
{
    /// <summary>Creates the SQLite file's folder if needed and applies pending migrations; returns their names.</summary>
    public static async Task<IReadOnlyList<string>> MigrateAsync(IDbContextFactory<LeadRouterDb> dbs, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        if (db.Database.IsSqlite() && db.Database.GetDbConnection().DataSource is { Length: > 0 } file && file != ":memory:")
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(file))!);
        var pending = (await db.Database.GetPendingMigrationsAsync(ct)).ToList();
        if (pending.Count > 0) await db.Database.MigrateAsync(ct);
        return pending;
    }
}
