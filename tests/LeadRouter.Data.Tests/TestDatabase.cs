using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Time.Testing;
using Npgsql;

namespace LeadRouter.Data.Tests;

/// <summary>
/// One database for a test class. Subclasses pick the provider; tests create their own rows (fresh keys) and never
/// assert global counts, so they can share it.
/// </summary>
public abstract class TestDatabase : IAsyncLifetime, IDbContextFactory<LeadRouterDb>
{
    DbContextOptions<LeadRouterDb>? options;

    public FakeTimeProvider Clock { get; } = new(new DateTimeOffset(2025, 1, 6, 9, 0, 0, TimeSpan.Zero));

    /// <summary>Why the database cannot be used here (tests then report as skipped), or null.</summary>
    public string? SkipReason { get; protected set; }

    protected abstract ValueTask<DbContextOptions<LeadRouterDb>?> CreateOptionsAsync();

    /// <summary>Options as the application builds them (provider, migrations assembly, SQLite pragmas).</summary>
    protected static DbContextOptions<LeadRouterDb> Options(DatabaseTarget target)
    {
        var builder = new DbContextOptionsBuilder<LeadRouterDb>();
        DataRegistration.Configure(builder, target);
        return builder.Options;
    }

    public LeadRouterDb CreateDbContext()
    {
        Assert.SkipWhen(SkipReason is not null, SkipReason ?? "");
        return new LeadRouterDb(options!);
    }

    public virtual async ValueTask InitializeAsync()
    {
        options = await CreateOptionsAsync();
        if (options is null) return;
        await using var db = new LeadRouterDb(options);
        await db.Database.MigrateAsync(); // the shipped migrations of this provider
    }

    public virtual ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        return ValueTask.CompletedTask;
    }
}

/// <summary>A temporary SQLite file in WAL mode.</summary>
public sealed class SqliteDatabase : TestDatabase
{
    readonly string path = Path.Combine(Path.GetTempPath(), $"lr_test_{Guid.NewGuid():N}.db");

    protected override async ValueTask<DbContextOptions<LeadRouterDb>?> CreateOptionsAsync()
    {
        var connectionString = new SqliteConnectionStringBuilder { DataSource = path, DefaultTimeout = 60 }.ToString();
        await using (var connection = new SqliteConnection(connectionString))
        {
            await connection.OpenAsync();
            await using var wal = connection.CreateCommand();
            wal.CommandText = "PRAGMA journal_mode=WAL;";
            await wal.ExecuteNonQueryAsync();
        }
        return Options(new DatabaseTarget(DatabaseProvider.Sqlite, connectionString));
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        SqliteConnection.ClearAllPools();
        foreach (var file in new[] { path, path + "-wal", path + "-shm" }) File.Delete(file);
    }
}

/// <summary>
/// A fresh <c>lr_test_…</c> database on the server named by <c>LEADROUTER_TEST_POSTGRES</c> (an Npgsql connection
/// string); the tests are skipped when it is unset.
/// </summary>
public sealed class PostgresDatabase : TestDatabase
{
    string? server;
    readonly string name = $"lr_test_{Guid.NewGuid():N}";

    protected override async ValueTask<DbContextOptions<LeadRouterDb>?> CreateOptionsAsync()
    {
        server = Environment.GetEnvironmentVariable("LEADROUTER_TEST_POSTGRES");
        if (string.IsNullOrWhiteSpace(server))
        {
            SkipReason = "LEADROUTER_TEST_POSTGRES is not set.";
            return null;
        }
        await using (var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(server) { Database = "postgres" }.ToString()))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
            await create.ExecuteNonQueryAsync();
        }
        var database = new NpgsqlConnectionStringBuilder(server) { Database = name }.ToString();
        return Options(new DatabaseTarget(DatabaseProvider.Postgres, database));
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        if (SkipReason is not null || server is null) return;
        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(server) { Database = "postgres" }.ToString());
        await connection.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)", connection);
        // An autovacuum worker may hold the database for a moment: retry a few times.
        for (var attempt = 1; ; attempt++)
        {
            try { await drop.ExecuteNonQueryAsync(); break; }
            catch (PostgresException) when (attempt < 5) { await Task.Delay(200 * attempt); }
        }
    }
}

static class TestSetup
{
    [System.Runtime.CompilerServices.ModuleInitializer]
    internal static void RegisterCodePages() => System.Text.Encoding.RegisterProvider(System.Text.CodePagesEncodingProvider.Instance);
}
