using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Npgsql;

namespace LeadRouter.Data.Tests.Migrations;

/// <summary><see cref="DatabaseMigrator"/> on databases of its own, new each test (the shared test databases are migrated already).</summary>
public sealed class DatabaseMigratorTests
{
    static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Migrates the new database twice and checks what each run applied and that nothing was logged as a warning or worse.</summary>
    static async Task MigratesCleanlyAsync(DatabaseTarget target)
    {
        var logs = new FakeLogCollector();
        using var loggers = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Debug).AddProvider(new FakeLoggerProvider(logs)));
        await using var db = new LeadRouterDb((DbContextOptions<LeadRouterDb>)DataRegistration.Configure(new DbContextOptionsBuilder<LeadRouterDb>(), target).Options);

        var first = await DatabaseMigrator.MigrateAsync(target, loggers, Ct);
        var second = await DatabaseMigrator.MigrateAsync(target, loggers, Ct);

        Assert.Equal(db.Database.GetMigrations(), first);
        Assert.Empty(second);
        Assert.Empty(await db.Database.GetPendingMigrationsAsync(Ct));
        Assert.True(await db.Leads.CountAsync(Ct) == 0, "the schema is usable");
        Assert.Empty(logs.GetSnapshot().Where(r => r.Level >= LogLevel.Warning).Select(r => $"{r.Category}: {r.Message}"));
    }

    [Fact]
    public async Task A_new_SQLite_file_in_a_new_folder_gets_every_migration_once_and_no_warning_is_logged()
    {
        var folder = Path.Combine(Path.GetTempPath(), $"lr_test_{Guid.NewGuid():N}");
        try
        {
            await MigratesCleanlyAsync(DatabaseTarget.Parse(Path.Combine(folder, "new.db")));
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task A_new_PostgreSQL_database_gets_every_migration_once_and_the_missing_history_table_is_not_logged_as_an_error()
    {
        var server = Environment.GetEnvironmentVariable("LEADROUTER_TEST_POSTGRES");
        Assert.SkipWhen(string.IsNullOrWhiteSpace(server), "LEADROUTER_TEST_POSTGRES is not set.");
        var name = $"lr_test_{Guid.NewGuid():N}";
        var admin = new NpgsqlConnectionStringBuilder(server) { Database = "postgres" }.ToString();
        await using (var connection = new NpgsqlConnection(admin))
        {
            await connection.OpenAsync(Ct);
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
            await create.ExecuteNonQueryAsync(Ct);
        }

        try
        {
            await MigratesCleanlyAsync(new DatabaseTarget(DatabaseProvider.Postgres, new NpgsqlConnectionStringBuilder(server) { Database = name }.ToString()));
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            await using var connection = new NpgsqlConnection(admin);
            await connection.OpenAsync(Ct);
            await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)", connection);
            await drop.ExecuteNonQueryAsync(Ct);
        }
    }
}
